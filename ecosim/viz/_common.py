"""What every figure shares: the Agg backend, saving as PNG and SVG, shock markers, bands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # figures are files; no display is needed or assumed

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

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


def save(fig: Figure, path: str | Path, dpi: int = 120) -> list[Path]:
    """Write ``fig`` as ``<path>.png`` and ``<path>.svg`` (any suffix of ``path`` is replaced).

    Returns
    -------
    list of Path
        The PNG and the SVG written.
    """
    base = Path(path)
    base = base.with_suffix("") if base.suffix.lower() in {".png", ".svg"} else base
    base.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix in (".png", ".svg"):
        target = base.with_name(base.name + suffix)
        fig.savefig(target, dpi=dpi)
        written.append(target)
    plt.close(fig)
    return written


def replicates_of(da: xr.DataArray) -> xr.DataArray:
    """``da`` with a ``replicate`` dimension (a single run is one replicate)."""
    return da if "replicate" in da.dims else da.expand_dims(replicate=[0])


def line_with_band(ax: Axes, x: Any, da: xr.DataArray, **style: Any) -> None:
    """Median over replicates as a line, and the 5-95 % range as a band when there are several."""
    reps = replicates_of(da).transpose("replicate", ...)
    values = np.asarray(reps.values, dtype=np.float64)
    ax.plot(x, np.median(values, axis=0), **style)
    if values.shape[0] > 1:
        low, high = np.quantile(values, [0.05, 0.95], axis=0)
        ax.fill_between(x, low, high, color=style.get("color"), alpha=0.2, linewidth=0)


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


def mark_shocks(ax: Axes, ds: xr.Dataset, label: bool = False) -> None:
    """Shade every occurrence of each shock and draw a line at its start."""
    days = np.asarray(ds["day"].values, dtype=np.float64)
    origin = np.datetime64(ds["time"].values[0], "s")

    def when(day: float) -> Any:
        return origin + np.timedelta64(round(day * 86400.0), "s")

    for sid, start, end in shock_spans(ds):
        t0 = when(start)
        t1 = when(days[-1] if end is None else min(end, days[-1]))
        ax.axvline(t0, color="crimson", linewidth=0.8, linestyle="--")
        ax.axvspan(t0, t1, color="crimson", alpha=0.06)
        if label:
            ax.annotate(
                sid,
                (t0, 1.0),
                xycoords=("data", "axes fraction"),
                rotation=90,
                fontsize=6,
                va="top",
                ha="right",
                color="crimson",
            )


def subtitle(ds: xr.Dataset) -> str:
    """Scenario, shocks and replicate count, for figure titles."""
    n = int(ds.sizes.get("replicate", 1))
    reps = f"; {n} replicates, band: {BAND_LABEL} (5-95 %)" if n > 1 else ""
    return f"{ds.attrs.get('scenario_name', '')} — shocks: {ds.attrs.get('shocks', 'none')}{reps}"
