"""Cloud market shares per region, stacked over providers (and the outside option)."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from ecosim.viz._common import mark_shocks, replicates_of, save, subtitle


def plot_market_shares(ds: xr.Dataset, path: str | Path) -> list[Path]:
    """Write one stacked-area panel per region of ``market_share`` over time.

    With replicates the panels show the replicate mean (shares still sum to one).
    """
    shares = replicates_of(ds["market_share"]).mean("replicate")
    regions = [str(r) for r in ds["region"].values]
    providers = [str(p) for p in ds["provider"].values]
    ncols = min(3, len(regions))
    nrows = math.ceil(len(regions) / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(4.2 * ncols, 2.8 * nrows + 1.0), squeeze=False, sharey=True
    )
    colours = plt.get_cmap("tab10")(np.linspace(0, 1, 10))
    for idx, region in enumerate(regions):
        ax = axes[idx // ncols, idx % ncols]
        data = shares.sel(region=region).transpose("provider", "time").values
        ax.stackplot(
            ds["time"].values,
            data,
            labels=providers,
            colors=[colours[i % 10] for i in range(len(providers))],
            linewidth=0,
        )
        mark_shocks(ax, ds)
        ax.set_title(
            f"{region} (HHI mean {float(replicates_of(ds['hhi']).sel(region=region).mean()):.2f})",
            fontsize=9,
        )
        ax.set_ylim(0, 1)
        ax.tick_params(axis="x", labelsize=7, rotation=30)
    for idx in range(len(regions), nrows * ncols):
        axes[idx // ncols, idx % ncols].set_visible(False)
    axes[0, 0].set_ylabel("market share")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(providers), 8), fontsize=7)
    n = int(replicates_of(ds["market_share"]).sizes["replicate"])
    mean = f" (mean of {n} replicates)" if n > 1 else ""
    fig.suptitle(f"Cloud market shares{mean}\n{subtitle(ds)}", fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 0.95))
    return save(fig, path)
