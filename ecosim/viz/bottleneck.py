"""The bottleneck heatmap: the first picture a planner sees.

Cells are coloured by the raw resilience loss on one scale shared by every region, so a region
with trivial losses never shows a red cell just because its losses were normalised; each cell
is annotated with the layer's share of the region's loss and the loss itself. The scale is
logarithmic (linear near zero, since zero losses occur): losses span from hours to years, and on
a linear scale the largest one would leave every other cell the same pale colour.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # figures are files; no display is needed or assumed

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.colors import SymLogNorm
from matplotlib.figure import Figure
from numpy.typing import NDArray

#: Losses below this many days are on the linear part of the colour scale (zero is white).
LINEAR_BELOW_DAYS = 0.1


def loss_norm(values: NDArray[np.float64]) -> SymLogNorm:
    """The heatmap's colour scale: logarithmic above :data:`LINEAR_BELOW_DAYS`, from 0 to the
    largest loss (at least 1 day, so a run with tiny losses is not painted dark).

    Negative losses (the run slightly better than its twin) are clipped to white; their cells
    still print the number.
    """
    top = max(float(np.nanmax(values)) if np.size(values) else 0.0, 1.0)
    return SymLogNorm(linthresh=LINEAR_BELOW_DAYS, linscale=0.5, vmin=0.0, vmax=top, base=10)


def draw_bottleneck(ds: xr.Dataset) -> Figure:
    """Draw the bottleneck heatmap of ``ds`` (region x layer).

    Parameters
    ----------
    ds
        Holds ``resilience_loss``, ``bottleneck`` and ``most_fragile_layer`` of one run, or
        their replicate-mean versions from :func:`ecosim.observe.summary.bottleneck_view`;
        it is not modified.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, open; the caller saves and closes it.
    """
    rl = ds["resilience_loss"].transpose("region", "layer")
    share = ds["bottleneck"].transpose("region", "layer").values
    regions = [str(r) for r in rl["region"].values]
    layers = [str(x) for x in rl["layer"].values]
    values = rl.values
    fig, ax = plt.subplots(figsize=(1.6 * len(layers) + 2.5, 0.5 * len(regions) + 2.2))
    norm = loss_norm(values)
    im = ax.imshow(values, cmap="Reds", norm=norm, aspect="auto")
    for i in range(len(regions)):
        for j in range(len(layers)):
            dark = float(norm(values[i, j])) > 0.6
            ax.text(
                j,
                i,
                f"{share[i, j]:.0%}\n{_days(values[i, j])} d",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if dark else "black",
            )
    fragile = ds["most_fragile_layer"].values
    ax.set_xticks(range(len(layers)), layers)
    ax.set_yticks(
        range(len(regions)), [f"{r} ({f})" for r, f in zip(regions, fragile, strict=True)]
    )
    ax.set_xlabel("layer")
    ax.set_ylabel("region (most fragile layer)")
    shocks = ds.attrs.get("shocks", "")
    n = int(ds.attrs.get("replicates", 1))
    # Over replicates the cells are the replicate mean of RL, normalised per region.
    mean = f" (replicate mean of {n})" if n > 1 else ""
    ax.set_title(
        f"Bottleneck matrix{mean} — {ds.attrs.get('scenario_name', '')}\nshocks: {shocks}",
        fontsize=10,
    )
    bar = fig.colorbar(im, ax=ax)
    # Decades as plain numbers of days (0, 0.1, 1, 10, ...), not 10^x.
    top = float(norm.vmax) if norm.vmax is not None else 1.0
    ticks = [0.0] + [10.0**k for k in range(-1, int(np.floor(np.log10(top))) + 1)]
    bar.set_ticks(ticks, labels=[f"{t:g}" for t in ticks])
    bar.set_label("resilience loss vs no-shock twin\n(days of full service lost, log scale)")
    fig.text(
        0.01,
        0.01,
        "Cell: share of the region's loss in that layer, and the loss in days. Colour: raw loss on"
        f" one logarithmic scale for all regions (linear below {LINEAR_BELOW_DAYS:g} d, so 0 is"
        " white).",
        fontsize=7,
    )
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


def plot_bottleneck(ds: xr.Dataset, path: str | Path, dpi: int = 150) -> Path:
    """Write the bottleneck heatmap of ``ds`` (region x layer) to ``path`` (PNG or SVG).

    Parameters
    ----------
    ds
        Holds ``resilience_loss``, ``bottleneck`` and ``most_fragile_layer`` of one run, or
        their replicate-mean versions from :func:`ecosim.observe.summary.bottleneck_view`;
        it is not modified.
    path
        The file to write; its suffix chooses the format.
    dpi
        Resolution of a PNG.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    image = bottleneck_image(ds, path.suffix.lstrip(".").lower(), dpi)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(image)
    return path


def bottleneck_image(ds: xr.Dataset, fmt: str = "png", dpi: int = 150) -> bytes:
    """The bottleneck heatmap of ``ds`` as the bytes of a ``fmt`` file, written nowhere.

    What :func:`plot_bottleneck` writes, for a caller that writes the file itself (``ecosim
    run`` draws it while the run's result is being written, and writes it after).

    Parameters
    ----------
    ds
        As for :func:`plot_bottleneck`; it is not modified.
    fmt
        ``"png"`` or ``"svg"``.
    dpi
        Resolution of a PNG.
    """
    fig = draw_bottleneck(ds)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def _days(value: float) -> str:
    if abs(value) < 0.01:
        # below a quarter of an hour of full service; 2.5e-09 would only distract
        return "<0.01" if value > 0 else "0" if value == 0 else "≈0"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.2g}"
