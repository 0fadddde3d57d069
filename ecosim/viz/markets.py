"""Cloud market shares per region, stacked over providers (and the outside option)."""

from __future__ import annotations

import colorsys
import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import xarray as xr
from matplotlib.artist import Artist
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ecosim.viz import FORMATS
from ecosim.viz._common import (
    SHOCK_NOTE,
    dense,
    lay_out,
    mark_shocks,
    n_replicates,
    save,
    shock_key,
    subtitle,
    time_axis,
)

#: The outside option (own capacity or going without) is not a provider: neutral grey.
OUTSIDE = "outside"
OUTSIDE_COLOUR = "#a0a0a0"


def _palette() -> list[str]:
    # tab20's strong colours, then its light ones, leaving out its two greys (kept for the
    # outside option): 18 colours that differ in hue or lightness.
    tab20 = [to_hex(c) for c in plt.get_cmap("tab20").colors]  # type: ignore[attr-defined]
    strong = [c for i, c in enumerate(tab20) if i % 2 == 0 and i != 14]
    light = [c for i, c in enumerate(tab20) if i % 2 == 1 and i != 15]
    return strong + light


def provider_colours(providers: list[str]) -> dict[str, str]:
    """A distinct colour for every provider, the outside option in neutral grey.

    Parameters
    ----------
    providers
        Provider names in the order of the result's ``provider`` coordinate.

    Returns
    -------
    dict of str to str
        Hex colour per provider, pairwise different; colours follow the order of
        ``providers``, so the same scenario always gets the same colours.
    """
    palette = _palette()
    named = [p for p in providers if p != OUTSIDE]
    extra = max(0, len(named) - len(palette))
    # Beyond the palette, evenly spaced hues at a lightness no palette colour has.
    palette += [to_hex(colorsys.hls_to_rgb(k / extra, 0.3, 0.9)) for k in range(extra)]
    colours = {p: palette[i] for i, p in enumerate(named)}
    if OUTSIDE in providers:
        colours[OUTSIDE] = OUTSIDE_COLOUR
    return colours


def draw_market_shares(ds: xr.Dataset) -> Figure:
    """Draw one stacked-area panel per region of ``market_share`` over time.

    Every provider has its own colour and the outside option (own capacity or going without)
    is grey. With replicates the panels show the replicate mean (shares still sum to one).
    Daily areas are rasterised, so the SVG stays small.

    Parameters
    ----------
    ds
        A result of ``ecosim run`` (with or without replicates); it is not modified.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, open; :func:`ecosim.viz._common.save` writes and closes it.
    """
    shares = ds["market_share"]
    if "replicate" in shares.dims:
        shares = shares.mean("replicate")
    hhi = ds["hhi"].mean("replicate") if "replicate" in ds["hhi"].dims else ds["hhi"]
    regions = [str(r) for r in ds["region"].values]
    providers = [str(p) for p in ds["provider"].values]
    colours = provider_colours(providers)
    times = ds["time"].values
    ncols = min(3, len(regions))
    nrows = math.ceil(len(regions) / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(4.4 * ncols + 0.6, 2.5 * nrows + 2.4), squeeze=False, sharey=True
    )
    flat = [ax for row in axes for ax in row]
    for ax, region in zip(flat, regions, strict=True):
        data = shares.sel(region=region).transpose("provider", "time").values
        areas = ax.stackplot(
            times,
            data,
            colors=[colours[p] for p in providers],
            edgecolor="white",
            linewidth=0.2,
        )
        for area in areas:
            area.set_rasterized(dense(times))
        mark_shocks(ax, ds, label=True)
        ax.set_title(
            f"{region} (HHI, time mean: {float(hhi.sel(region=region).mean()):.2f})", fontsize=9
        )
        # shares end at 1.0; the room above holds the shock tags
        ax.set_ylim(0.0, 1.15)
        ax.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0], ["0", "25 %", "50 %", "75 %", "100 %"])
        ax.tick_params(labelsize=7)
        time_axis(ax)
    for ax in flat[len(regions) :]:
        ax.set_visible(False)
    for ax in flat[::ncols]:
        ax.set_ylabel("share of cloud workload", fontsize=8)
    handles: list[Artist] = [Patch(facecolor=colours[p]) for p in providers]
    labels = [
        "outside (own capacity or none)" if p == OUTSIDE else p.replace("_", " ") for p in providers
    ]
    shocks = shock_key(ds)
    n = n_replicates(ds)
    mean = f" (mean of {n} replicates)" if n > 1 else ""
    lay_out(
        fig,
        f"Cloud market shares{mean}\n{subtitle(ds, bands=False)}",
        [
            (handles, labels, 6),
            ([h for h, _ in shocks], [t for _, t in shocks], 2),
        ],
        f"Share of each region's cloud workload per provider, stacked with {labels[0]} at the"
        f" bottom and {labels[-1]} at the top. HHI: Herfindahl index of concentration (0-1;"
        f" higher is more concentrated). {SHOCK_NOTE}",
    )
    return fig


def plot_market_shares(
    ds: xr.Dataset, path: str | Path, formats: Sequence[str] = FORMATS
) -> list[Path]:
    """Write :func:`draw_market_shares` of ``ds`` as ``<path>.png`` and ``<path>.svg``.

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
    return save(draw_market_shares(ds), path, formats=formats)
