"""Matplotlib figures (Agg backend), each written as PNG and SVG.

:func:`write_figures` writes every figure a result supports: for a run (single or with
replicates) the bottleneck heatmap (log colour scale), the share of demand met per layer, the
compute shortfall beside the no-shock twin's, market shares and the supply chain (world-wide
lead times per good, days at the lead-time cap, deliveries per buyer region); for a comparison
the cost-resilience figure with its Pareto front and the gains by horizon. Time series are
period means (monthly for runs of a year or more) with replicate bands, and shocks are shaded
only while active. Figures never modify the dataset they draw.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import xarray as xr

#: The files a figure is written as: a PNG to look at and embed, an SVG to edit or print.
FORMATS: tuple[str, ...] = ("png", "svg")


def is_comparison(ds: xr.Dataset) -> bool:
    """True for a result of ``ecosim compare``."""
    return ds.attrs.get("ecosim_kind") == "compare"


def write_figures(
    ds: xr.Dataset, out_dir: str | Path, stem: str, formats: Sequence[str] = FORMATS
) -> list[Path]:
    """Write every figure of ``ds`` into ``out_dir`` as ``<stem>_<figure>.png`` and ``.svg``.

    Parameters
    ----------
    ds
        A result of ``ecosim run`` (with or without replicates) or of ``ecosim compare``
        (including ``--sovereignty-value`` and ``--alliance-gain``).
    out_dir
        Directory to write into (created if missing).
    stem
        File name prefix, usually the result's file stem.
    formats
        Which files to write of each figure: ``png``, ``svg`` or both (the default).

    Returns
    -------
    list of Path
        The files written: for a run ``bottleneck``, ``service``, ``service_by_workload``
        (when recorded), ``shortfall``, ``market_shares`` and ``lead_time``, each as PNG and
        SVG (or as ``formats`` says).
    """
    from ecosim.core import forked
    from ecosim.viz.bottleneck import plot_bottleneck
    from ecosim.viz.lead_time import plot_lead_times
    from ecosim.viz.markets import plot_market_shares
    from ecosim.viz.pareto import plot_cost_resilience, plot_gains_by_horizon
    from ecosim.viz.service import plot_service, plot_service_by_workload, plot_shortfall

    out = Path(out_dir)
    if is_comparison(ds):
        figures = plot_cost_resilience(ds, out / f"{stem}_cost_resilience", formats)
        if ds.sizes.get("horizon_year", 0):
            figures += plot_gains_by_horizon(ds, out / f"{stem}_gains_by_horizon", formats)
        return figures
    if "sovereignty_value" in ds or "alliance_gain" in ds:
        from ecosim.viz.counterfactuals import plot_alliance_gain, plot_sovereignty_value

        if "sovereignty_value" in ds:
            return plot_sovereignty_value(ds, out / f"{stem}_sovereignty_value", formats)
        return plot_alliance_gain(ds, out / f"{stem}_alliance_gain", formats)
    drawings: list[Callable[[], list[Path]]] = []
    if "resilience_loss" in ds:
        from ecosim.observe.summary import bottleneck_view

        view = bottleneck_view(ds)
        drawings.append(
            lambda: [plot_bottleneck(view, out / f"{stem}_bottleneck.{fmt}") for fmt in formats]
        )
    drawings.append(lambda: plot_service(ds, out / f"{stem}_service", formats))
    if "service_by_workload" in ds:
        drawings.append(
            lambda: plot_service_by_workload(ds, out / f"{stem}_service_by_workload", formats)
        )
    drawings.append(lambda: plot_shortfall(ds, out / f"{stem}_shortfall", formats))
    drawings.append(lambda: plot_market_shares(ds, out / f"{stem}_market_shares", formats))
    drawings.append(lambda: plot_lead_times(ds, out / f"{stem}_lead_time", formats))
    # each figure is drawn on one core (matplotlib's layout and rendering, 1-4 s a figure of
    # nine regions): forked children draw them side by side where the process allows it
    return [path for paths in forked.run_all(drawings) for path in paths]
