"""Figures of the counterfactual priorities: layer priority and the collaboration matrix.

Both use a diverging scale centred on zero: a counterfactual can cost resilience (an open
stack's performance overhead during a compute shock), and that must read differently from a
gain, not as a pale gain.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from numpy.typing import NDArray

from ecosim.viz import FORMATS
from ecosim.viz._common import save

#: Gains blue, losses red; the same map in both figures.
CMAP = "RdBu"


def _norm(*values: NDArray[np.float64]) -> Normalize:
    # one symmetric scale for every panel, so equal colours mean equal days
    top = max(max(float(np.abs(v).max()) for v in values if v.size), 1e-9)
    return Normalize(vmin=-top, vmax=top)


def _text_colour(value: float, norm: Normalize) -> str:
    top = float(norm.vmax) if norm.vmax is not None else 1.0
    return "white" if abs(value) > 0.6 * top else "black"


def _days(value: float) -> str:
    if abs(value) < 0.005:
        return "0"  # round-off and noise would otherwise print as 3e-16
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 1:
        return f"{value:.1f}"
    return f"{value:.2g}"


def _money(usd_per_year: float) -> str:
    bn = usd_per_year / 1e9
    return f"{bn:+.2f}" if abs(bn) >= 0.01 else f"{bn:+.1g}"


def draw_sovereignty_value(ds: xr.Dataset) -> Figure:
    """Draw the layer-priority heatmap (region x layer) of :func:`sovereignty_value`.

    Colour: resilience gained (days); each cell also shows the yearly cost of the
    counterfactual in billion USD. Rows are labelled with the baseline resilience loss so a
    gain reads against what there was to gain.

    Parameters
    ----------
    ds
        A result of :func:`sovereignty_value`; it is not modified.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, open; :func:`ecosim.viz._common.save` writes and closes it.
    """
    value = ds["sovereignty_value"].transpose("region", "layer").values
    cost = ds["sovereignty_cost"].transpose("region", "layer").values
    regions = [str(r) for r in ds["region"].values]
    layers = [str(x) for x in ds["layer"].values]
    rl = ds["rl_baseline"].values
    norm = _norm(value)
    fig, ax = plt.subplots(figsize=(1.7 * len(layers) + 3.0, 0.7 * len(regions) + 2.4))
    im = ax.imshow(value, cmap=CMAP, norm=norm, aspect="auto")
    for i in range(len(regions)):
        for j in range(len(layers)):
            ax.text(
                j,
                i,
                f"{_days(value[i, j])} d\n{_money(cost[i, j])} bn/yr",
                ha="center",
                va="center",
                fontsize=8,
                color=_text_colour(value[i, j], norm),
            )
    ax.set_xticks(range(len(layers)), layers)
    ax.set_yticks(
        range(len(regions)), [f"{r} (RL {_days(v)} d)" for r, v in zip(regions, rl, strict=True)]
    )
    ax.set_xlabel("layer made domestic (at its real price and performance)")
    ax.set_ylabel("region (baseline resilience loss)")
    n = int(ds.attrs.get("replicates", 1))
    ax.set_title(
        f"Layer priority — {ds.attrs.get('scenario_name', '')}, shocks: "
        f"{ds.attrs.get('shocks', 'none')}\nresilience gained, mean of {n} replicate(s)",
        fontsize=10,
    )
    bar = fig.colorbar(im, ax=ax)
    bar.set_label("resilience gained vs baseline (days, all layers)")
    fig.text(
        0.01,
        0.01,
        "Cell: days of resilience loss avoided and the change in yearly spending (USD bn, 2024)."
        " Red: the counterfactual loses resilience.",
        fontsize=7,
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def plot_sovereignty_value(
    ds: xr.Dataset, path: str | Path, formats: Sequence[str] = FORMATS
) -> list[Path]:
    """Write :func:`draw_sovereignty_value` of ``ds`` as ``<path>.png`` and ``<path>.svg``.

    Parameters
    ----------
    ds
        A result of :func:`sovereignty_value`; it is not modified.
    path
        Target path without suffix.
    formats
        Which files to write: ``png``, ``svg`` or both (:data:`~ecosim.viz.FORMATS`).

    Returns
    -------
    list of Path
        The files written: the PNG and the SVG, or those ``formats`` names.
    """
    return save(draw_sovereignty_value(ds), path, formats=formats)


def _matrix(ax: Axes, values: NDArray[np.float64], labels: list[str], norm: Normalize) -> AxesImage:
    im = ax.imshow(values, cmap=CMAP, norm=norm)
    n = len(labels)
    for i in range(n):
        for j in range(n):
            text = "–" if i == j else _days(values[i, j])
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=8,
                color=_text_colour(values[i, j], norm),
            )
    ax.set_xticks(range(n), labels)
    ax.set_yticks(range(n), labels)
    return im


def draw_alliance_gain(ds: xr.Dataset) -> Figure:
    """Draw the collaboration matrix of :func:`alliance_gain` beside its transpose.

    Left: what each region (row) gains from an alliance with each partner (column). Right: the
    transpose, what the partner gains from the same alliance, at the same place; on one colour
    scale, a cell dark on one side and pale on the other is a one-sided dependency.

    Parameters
    ----------
    ds
        A result of :func:`alliance_gain`; it is not modified.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, open; :func:`ecosim.viz._common.save` writes and closes it.
    """
    gain = ds["alliance_gain"].transpose("region", "partner").values
    labels = [str(r) for r in ds["region"].values]
    norm = _norm(gain)
    size = 0.7 * len(labels) + 2.0
    fig, axes = plt.subplots(
        1, 2, figsize=(2 * size + 1.5, size + 1.2), squeeze=False, layout="constrained"
    )
    left, right = axes[0]
    im = _matrix(left, gain, labels, norm)
    left.set_title("gain to region from partner", fontsize=9)
    left.set_ylabel("region")
    left.set_xlabel("partner")
    _matrix(right, gain.T, labels, norm)
    right.set_title("gain to partner from region", fontsize=9)
    right.set_ylabel("region")
    right.set_xlabel("partner")
    n = int(ds.attrs.get("replicates", 1))
    fig.suptitle(
        f"Capacity-sharing alliances — {ds.attrs.get('scenario_name', '')}, shocks: "
        f"{ds.attrs.get('shocks', 'none')}; mean of {n} replicate(s)",
        fontsize=10,
    )
    bar = fig.colorbar(im, ax=[left, right], shrink=0.8)
    bar.set_label("resilience gained vs baseline (days, all layers)")
    fig.text(
        0.01,
        0.01,
        "A partner lends only spare capacity, scaled by interoperability; the diagonal is 0 by "
        "construction.",
        fontsize=7,
    )
    return fig


def plot_alliance_gain(
    ds: xr.Dataset, path: str | Path, formats: Sequence[str] = FORMATS
) -> list[Path]:
    """Write :func:`draw_alliance_gain` of ``ds`` as ``<path>.png`` and ``<path>.svg``.

    Parameters
    ----------
    ds
        A result of :func:`alliance_gain`; it is not modified.
    path
        Target path without suffix.
    formats
        Which files to write: ``png``, ``svg`` or both (:data:`~ecosim.viz.FORMATS`).

    Returns
    -------
    list of Path
        The files written: the PNG and the SVG, or those ``formats`` names.
    """
    return save(draw_alliance_gain(ds), path, formats=formats)
