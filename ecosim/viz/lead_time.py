"""Lead times of the supply chain's goods over time, with the capped (embargo) stretches."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from ecosim.viz._common import line_with_band, mark_shocks, replicates_of, save, subtitle


def plot_lead_times(ds: xr.Dataset, path: str | Path) -> list[Path]:
    """Write the lead-time curves, one line per good; crosses where the lead time is capped."""
    goods = [str(g) for g in ds["good"].values]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    colours = plt.get_cmap("tab10")(np.linspace(0, 1, 10))
    times = ds["time"].values
    for i, good in enumerate(goods):
        line_with_band(ax, times, ds["lead_time"].sel(good=good), color=colours[i % 10], label=good)
        if "lead_time_capped" in ds:
            capped = replicates_of(ds["lead_time_capped"].sel(good=good)).any("replicate").values
            if capped.any():
                level = replicates_of(ds["lead_time"].sel(good=good)).median("replicate").values
                ax.plot(times[capped], level[capped], "x", color=colours[i % 10], markersize=3)
    mark_shocks(ax, ds, label=True)
    ax.set_ylabel("lead time (days)")
    ax.legend(fontsize=8, ncol=len(goods))
    ax.set_title(f"Order-to-delivery lead time (x: at its cap)\n{subtitle(ds)}", fontsize=10)
    fig.tight_layout()
    return save(fig, path)
