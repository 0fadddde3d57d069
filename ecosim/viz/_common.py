"""What every figure shares: the Agg backend, saving, shock markers and their key, bands,
period means and units.

Figures only read the dataset they are given: every helper here works on new arrays and never
assigns into ``ds`` or its variables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # figures are files; no display is needed or assumed

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
import yaml
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, ScalarFormatter
from numpy.typing import NDArray

from ecosim.core.units import SECONDS_PER_DAY
from ecosim.viz import FORMATS

#: Label of replicate bands; DESIGN.md asks that they never read as uncertainty over assumptions.
BAND_LABEL = "stochastic variability under fixed assumptions"

#: One colour per layer, the same in every figure.
LAYER_COLOURS: dict[str, str] = {
    "compute": "#1f77b4",
    "data": "#2ca02c",
    "software": "#9467bd",
    "models": "#ff7f0e",
    "operations": "#8c564b",
}

#: Colour of shock lines, shading and tags.
SHOCK_COLOUR = "crimson"

#: Series with more points than this are rasterised, so an SVG of a daily run stays small;
#: monthly series (121 points in ten years) stay vector graphics.
DENSE_POINTS = 200


def save(
    fig: Figure, path: str | Path, dpi: int = 120, formats: Sequence[str] = FORMATS
) -> list[Path]:
    """Write ``fig`` as ``<path>.png`` and ``<path>.svg`` (any suffix of ``path`` is replaced).

    Parameters
    ----------
    fig
        The figure; it is closed once written.
    path
        Target path; ``.png`` or ``.svg`` at its end is dropped.
    dpi
        Resolution of the PNG and of rasterised artists in the SVG.
    formats
        Which of the two to write (the HTML report embeds the PNG alone).

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.
    """
    base = Path(path)
    base = base.with_suffix("") if base.suffix.lower() in {".png", ".svg"} else base
    base.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix in (f".{fmt}" for fmt in formats):
        target = base.with_name(base.name + suffix)
        fig.savefig(target, dpi=dpi)
        written.append(target)
    plt.close(fig)
    return written


def replicates_of(da: xr.DataArray) -> xr.DataArray:
    """``da`` with a ``replicate`` dimension (a single run is one replicate)."""
    return da if "replicate" in da.dims else da.expand_dims(replicate=[0])


def n_replicates(ds: xr.Dataset) -> int:
    """Number of replicates of ``ds`` (1 for a single run)."""
    return int(ds.sizes.get("replicate", 1))


def dense(x: Any) -> bool:
    """True when a series of ``x`` points should be rasterised (see :data:`DENSE_POINTS`)."""
    return len(x) > DENSE_POINTS


def line_with_band(
    ax: Axes, x: Any, da: xr.DataArray, positive: bool = False, **style: Any
) -> None:
    """Median over replicates as a line, and the 5-95 % range as a band when there are several.

    Dense series (more than :data:`DENSE_POINTS` points) are rasterised. With ``positive``
    (for a log axis) values at or below zero are left as gaps after the statistics are taken.
    """
    reps = replicates_of(da).transpose("replicate", ...)
    values = np.asarray(reps.values, dtype=np.float64)
    style.setdefault("rasterized", dense(x))

    def shown(v: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.where(v > 0.0, v, np.nan) if positive else v

    ax.plot(x, shown(np.median(values, axis=0)), **style)
    if values.shape[0] > 1:
        low, high = np.quantile(values, [0.05, 0.95], axis=0)
        low, high = shown(low), shown(high)
        ax.fill_between(
            x,
            low,
            high,
            color=style.get("color"),
            alpha=0.2,
            linewidth=0,
            rasterized=style["rasterized"],
        )


def when(ds: xr.Dataset, day: float) -> np.datetime64:
    """The date of ``day`` days after the first recorded time of ``ds``."""
    return dates(ds, [day])[0]


def dates(ds: xr.Dataset, days: Any) -> NDArray[np.datetime64]:
    """:func:`when` of each of ``days``, reading ``ds``'s first time and day once."""
    origin = np.datetime64(ds["time"].values[0], "s")
    first = float(np.asarray(ds["day"].values, dtype=np.float64)[0])
    return np.array(
        [origin + np.timedelta64(round((float(d) - first) * SECONDS_PER_DAY), "s") for d in days],
        dtype="datetime64[s]",
    )


def date_text(ds: xr.Dataset, day: float) -> str:
    """``day`` as an ISO date (``YYYY-MM-DD``)."""
    return str(when(ds, day).astype("datetime64[D]"))


def scenario_setting(ds: xr.Dataset, *keys: str) -> Any:
    """A value of the scenario the result was run from, by its key path, or None if unknown.

    The scenario is read from the ``scenario_text`` attribute the run stored; a result without
    it (or without the key) gives None, and the caller says so instead of guessing.
    """
    text = ds.attrs.get("scenario_text", "")
    if not text:
        return None
    try:
        node: Any = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def recorded(ds: xr.Dataset) -> str:
    """How often ``ds`` was recorded, for captions: ``"daily"`` or ``"every 7 days"``."""
    days = np.asarray(ds["day"].values, dtype=np.float64)
    step = float(ds.attrs.get("interval_days", np.median(np.diff(days)) if days.size > 1 else 1))
    return "daily" if step == 1.0 else f"every {step:g} days"


@dataclass(frozen=True)
class Period:
    """How a recorded series is summarised per calendar period."""

    #: pandas frequency of the periods.
    freq: str
    #: Adjective for captions: ``"monthly"`` or ``"weekly"``.
    word: str


def period_for(ds: xr.Dataset) -> Period:
    """Monthly periods for runs of a year or more, weekly ones for shorter runs.

    A short run has too few months for a monthly line to show anything.
    """
    days = np.asarray(ds["day"].values, dtype=np.float64)
    span = float(days[-1] - days[0]) if days.size else 0.0
    # 360, not 365: a one-year run recorded daily spans 365 days, one with a coarser grid less
    return Period("MS", "monthly") if span >= 360.0 else Period("W-MON", "weekly")


def period_reduce(
    da: xr.DataArray,
    ds: xr.Dataset,
    how: str = "mean",
    skip_days: float = 0.0,
    period: Period | None = None,
) -> tuple[NDArray[np.datetime64], xr.DataArray]:
    """Summarise ``da`` (on ``ds``'s ``time``) per calendar period.

    Parameters
    ----------
    da
        A variable of ``ds`` with a ``time`` dimension (any other dimensions are kept).
    ds
        The dataset ``da`` comes from (for its ``day`` coordinate).
    how
        ``"mean"``, ``"median"`` or ``"max"`` over the recorded times of each period.
    skip_days
        Recorded times before ``day[0] + skip_days`` are left out (the caller states it).
    period
        The periods; by default :func:`period_for`.

    Returns
    -------
    tuple
        The centre of each period (the mean date of the times it holds, so a partial period sits
        where its data are) and the summarised array, with periods without data dropped.
    """
    period = period or period_for(ds)
    days = np.asarray(ds["day"].values, dtype=np.float64)
    keep = days >= days[0] + skip_days
    values = np.asarray(da.transpose("time", ...).values)[keep]
    times = ds["time"].values[keep]
    kept_days = days[keep]
    # The periods as xarray's resample makes them (pandas' bins, labels and closed sides);
    # the times are in order, so each period's times are one run of rows. Each run is
    # reduced with the function xarray's resample applies to a group, one period at a time
    # on the rows themselves: resample's groupby took about 0.1 s a series (120 months),
    # 40 s of the twelve figures of a ten-year report.
    counts = pd.Series(np.ones(times.size), index=pd.DatetimeIndex(times))
    counts = counts.resample(period.freq).count()
    per_period = counts.to_numpy()
    held = np.flatnonzero(per_period > 0)
    edges = np.concatenate([[0], np.cumsum(per_period)])
    reduce = _REDUCERS[how][values.dtype.kind in "fc"]
    reduced = np.array([reduce(values[edges[k] : edges[k + 1]], axis=0) for k in held]).reshape(
        held.size, *values.shape[1:]
    )
    centres = np.array([np.nanmean(kept_days[edges[k] : edges[k + 1]]) for k in held])
    x = dates(ds, centres)
    others = [d for d in da.dims if d != "time"]
    out = xr.DataArray(
        reduced,
        dims=("time", *others),
        coords={
            "time": counts.index.to_numpy()[held],
            **{d: da[d].values for d in others if d in da.coords},
        },
    )
    return x, out


#: What xarray's resample reduces a group with, by ``how`` and whether the series is of
#: floats (NaN-skipping) or not.
_REDUCERS: dict[str, tuple[Any, Any]] = {
    "mean": (np.mean, np.nanmean),
    "median": (np.median, np.nanmedian),
    "max": (np.max, np.nanmax),
}


#: Scales for axis units: a value is divided by the factor and its unit gets the word.
_SCALES: tuple[tuple[float, str], ...] = (
    (1e12, "trillion"),
    (1e9, "billion"),
    (1e6, "million"),
    (1e3, "thousand"),
)


def unit_scale(values: Any) -> tuple[float, str]:
    """A factor and its word (``1e6, "million"``) so the largest ``|value|`` reads as 1-999.

    Axes then show plain numbers with the word in their label, never a ``1e7`` offset.
    """
    arr = np.asarray(values, dtype=np.float64)
    top = float(np.nanmax(np.abs(arr))) if arr.size and np.isfinite(arr).any() else 0.0
    for factor, word in _SCALES:
        if top >= factor:
            return factor, word
    return 1.0, ""


def scaled_label(word: str, unit: str) -> str:
    """``"million H100e"`` from a scale word and a unit (the unit alone without a word)."""
    return f"{word} {unit}" if word else unit


def scale_y_axis(ax: Axes, unit: str, label: str = "") -> None:
    """Label the y axis in ``unit`` scaled to its top (``"million H100e"``), ticks 0-999.

    Call it once the limits are final: the scale is chosen from the top of the axis, so no
    tick reads 1000 or more and no ``1e6`` offset appears.
    """
    factor, word = unit_scale(max(abs(v) for v in ax.get_ylim()))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v / factor:g}"))
    ax.set_ylabel(f"{label} ({scaled_label(word, unit)})" if label else scaled_label(word, unit))


def headroom(ax: Axes, share: float = 0.2) -> None:
    """Raise the top of the y axis so the top ``share`` of the panel holds no data.

    The shock tags of :func:`mark_shocks` sit there and never cover a line.
    """
    low, high = ax.get_ylim()
    ax.set_ylim(low, low + (high - low) / (1.0 - share))


def plain_numbers(ax: Axes) -> None:
    """No offset or scientific notation on the axes' linear scales (the label has the unit)."""
    for axis in (ax.xaxis, ax.yaxis):
        formatter = axis.get_major_formatter()
        if isinstance(formatter, ScalarFormatter):
            formatter.set_useOffset(False)
            formatter.set_scientific(False)


def time_axis(ax: Axes) -> None:
    """Concise date ticks (years, or months for short runs) on the x axis."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))


@dataclass(frozen=True)
class ShockSpan:
    """One occurrence of a shock, in days since the start of the run."""

    sid: str
    #: Number of the shock in the figure's key (1, 2, ... in the order of first starts).
    number: int
    start: float
    #: None: the shock is permanent.
    end: float | None


def shock_spans(ds: xr.Dataset) -> list[tuple[str, float, float | None]]:
    """``(id, start, end or None)`` in days of every occurrence of each shock (replicate 0)."""
    if "shock_start" not in ds:
        return []
    start = replicates_of(ds["shock_start"]).isel(replicate=0).transpose("shock", ...)
    end = replicates_of(ds["shock_end"]).isel(replicate=0).transpose("shock", ...)
    spans: list[tuple[str, float, float | None]] = []
    for sid, starts, ends in zip(ds["shock"].values, start.values, end.values, strict=True):
        for s, e in zip(np.atleast_1d(starts), np.atleast_1d(ends), strict=True):
            if float(s) >= 0.0:
                spans.append((str(sid), float(s), float(e) if float(e) >= 0.0 else None))
    return spans


def numbered_spans(ds: xr.Dataset) -> list[ShockSpan]:
    """Every shock occurrence with the number of its shock in the key.

    Shocks are numbered in the order they first start, so tags read 1, 2, 3 left to right.
    """
    numbers: dict[str, int] = {}
    out = []
    for sid, start, end in sorted(shock_spans(ds), key=lambda span: span[1]):
        number = numbers.setdefault(sid, len(numbers) + 1)
        out.append(ShockSpan(sid, number, start, end))
    return out


def _tag_levels(spans: list[ShockSpan], ds: xr.Dataset) -> list[int]:
    # Tags of starts closer than 4 % of the run's length go one level down, so they never
    # overlap; three levels, then they cycle.
    days = np.asarray(ds["day"].values, dtype=np.float64)
    gap = 0.04 * max(float(days[-1] - days[0]), 1.0)
    levels: list[int] = []
    placed: list[tuple[float, int]] = []
    for span in spans:
        near = {lvl for x, lvl in placed if abs(x - span.start) < gap}
        level = next((lvl for lvl in range(3) if lvl not in near), len(placed) % 3)
        levels.append(level)
        placed.append((span.start, level))
    return levels


def mark_shocks(ax: Axes, ds: xr.Dataset, label: bool = False) -> None:
    """Mark every shock occurrence on a time axis: shade it only while it is active.

    A shock with an end is shaded from its start to its end (clipped to the run); a permanent
    shock gets only a dashed line at its start, since shading the rest of the run would read as
    a block of disruption rather than a changed regime. With ``label`` each start carries the
    shock's number in the key of :func:`shock_key` (``n→`` for a permanent one), staggered so
    that tags of close starts do not overlap.
    """
    days = np.asarray(ds["day"].values, dtype=np.float64)
    ax.xaxis_date()  # the positions below are Matplotlib date numbers
    spans = sorted(numbered_spans(ds), key=lambda s: s.start)
    for span, level in zip(spans, _tag_levels(spans, ds), strict=True):
        if span.start > days[-1]:
            continue
        t0 = float(mdates.date2num(when(ds, span.start)))
        ax.axvline(t0, color=SHOCK_COLOUR, linewidth=0.8, linestyle="--", zorder=1.5)
        if span.end is not None:
            t1 = float(mdates.date2num(when(ds, min(span.end, float(days[-1])))))
            ax.axvspan(t0, t1, color=SHOCK_COLOUR, alpha=0.08, linewidth=0, zorder=0.5)
        if label:
            ax.annotate(
                f"{span.number}" + ("→" if span.end is None else ""),
                (t0, 0.985 - 0.075 * level),
                xycoords=("data", "axes fraction"),
                xytext=(2, 0),
                textcoords="offset points",
                fontsize=7,
                va="top",
                ha="left",
                color=SHOCK_COLOUR,
            )


def shock_key(ds: xr.Dataset) -> list[tuple[Artist, str]]:
    """Legend entries of the shocks marked by :func:`mark_shocks`: a handle and a text each.

    The text gives the shock's number, id and when it is active, e.g. ``"1 us_chip_controls:
    from 2026-07-01, permanent"`` or ``"2 taiwan_fab: 2027-03-01 to 2027-08-28"``.
    """
    spans = numbered_spans(ds)
    entries: list[tuple[Artist, str]] = []
    for number in sorted({s.number for s in spans}):
        mine = [s for s in spans if s.number == number]
        first = mine[0]
        if len(mine) == 1:
            if first.end is None:
                when_text = f"from {date_text(ds, first.start)}, permanent"
            else:
                when_text = f"{date_text(ds, first.start)} to {date_text(ds, first.end)}"
        else:
            permanent = any(s.end is None for s in mine)
            when_text = f"{len(mine)} occurrences from {date_text(ds, first.start)}" + (
                ", the last permanent" if permanent else ""
            )
        handle: Artist
        if all(s.end is None for s in mine):
            handle = Line2D([], [], color=SHOCK_COLOUR, linestyle="--", linewidth=0.8)
        else:
            handle = Patch(
                facecolor=SHOCK_COLOUR, alpha=0.25, edgecolor=SHOCK_COLOUR, linestyle="--"
            )
        entries.append((handle, f"{number} {first.sid}: {when_text}"))
    return entries


SHOCK_NOTE = (
    "Shocks: shaded while active; a permanent shock is a dashed line at its start (n→), not shaded."
)


def subtitle(ds: xr.Dataset, bands: bool = True) -> str:
    """Scenario, shocks and replicate count, for figure titles (``bands``: the figure draws
    replicate bands and the title says what they are)."""
    n = n_replicates(ds)
    band = f", band: {BAND_LABEL} (5-95 %)" if bands else ""
    reps = f"; {n} replicates{band}" if n > 1 else ""
    return f"{ds.attrs.get('scenario_name', '')} — shocks: {ds.attrs.get('shocks', 'none')}{reps}"


#: Legend block of :func:`lay_out`: handles, their labels and the number of columns.
Key = tuple[list[Artist], list[str], int]


def lay_out(fig: Figure, title: str, keys: list[Key], caption: str) -> None:
    """Put the title on top, then the panels, then the legends and the caption below them.

    Legends and caption are measured once drawn, so the panels get exactly the room left and
    nothing overlaps, whatever the number of shocks or lines.

    Parameters
    ----------
    fig
        A figure whose panels are drawn.
    title
        Figure title (may hold a newline).
    keys
        Legend blocks, top to bottom; empty blocks are skipped.
    caption
        Text under the legends, wrapped to the figure's width.
    """
    import textwrap

    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    width_in, height_in = fig.get_size_inches()
    chars = int(width_in * 15)  # about 15 characters of 7-point text per inch
    lines = [textwrap.fill(p, chars) for p in caption.split("\n") if p]
    text = fig.text(0.01, 0.004, "\n".join(lines), fontsize=7, va="bottom", ha="left")
    y = text.get_window_extent(renderer).height / fig.dpi / height_in + 0.006
    for handles, labels, ncol in reversed(keys):
        if not handles:
            continue
        legend = fig.legend(
            handles,
            labels,
            loc="lower center",
            bbox_to_anchor=(0.5, y),
            ncol=max(1, min(ncol, len(handles))),
            fontsize=7,
            frameon=False,
        )
        y += legend.get_window_extent(renderer).height / fig.dpi / height_in
    # tight_layout keeps the panels clear of the suptitle itself
    fig.suptitle(title, fontsize=10, y=0.995, va="top")
    fig.tight_layout(rect=(0.0, y, 1.0, 1.0))
