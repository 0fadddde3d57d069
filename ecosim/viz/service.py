"""Share of demand met per layer and per workload, and the compute shortfall beside the
no-shock twin's.

The figures show period means (monthly for runs of a year or more) of the recorded
series, one panel per region, shocks shaded only while active. The first days of a run, while
the job queue fills from empty, are left out and the caption says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ecosim.viz import FORMATS
from ecosim.viz._common import (
    BAND_LABEL,
    LAYER_COLOURS,
    SHOCK_NOTE,
    Period,
    headroom,
    lay_out,
    line_with_band,
    mark_shocks,
    n_replicates,
    period_for,
    period_reduce,
    recorded,
    save,
    scale_y_axis,
    scenario_setting,
    shock_key,
    subtitle,
    time_axis,
)


def warm_up_days(ds: xr.Dataset) -> float:
    """Days at the start of the run that the service figures leave out.

    The scenario's ``recording.service_window_days``: the share met is measured over that
    window, and before it has passed the queue started empty and few jobs have finished. Zero
    when the scenario is not stored with the result or the run is not longer than the window.
    """
    window = scenario_setting(ds, "recording", "service_window_days")
    days = np.asarray(ds["day"].values, dtype=np.float64)
    if window is None or float(window) >= float(days[-1] - days[0]):
        return 0.0
    return float(window)


def _warm_up_note(ds: xr.Dataset, skip: float) -> str:
    if skip > 0:
        return (
            f"Not plotted: the first {skip:g} days (the scenario's service window), while the "
            "job queue fills from empty and few jobs have finished; the share met keeps "
            "recovering from this start over the following weeks (the no-shock twin starts the "
            "same way)."
        )
    return (
        "The first weeks are plotted: the job queue starts empty and few jobs have finished, so "
        "the share met starts low and climbs (the no-shock twin starts the same way)."
    )


def _grid(n: int, height: float) -> tuple[Figure, list[Axes]]:
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(4.4 * ncols + 0.6, height * nrows + 2.4),
        squeeze=False,
        sharex=True,
    )
    flat = [ax for row in axes for ax in row]
    for ax in flat[n:]:
        ax.set_visible(False)
    # Hidden panels leave the last row's neighbours without date labels under sharex.
    for ax in flat[:n]:
        ax.tick_params(labelbottom=True)
    return fig, flat[:n]


def _lines_note(ds: xr.Dataset, period: Period, what: str) -> str:
    n = n_replicates(ds)
    over = f", median over {n} replicates; band: {BAND_LABEL} (5-95 %)" if n > 1 else ""
    return f"Lines: {period.word} means of the {what}, recorded {recorded(ds)}{over}."


def _draw_shares(
    ds: xr.Dataset,
    var: str,
    dim: str,
    colours: dict[str, str],
    title: str,
    note: str,
) -> Figure:
    """Shares met of ``var`` along ``dim`` (one line per entry), one panel per region."""
    regions = [str(r) for r in ds["region"].values]
    entries = [str(x) for x in ds[dim].values]
    period = period_for(ds)
    skip = warm_up_days(ds)
    fig, axes = _grid(len(regions), 2.3)
    for ax, region in zip(axes, regions, strict=True):
        for entry in entries:
            x, means = period_reduce(
                ds[var].sel({"region": region, dim: entry}), ds, "mean", skip, period
            )
            line_with_band(ax, x, means, color=colours.get(entry), linewidth=1.2)
        mark_shocks(ax, ds, label=True)
        ax.set_title(region, fontsize=9)
        # 1.0 is the most a share can be: the room above holds the shock tags
        ax.set_ylim(0.0, 1.2)
        ax.set_yticks(np.linspace(0.0, 1.0, 6))
        ax.tick_params(labelsize=7)
        time_axis(ax)
    for ax in axes[:: min(3, len(regions))]:
        ax.set_ylabel("share of demand met", fontsize=8)
    series: list[Artist] = [Line2D([], [], color=colours.get(x), lw=1.5) for x in entries]
    labels = [x.replace("_", " ") for x in entries]
    if n_replicates(ds) > 1:
        series.append(Patch(facecolor="grey", alpha=0.3))
        labels.append(f"5-95 % over replicates: {BAND_LABEL}")
    shocks = shock_key(ds)
    lay_out(
        fig,
        f"{title} ({period.word} means)\n{subtitle(ds)}",
        [
            (series, labels, len(series)),
            ([h for h, _ in shocks], [t for _, t in shocks], 2),
        ],
        f"{_lines_note(ds, period, 'share of demand met')} {note}{SHOCK_NOTE}\n"
        + _warm_up_note(ds, skip),
    )
    return fig


def draw_service(ds: xr.Dataset) -> Figure:
    """Draw the service figure: the share of demand met per layer, one panel per region.

    Lines are period means (monthly for runs of a year or more) of the recorded share met; with
    replicates, the median over replicates and a 5-95 % band labelled as stochastic variability
    under fixed assumptions. Shocks are shaded while active; a permanent shock is a line at its
    start. The first ``service_window_days`` are left out, as the caption says.

    Parameters
    ----------
    ds
        A result of ``ecosim run`` (with or without replicates); it is not modified.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, open; :func:`ecosim.viz._common.save` writes and closes it.
    """
    return _draw_shares(ds, "service", "layer", LAYER_COLOURS, "Share of demand met per layer", "")


def plot_service(ds: xr.Dataset, path: str | Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write :func:`draw_service` of ``ds`` as ``<path>.png`` and ``<path>.svg``.

    Parameters
    ----------
    ds
        A result of ``ecosim run`` (with or without replicates); it is not modified.
    path
        Target path without suffix.
    formats
        Which files to write: ``png``, ``svg`` or both (:data:`~ecosim.viz.FORMATS`).

    Returns
    -------
    list of Path
        The files written: the PNG and the SVG, or those ``formats`` names.
    """
    return save(draw_service(ds), path, formats=formats)


def draw_shortfall(ds: xr.Dataset) -> Figure:
    """Draw the compute shortfall of each region beside that of its no-shock twin.

    Shortfall = demand - served, in H100e of average concurrent use, with served = demand x
    the compute share met (the same windowed measure as the service figure, so the two agree).
    The twin's shortfall is growth outrunning capacity, not the shock; the gap between the two
    lines is what the shocks cost. Each panel has its own unit (thousand or million H100e).

    Parameters
    ----------
    ds
        A result of ``ecosim run`` (with or without replicates); it is not modified.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, open; :func:`ecosim.viz._common.save` writes and closes it.
    """
    regions = [str(r) for r in ds["region"].values]
    period = period_for(ds)
    skip = warm_up_days(ds)
    # New arrays; the dataset is only read.
    shortfall = ds["demand"] * (1.0 - ds["service"].sel(layer="compute"))
    twin = (
        ds["demand"] * (1.0 - ds["service_twin"].sel(layer="compute"))
        if "service_twin" in ds
        else None
    )
    fig, axes = _grid(len(regions), 2.2)
    for ax, region in zip(axes, regions, strict=True):
        x, run = period_reduce(shortfall.sel(region=region), ds, "mean", skip, period)
        line_with_band(ax, x, run, color="black", linewidth=1.2)
        if twin is not None:
            _, twin_means = period_reduce(twin.sel(region=region), ds, "mean", skip, period)
            line_with_band(ax, x, twin_means, color="grey", linestyle=":", linewidth=1.4)
        mark_shocks(ax, ds, label=True)
        ax.set_title(region, fontsize=9)
        ax.set_ylim(bottom=0.0)  # demand x (1 - share met) is never negative
        headroom(ax)
        scale_y_axis(ax, "H100e")  # per panel: thousand H100e for one region, million for another
        ax.yaxis.label.set_fontsize(8)
        ax.tick_params(labelsize=7)
        time_axis(ax)
    series: list[Artist] = [Line2D([], [], color="black", lw=1.2)]
    labels = ["compute shortfall of the run"]
    if twin is not None:
        series.append(Line2D([], [], color="grey", linestyle=":", lw=1.4))
        labels.append("no-shock twin (growth outrunning capacity)")
    if n_replicates(ds) > 1:
        series.append(Patch(facecolor="grey", alpha=0.3))
        labels.append(f"5-95 % over replicates: {BAND_LABEL}")
    shocks = shock_key(ds)
    lay_out(
        fig,
        f"Compute shortfall: demand not served ({period.word} means)\n{subtitle(ds)}",
        [
            (series, labels, len(series)),
            ([h for h, _ in shocks], [t for _, t in shocks], 2),
        ],
        f"{_lines_note(ds, period, 'shortfall')} Shortfall = demand - served, in H100e of "
        "average concurrent use; served = demand x the compute share met. Units differ per "
        f"panel. {SHOCK_NOTE}\n" + _warm_up_note(ds, skip),
    )
    return fig


def plot_shortfall(
    ds: xr.Dataset, path: str | Path, formats: Sequence[str] = FORMATS
) -> list[Path]:
    """Write :func:`draw_shortfall` of ``ds`` as ``<path>.png`` and ``<path>.svg``.

    Parameters
    ----------
    ds
        A result of ``ecosim run`` (with or without replicates); it is not modified.
    path
        Target path without suffix.
    formats
        Which files to write: ``png``, ``svg`` or both (:data:`~ecosim.viz.FORMATS`).

    Returns
    -------
    list of Path
        The files written: the PNG and the SVG, or those ``formats`` names.
    """
    return save(draw_shortfall(ds), path, formats=formats)


#: Colours of the workloads: training from dark to light, inference apart.
WORKLOAD_COLOURS: dict[str, str] = {
    "frontier_training": "#08306b",
    "domain_training": "#2171b5",
    "fine_tuning": "#6baed6",
    "inference": "#d94801",
}


def draw_service_by_workload(ds: xr.Dataset) -> Figure:
    """Draw the share of each workload's demand met, one panel per region.

    The compute layer's service is these shares weighted by the work each workload asked for;
    this figure shows which workloads a shock hits: inference runs only on capacity in the
    region, training may run abroad, and short capacity is rationed by the workloads'
    weights. Lines are period means, with a 5-95 % band over replicates; shocks are shaded
    while active; the first ``service_window_days`` are left out.

    Parameters
    ----------
    ds
        A result of ``ecosim run`` with ``service_by_workload`` (with or without
        replicates); it is not modified.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, open; :func:`ecosim.viz._common.save` writes and closes it.
    """
    return _draw_shares(
        ds,
        "service_by_workload",
        "workload",
        WORKLOAD_COLOURS,
        "Share of each workload's compute demand met",
        "Inference runs only on capacity in the region (own sites, providers with data "
        "centres there); training may run abroad. Short capacity is rationed by each "
        "workload's weight, so inference holds up longest. The compute layer's share met is "
        "these shares weighted by the work asked. ",
    )


def plot_service_by_workload(
    ds: xr.Dataset, path: str | Path, formats: Sequence[str] = FORMATS
) -> list[Path]:
    """Write :func:`draw_service_by_workload` of ``ds`` as ``<path>.png`` and ``<path>.svg``.

    Parameters
    ----------
    ds
        A result of ``ecosim run`` with ``service_by_workload``; it is not modified.
    path
        Target path without suffix.
    formats
        Which files to write: ``png``, ``svg`` or both (:data:`~ecosim.viz.FORMATS`).

    Returns
    -------
    list of Path
        The files written: the PNG and the SVG, or those ``formats`` names.
    """
    return save(draw_service_by_workload(ds), path, formats=formats)
