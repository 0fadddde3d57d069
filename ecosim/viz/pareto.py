"""Portfolios compared: resilience gained against cost, with the Pareto front and the chosen
one, and the gains and gain per unit of extra cost by horizon."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from ecosim.viz import FORMATS
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


def plot_cost_resilience(
    cmp: xr.Dataset, path: str | Path, formats: Sequence[str] = FORMATS
) -> list[Path]:
    """Write :func:`draw_cost_resilience` of ``cmp`` as ``<path>.png`` and ``<path>.svg``.

    Parameters
    ----------
    cmp
        A comparison from :func:`ecosim.compare`; it is not modified.
    path
        Target path without suffix.
    formats
        Which files to write: ``png``, ``svg`` or both (:data:`~ecosim.viz.FORMATS`).

    Returns
    -------
    list of Path
        The files written: the PNG and the SVG, or those ``formats`` names.
    """
    return save(draw_cost_resilience(cmp), path, formats=formats)


def draw_gains_by_horizon(cmp: xr.Dataset) -> Figure:
    """Draw what each portfolio gains by each horizon, and per unit of its extra cost.

    Left: the resilience gained against the reference up to 1 January of each horizon year
    (median over replicates, bars 5-95 %). Right: that median gain per billion USD a year of
    median extra cost to then; a portfolio that spends no more than the reference by then is
    marked "no extra cost" instead of a bar.

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
    years = [int(y) for y in cmp["horizon_year"].values]
    ref = str(cmp.attrs.get("reference", ""))
    others = [i for i, n in enumerate(names) if n != ref]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.8))
    width = 0.8 / max(len(others), 1)
    x = np.arange(len(years), dtype=float)
    q = cmp["gain_at_horizon_q"].values  # portfolio, horizon, quantile
    per = cmp["gain_per_cost"].values
    defined = cmp["gain_per_cost_defined"].values.astype(bool)
    for k, i in enumerate(others):
        at = x - 0.4 + width * (k + 0.5)
        med = q[i, :, 1]
        left.bar(at, med, width, label=names[i])
        left.errorbar(
            at, med, yerr=[med - q[i, :, 0], q[i, :, 2] - med], fmt="none", ecolor="k", capsize=2
        )
        shown = np.where(defined[i], per[i], 0.0)
        right.bar(at, shown, width, label=names[i])
        for h in np.flatnonzero(~defined[i]):
            right.annotate(
                "no extra\ncost",
                (at[h], 0.0),
                ha="center",
                va="bottom",
                fontsize=6,
                rotation=90,
            )
    for ax in (left, right):
        ax.set_xticks(x)
        ax.set_xticklabels([f"by {y}" for y in years])
        ax.axhline(0.0, color="black", linewidth=0.5)
    left.set_ylabel(f"resilience gained vs {ref} (days)")
    left.set_title("Gain up to 1 January of each year (median, bars 5-95 %)", fontsize=9)
    right.set_ylabel("days gained per billion USD/yr of extra cost")
    right.set_title("Gain per unit of extra cost to then (medians)", fontsize=9)
    left.legend(fontsize=7, loc="upper left")
    fig.suptitle(
        f"Portfolios against {ref} by horizon ({cmp.attrs.get('replicates', 1)} replicates, "
        f"regions: {cmp.attrs.get('regions', 'all')})",
        fontsize=10,
    )
    fig.text(
        0.01,
        0.01,
        "Gain: the reference's resilience loss (days of full service lost against the no-shock "
        "twin) minus the portfolio's, in the same futures. Extra cost: mean yearly spending "
        "above the reference's from the start to the horizon.",
        fontsize=7,
        wrap=True,
    )
    fig.tight_layout(rect=(0, 0.05, 1, 0.95))
    return fig


def plot_gains_by_horizon(
    cmp: xr.Dataset, path: str | Path, formats: Sequence[str] = FORMATS
) -> list[Path]:
    """Write :func:`draw_gains_by_horizon` of ``cmp`` as ``<path>.png`` and ``<path>.svg``.

    Parameters
    ----------
    cmp
        A comparison from :func:`ecosim.compare`; it is not modified.
    path
        Target path without suffix.
    formats
        Which files to write: ``png``, ``svg`` or both (:data:`~ecosim.viz.FORMATS`).

    Returns
    -------
    list of Path
        The files written: the PNG and the SVG, or those ``formats`` names.
    """
    return save(draw_gains_by_horizon(cmp), path, formats=formats)
