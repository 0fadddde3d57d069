"""Resilience gained against cost per portfolio, with the Pareto front and the chosen one."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from ecosim.viz._common import BAND_LABEL, save


def draw_cost_resilience(cmp: xr.Dataset) -> Figure:
    """Draw the cost-resilience figure of a comparison from :func:`ecosim.compare`.

    Points: medians over replicates; bars: 5-95 % over replicates (stochastic variability under
    fixed assumptions). Line: the Pareto front; star: the minimax-regret choice; dotted: budget.

    Parameters
    ----------
    cmp
        A comparison from :func:`ecosim.compare`; it is not modified.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, open; :func:`ecosim.viz._common.save` writes and closes it.
    """
    names = [str(p) for p in cmp["portfolio"].values]
    cost = cmp["cost_q"].values / 1e9
    gain = cmp["gain_q"].values
    front = cmp["pareto"].values.astype(bool)
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.errorbar(
        cost[:, 1],
        gain[:, 1],
        xerr=[cost[:, 1] - cost[:, 0], cost[:, 2] - cost[:, 1]],
        yerr=[gain[:, 1] - gain[:, 0], gain[:, 2] - gain[:, 1]],
        fmt="o",
        color="tab:blue",
        ecolor="lightsteelblue",
        capsize=3,
        label=f"median, bars 5-95 %: {BAND_LABEL}",
    )
    for i, name in enumerate(names):
        ax.annotate(name, (cost[i, 1], gain[i, 1]), textcoords="offset points", xytext=(5, 5))
    if front.any():
        order = np.argsort(cost[front, 1])
        ax.plot(
            cost[front, 1][order],
            gain[front, 1][order],
            "-",
            color="tab:green",
            label="Pareto front",
        )
    choice = cmp.attrs.get("minimax_regret_choice", "none")
    if choice in names:
        i = names.index(choice)
        ax.plot(
            cost[i, 1],
            gain[i, 1],
            "*",
            markersize=16,
            color="gold",
            markeredgecolor="k",
            label=f"minimax-regret choice: {choice}",
        )
    budget = float(cmp.attrs.get("budget_usd_per_year", -1.0))
    if budget > 0:
        ax.axvline(budget / 1e9, color="grey", linestyle=":", label="budget")
    ax.axhline(0.0, color="black", linewidth=0.5)
    ax.set_xlabel("mean cost over the run (billion USD 2024 per year)")
    ax.set_ylabel(f"resilience gained vs {cmp.attrs.get('reference', 'reference')} (days)")
    ax.set_title(
        f"Resilience gained against cost ({cmp.attrs.get('replicates', 1)} replicates, "
        f"regions: {cmp.attrs.get('regions', 'all')})",
        fontsize=10,
    )
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def plot_cost_resilience(cmp: xr.Dataset, path: str | Path) -> list[Path]:
    """Write :func:`draw_cost_resilience` of ``cmp`` as ``<path>.png`` and ``<path>.svg``.

    Parameters
    ----------
    cmp
        A comparison from :func:`ecosim.compare`; it is not modified.
    path
        Target path without suffix.

    Returns
    -------
    list of Path
        The PNG and the SVG.
    """
    return save(draw_cost_resilience(cmp), path)
