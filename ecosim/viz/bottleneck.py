"""The bottleneck heatmap: the first picture a planner sees.

Cells are coloured by the raw resilience loss on one scale shared by every region, so a region
with trivial losses never shows a red cell just because its losses were normalised; each cell
is annotated with the layer's share of the region's loss and the loss itself.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # figures are files; no display is needed or assumed

import matplotlib.pyplot as plt
import xarray as xr


def plot_bottleneck(ds: xr.Dataset, path: str | Path, dpi: int = 150) -> Path:
    """Write the bottleneck heatmap of ``ds`` (region x layer) to ``path`` (PNG or SVG).

    ``ds`` holds ``resilience_loss``, ``bottleneck`` and ``most_fragile_layer`` of one run, or
    their replicate-mean versions from :func:`ecosim.observe.summary.bottleneck_view`.
    """
    path = Path(path)
    rl = ds["resilience_loss"].transpose("region", "layer")
    share = ds["bottleneck"].transpose("region", "layer").values
    regions = [str(r) for r in rl["region"].values]
    layers = [str(x) for x in rl["layer"].values]
    values = rl.values
    fig, ax = plt.subplots(figsize=(1.6 * len(layers) + 2.5, 0.5 * len(regions) + 2.2))
    vmax = max(float(values.max()), 1e-9)
    im = ax.imshow(values, cmap="Reds", vmin=0.0, vmax=vmax, aspect="auto")
    for i in range(len(regions)):
        for j in range(len(layers)):
            dark = values[i, j] > 0.6 * vmax
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
    bar.set_label("resilience loss vs no-shock twin (days of full service lost)")
    fig.text(
        0.01,
        0.01,
        "Cell: share of the region's loss in that layer, and the loss in days. Colour: raw loss,"
        " one scale for all regions.",
        fontsize=7,
    )
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def _days(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.2g}"
