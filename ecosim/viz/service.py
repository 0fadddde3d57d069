"""Share of demand met per layer over time, with the absolute compute shortfall beside it."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import xarray as xr

from ecosim.viz._common import (
    BAND_LABEL,
    LAYER_COLOURS,
    line_with_band,
    mark_shocks,
    replicates_of,
    save,
    subtitle,
)


def plot_service(ds: xr.Dataset, path: str | Path) -> list[Path]:
    """Write the service figure: one row per region.

    Left: the share of demand met per layer (line: the run, median over replicates; band: 5-95 %
    over replicates, labelled as stochastic variability under fixed assumptions; shaded: shocks).
    Right: the absolute compute shortfall, demand minus served, in H100e (served = demand x
    the compute share met, the same windowed measure as the service level), for the run and
    its no-shock twin (the twin's shortfall is growth outrunning capacity, not the shock).
    """
    regions = [str(r) for r in ds["region"].values]
    layers = [str(x) for x in ds["layer"].values]
    times = ds["time"].values
    fig, axes = plt.subplots(
        len(regions), 2, figsize=(12, 2.2 * len(regions) + 1.2), squeeze=False, sharex=True
    )
    # demand - served with served = demand x the compute share met: the same windowed measure
    # the service level uses, so the two panels agree and the queue's warm-up is not mistaken
    # for a shortfall.
    shortfall = ds["demand"] * (1.0 - ds["service"].sel(layer="compute"))
    for i, region in enumerate(regions):
        ax = axes[i, 0]
        for layer in layers:
            line_with_band(
                ax,
                times,
                ds["service"].sel(region=region, layer=layer),
                color=LAYER_COLOURS.get(layer),
                label=layer,
                linewidth=1.0,
            )
        mark_shocks(ax, ds, label=i == 0)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel(f"{region}\nshare of demand met")
        ax2 = axes[i, 1]
        line_with_band(
            ax2,
            times,
            shortfall.sel(region=region),
            color="black",
            label="run",
            linewidth=1.0,
        )
        if "service_twin" in ds:
            # The twin's shortfall is what growth alone leaves unmet (demand is the same in both).
            twin_short = ds["demand"].sel(region=region) * (
                1.0 - ds["service_twin"].sel(region=region, layer="compute")
            )
            line_with_band(
                ax2, times, twin_short, color="grey", linestyle=":", label="no-shock twin"
            )
        mark_shocks(ax2, ds)
        ax2.set_ylabel("compute shortfall (H100e)")
        if i == 0:
            ax.legend(fontsize=7, ncol=5, loc="lower left")
            ax2.legend(fontsize=7, loc="upper left")
    n = int(replicates_of(ds["service"]).sizes["replicate"])
    note = f"Bands: {BAND_LABEL} (5-95 % over {n} replicates)." if n > 1 else "One replicate."
    fig.suptitle(f"Share of demand met and compute shortfall\n{subtitle(ds)}", fontsize=10)
    fig.text(
        0.01,
        0.005,
        f"{note} Shaded: every shock occurrence. Shortfall = demand - served (H100e),"
        " served = demand x compute share met.",
        fontsize=7,
    )
    fig.tight_layout(rect=(0, 0.02, 1, 0.97))
    return save(fig, path)
