"""The supply chain: lead times per good, per designer and per buyer region; accelerator
prices per buyer region; time at the cap; deliveries per buyer region.

The result holds one lead time per good for the whole world (``lead_time(time, good)``), the
accelerator lead time at each designer (``lead_time_designer``) and the one buyers homed in
each region face (``lead_time_buyer``); what each region actually receives is shown by the
accelerators delivered to buyers homed in it (``deliveries(time, region, supplier)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator
from numpy.typing import NDArray

from ecosim.core.units import DAYS_PER_YEAR
from ecosim.viz import FORMATS
from ecosim.viz._common import (
    BAND_LABEL,
    SHOCK_NOTE,
    Period,
    headroom,
    lay_out,
    line_with_band,
    mark_shocks,
    n_replicates,
    period_for,
    period_reduce,
    plain_numbers,
    recorded,
    save,
    scenario_setting,
    shock_key,
    subtitle,
    time_axis,
)

#: What a lead time at its cap means, in the words of the recorded variable.
CAP_MEANING = "embargo or runaway backlog"


def lead_time_cap(ds: xr.Dataset) -> float | None:
    """The lead-time cap in days: the scenario's ``uncertainties.supply.lead_time_cap_days``.

    Without the scenario in the result, the highest lead time recorded at the cap; None when
    neither says.
    """
    cap = scenario_setting(ds, "uncertainties", "supply", "lead_time_cap_days")
    if cap is not None:
        return float(cap)
    if "lead_time_capped" in ds and bool(ds["lead_time_capped"].any()):
        return float(ds["lead_time"].where(ds["lead_time_capped"] > 0).max())
    return None


def full_period_totals(
    da: xr.DataArray, ds: xr.Dataset
) -> tuple[NDArray[np.datetime64], xr.DataArray, str]:
    """Totals of a per-period flow over calendar years (months for runs under three years).

    Only periods the run covers from start to end are kept: a partial year would read as a
    drop. Deliveries are lumpy (orders arrive in batches), so shorter periods would mostly be
    empty.

    Returns
    -------
    tuple
        The middle of each period, the totals (``time`` is the period) and ``"year"`` or
        ``"month"``.
    """
    days = np.asarray(ds["day"].values, dtype=np.float64)
    yearly = float(days[-1] - days[0]) >= 3.0 * DAYS_PER_YEAR
    freq, word, step = ("YS", "year", "12MS") if yearly else ("MS", "month", "1MS")
    times = pd.DatetimeIndex(ds["time"].values)
    interval = pd.Timedelta(days=float(ds.attrs.get("interval_days", 1.0)))
    # A new array on a clean time index; the dataset is only read.
    series = xr.DataArray(
        np.asarray(da.transpose("time", ...).values),
        dims=("time", *[d for d in da.dims if d != "time"]),
        coords={"time": times, **{d: da[d].values for d in da.dims if d != "time"}},
    )
    totals = series.resample(time=freq).sum()
    starts = pd.DatetimeIndex(totals["time"].values)
    ends = starts + pd.tseries.frequencies.to_offset(step)
    full = (starts >= times[0]) & (ends <= times[-1] + interval)
    middles = starts[full] + (ends[full] - starts[full]) / 2
    return middles.values.astype("datetime64[s]"), totals.isel(time=np.flatnonzero(full)), word


def _count(value: float, _pos: object = None) -> str:
    # 1k, 10k, 1M ...: a log axis of counts read without exponents
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= factor:
            return f"{value / factor:g}{suffix}"
    return f"{value:g}"


def _legend_right(ax: Axes, title: str) -> None:
    ax.legend(
        fontsize=7,
        title=title,
        title_fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
    )


#: One colour per line, cycled.
COLOURS = plt.get_cmap("tab10")(np.arange(10))


def _lines(
    ax: Axes,
    ds: xr.Dataset,
    da: xr.DataArray,
    dim: str,
    how: str,
    period: Period,
    first: int = 0,
    suffix: str = "",
    **style: Any,
) -> None:
    """One line per label along ``dim`` of ``da``: its period ``how`` (median or mean), with the
    replicates' band; colours from the ``first`` of :data:`COLOURS` on."""
    for i, label in enumerate(str(v) for v in da[dim].values):
        x, y = period_reduce(da.sel({dim: label}), ds, how, period=period)
        colour = COLOURS[(first + i) % len(COLOURS)]
        line_with_band(ax, x, y, color=colour, label=label + suffix, linewidth=1.2, **style)


def draw_lead_times(ds: xr.Dataset) -> Figure:
    """Draw the supply-chain figure: lead times, time at the cap, deliveries per buyer region.

    From the top: the world-wide order-to-delivery lead time of each good (one value per good
    for every buyer), as the period median of the recorded values; the accelerator lead time at
    each designer and the one faced by buyers homed in each region; the accelerator price paid
    by buyers homed in each region (thousand USD per H100e); the share of time in the
    period at the lead-time cap, per good (``lead_time_capped``) and per designer (its quote
    in ``lead_time_designer`` at the cap), which means an embargo or a runaway backlog;
    accelerators delivered to buyers homed in each region (all designers), totals per
    calendar year wholly inside the run (month for runs under three years), on a log scale.
    Panels whose variables the result lacks are left out.

    Parameters
    ----------
    ds
        A result of ``ecosim run`` (with or without replicates); it is not modified.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, open; :func:`ecosim.viz._common.save` writes and closes it.
    """
    goods = [str(g) for g in ds["good"].values]
    period = period_for(ds)
    cap = lead_time_cap(ds)
    cap_text = f"the {cap:g}-day cap" if cap is not None else "the lead-time cap"
    panels = ["lead"]
    if "lead_time_designer" in ds:
        panels.append("designer")
    if "lead_time_buyer" in ds:
        panels.append("buyer")
    if "accelerator_price" in ds:
        panels.append("price")
    if "lead_time_capped" in ds:
        panels.append("capped")
    if "deliveries" in ds:
        panels.append("deliveries")
    heights = {
        "lead": 3.0,
        "designer": 2.6,
        "buyer": 2.6,
        "price": 2.6,
        "capped": 1.8,
        "deliveries": 3.0,
    }
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(11.0, sum(heights[p] for p in panels) + 2.2),
        sharex=True,
        squeeze=False,
        gridspec_kw={"height_ratios": [heights[p] for p in panels]},
    )
    ax_of = {p: axes[i, 0] for i, p in enumerate(panels)}

    ax = ax_of["lead"]
    _lines(ax, ds, ds["lead_time"], "good", "median", period)
    if cap is not None:
        ax.axhline(cap, color="black", linestyle=":", linewidth=0.8, label=f"cap ({cap:g} d)")
    ax.set_ylim(bottom=0.0)
    headroom(ax)
    ax.set_ylabel("lead time (days)", fontsize=8)
    ax.set_title(
        f"Order-to-delivery lead time per good, world-wide ({period.word} median of values "
        f"recorded {recorded(ds)}; one value per good for every buyer region)",
        fontsize=9,
    )
    _legend_right(ax, "good")

    for key, var, dim, legend, what in (
        ("designer", "lead_time_designer", "supplier", "designer", "at each designer"),
        ("buyer", "lead_time_buyer", "region", "buyer region", "faced by buyers in each region"),
    ):
        if key not in ax_of:
            continue
        ax = ax_of[key]
        _lines(ax, ds, ds[var], dim, "median", period)
        if cap is not None:
            ax.axhline(cap, color="black", linestyle=":", linewidth=0.8)
        ax.set_ylim(bottom=0.0)
        headroom(ax)
        ax.set_ylabel("lead time (days)", fontsize=8)
        ax.set_title(f"Accelerator lead time {what} ({period.word} median)", fontsize=9)
        _legend_right(ax, legend)

    if "price" in ax_of:
        ax = ax_of["price"]
        _lines(ax, ds, ds["accelerator_price"] / 1e3, "region", "median", period)
        ax.set_ylim(bottom=0.0)
        headroom(ax)
        ax.set_ylabel("thousand USD\nper H100e", fontsize=8)
        ax.set_title(
            f"Accelerator price paid by buyers homed in each region ({period.word} median): the"
            f" trend, times the designers' scarcity, plus a control's premium",
            fontsize=9,
        )
        _legend_right(ax, "buyer region")

    if "capped" in ax_of:
        ax = ax_of["capped"]
        _lines(ax, ds, ds["lead_time_capped"].astype(np.float64), "good", "mean", period)
        if "lead_time_designer" in ds and cap is not None:
            # the world-wide lead time is one value for every buyer and is not at the cap
            # when one designer is (Huawei's quote for China's buyers under a control): each
            # designer's quote is capped on its own, so its time at the cap shows the embargo
            at_cap = (ds["lead_time_designer"] >= cap * (1.0 - 1e-9)).astype(np.float64)
            _lines(
                ax,
                ds,
                at_cap,
                "supplier",
                "mean",
                period,
                len(goods),
                " (designer)",
                linestyle="--",
            )
        ax.set_ylim(0.0, 1.25)
        ax.set_yticks([0.0, 0.5, 1.0], ["0 %", "50 %", "100 %"])
        ax.set_ylabel("time at the cap", fontsize=8)
        ax.set_title(
            f"Share of time with the lead time at {cap_text}: {CAP_MEANING} ({period.word}, "
            f"recorded {recorded(ds)})",
            fontsize=9,
        )
        _legend_right(ax, "good / designer")

    if "deliveries" in ax_of:
        ax = ax_of["deliveries"]
        x, totals, word = full_period_totals(ds["deliveries"].sum("supplier"), ds)
        for i, region in enumerate(str(r) for r in ds["region"].values):
            line_with_band(
                ax,
                x,
                totals.sel(region=region),
                positive=True,
                color=COLOURS[i % len(COLOURS)],
                label=region,
                lw=1.2,
                marker="o",
                markersize=3,
            )
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10.0))
        ax.yaxis.set_major_formatter(FuncFormatter(_count))
        ax.set_ylabel(f"H100e per {word}\n(log scale; k thousand, M million)", fontsize=8)
        ax.set_title(
            f"Accelerators delivered per {word} to buyers homed in each region (all designers;"
            f" calendar {word}s wholly inside the run)",
            fontsize=9,
        )
        _legend_right(ax, "buyer region")

    for ax in ax_of.values():
        mark_shocks(ax, ds, label=True)
        ax.tick_params(labelsize=7)
        plain_numbers(ax)
        time_axis(ax)
        ax.tick_params(labelbottom=True)
    n = n_replicates(ds)
    over = f" Median over {n} replicates; band: {BAND_LABEL} (5-95 %)." if n > 1 else ""
    gaps = (
        " A region without deliveries in a period has no point there (log scale)."
        if "deliveries" in ax_of
        else ""
    )
    shocks = shock_key(ds)
    lay_out(
        fig,
        f"Supply chain: lead times (per good, designer and buyer region), prices and "
        f"deliveries\n"
        f"{subtitle(ds)}",
        [([h for h, _ in shocks], [t for _, t in shocks], 2)],
        f"The lead time per good is world-wide; per designer it is the designer's cycle plus its"
        f" backlog ahead over what it can make now, and per buyer region the designers' lead"
        f" times weighted by what the region still waits for at each. A lead time at"
        f" {cap_text} means an {CAP_MEANING}.{over}{gaps} {SHOCK_NOTE}",
    )
    return fig


def plot_lead_times(
    ds: xr.Dataset, path: str | Path, formats: Sequence[str] = FORMATS
) -> list[Path]:
    """Write :func:`draw_lead_times` of ``ds`` as ``<path>.png`` and ``<path>.svg``.

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
    return save(draw_lead_times(ds), path, formats=formats)
