"""Compare strategy portfolios: resilience gained against cost, under common random numbers.

Each portfolio is a scenario file. Replicate ``k`` of every portfolio runs on the same streams
(same seed, same ``(future, replicate)`` spawn key, streams keyed by name), so the difference
between two portfolios in one replicate is the effect of their levers, not of luck: gains are
paired per replicate before their quantiles are taken.

* resilience gained = total resilience loss (days, summed over the chosen regions and the five
  layers) of the reference portfolio minus that of the portfolio, per replicate;
* cost = the mean over the run of ``cost`` summed over the chosen regions (USD/yr): the
  annualised cost (live capacity at capex / life + opex, cloud rent, levers), not the cash
  flow, so a build counts from when it is live;
* at dated horizons the loss is accumulated from the start up to 1 January of each year;
* the Pareto front is taken on the medians (more gain, less cost) among portfolios within the
  budget; the minimax-regret choice minimises, among them, the largest shortfall across
  replicates from the best portfolio of that replicate.

Each portfolio is a scenario file; its dated lever actions (``actions:``) make it a roadmap.
Every (portfolio, replicate) run goes to the executor as one cell and comes back reduced to its
losses and cost, so the comparison is the same on any executor and number of workers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from ecosim.kernels.metrics import resilience_loss
from ecosim.observe.summary import QUANTILES
from ecosim.scenario.loader import LoadedScenario
from ecosim.studies.cells import Cell, Progress, run_cells
from ecosim.world.costs import COST_ITEMS

if TYPE_CHECKING:
    from ecosim.experiments.executors import Executor

#: Default dated horizons (DESIGN.md: a build that delivers in 2031 does not help a 2027 plan).
DEFAULT_HORIZONS: tuple[int, ...] = (2026, 2028, 2030)


@dataclass(frozen=True)
class Portfolio:
    """A named scenario to compare."""

    name: str
    loaded: LoadedScenario
    source: str = ""


def loss_until(ds: xr.Dataset, until_day: float) -> NDArray[np.float64]:
    """Resilience loss (region, layer) in days accumulated from the start up to ``until_day``."""
    days = np.asarray(ds["day"].values, dtype=np.float64)
    keep = days <= until_day + 1e-9
    q = np.ascontiguousarray(ds["service"].transpose("time", "region", "layer").values[keep])
    twin = np.ascontiguousarray(
        ds["service_twin"].transpose("time", "region", "layer").values[keep]
    )
    return np.asarray(resilience_loss(q, twin, days[keep]))


def horizon_days(start: dt.date, years: Sequence[int]) -> dict[int, float]:
    """Days from ``start`` to 1 January of each year."""
    return {y: float((dt.date(y, 1, 1) - start).days) for y in years}


def pareto_front(gain: NDArray[np.float64], cost: NDArray[np.float64]) -> NDArray[np.bool_]:
    """True for the points no other point beats on both more gain and less cost.

    A point is dominated when another has gain at least as high and cost at least as low, and
    is strictly better in one of them.
    """
    n = gain.size
    front = np.ones(n, dtype=bool)
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            if (
                gain[j] >= gain[i]
                and cost[j] <= cost[i]
                and (gain[j] > gain[i] or cost[j] < cost[i])
            ):
                front[i] = False
                break
    return front


def minimax_regret(loss: NDArray[np.float64], feasible: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Largest regret over replicates of each portfolio, among the feasible ones.

    Parameters
    ----------
    loss : ndarray, shape (P, K)
        Total resilience loss of each portfolio in each replicate.
    feasible : ndarray of bool, shape (P,)
        Portfolios that may be chosen (within the budget).

    Returns
    -------
    ndarray, shape (P,)
        ``max_k (loss[p, k] - min_{q feasible} loss[q, k])``; ``-1`` for infeasible portfolios.
    """
    if not feasible.any():
        return np.full(loss.shape[0], -1.0)
    best = loss[feasible].min(axis=0)
    regret = (loss - best[None, :]).max(axis=1)
    return np.where(feasible, regret, -1.0)


@dataclass(frozen=True)
class PortfolioRun:
    """What a comparison keeps of one run of one portfolio.

    Attributes
    ----------
    rl_total
        Resilience loss summed over the chosen regions and the layers (d).
    rl_at_horizon
        The same, accumulated up to each horizon (d).
    cost
        Mean over the run of ``cost`` summed over the regions (USD/yr).
    cost_at_horizon
        Mean of the same from the start up to each horizon (USD/yr).
    cost_items
        Mean over the run of each part of ``cost`` (``cost_breakdown``), summed over the
        regions (USD/yr).
    """

    rl_total: float
    rl_at_horizon: NDArray[np.float64]
    cost: float
    cost_at_horizon: NDArray[np.float64]
    cost_items: NDArray[np.float64]


def portfolio_losses(
    ds: xr.Dataset, regions: Sequence[str] | None, until_days: Sequence[float]
) -> PortfolioRun:
    """What a comparison keeps of one run: losses and costs, over the run and to each horizon.

    Parameters
    ----------
    ds
        A result of :func:`ecosim.simulate` with its no-shock twin.
    regions
        Regions whose losses and costs count; all when ``None``.
    until_days
        Days from the start the loss and cost are accumulated up to.

    Returns
    -------
    PortfolioRun
        The run's losses and costs.
    """
    sel = ds if regions is None else ds.sel(region=list(regions))
    rl = float(sel["resilience_loss"].sum())
    rl_h = np.array([float(loss_until(sel, day).sum()) for day in until_days], dtype=np.float64)
    spent = sel["cost"].sum("region")
    days = np.asarray(ds["day"].values, dtype=np.float64)
    cost_h = np.array(
        [float(spent.values[days <= day + 1e-9].mean()) for day in until_days], dtype=np.float64
    )
    items = sel["cost_breakdown"].sum("region").mean("time").values.astype(np.float64)
    return PortfolioRun(rl, rl_h, float(spent.mean("time")), cost_h, items)


def compare(
    portfolios: Sequence[Portfolio],
    *,
    replicates: int = 1,
    reference: int = 0,
    budget: float | None = None,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    regions: Sequence[str] | None = None,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> xr.Dataset:
    """Run every portfolio for the same replicates and compare gain against cost.

    Parameters
    ----------
    portfolios
        The portfolios; they should share a seed so replicates share their streams.
    replicates
        Replicates per portfolio.
    reference
        Index of the portfolio gains are measured against.
    budget
        Largest median cost (USD/yr) a portfolio may have to be chosen; ``None``: no limit.
    horizons
        Years whose 1 January the loss is accumulated up to; those outside the run are left out.
    regions
        Regions whose losses and costs count; all by default.
    progress
        Called with a label (``"portfolio <name>, replicate k/n run"`` or ``... twin``) and
        the fraction of that run's simulated time done.
    executor
        An entered executor of :mod:`ecosim.experiments.executors` to run the portfolios'
        replicates on; by default one after another in this process. The result does not
        depend on it.

    Returns
    -------
    xarray.Dataset
        Dims ``portfolio``, ``replicate``, ``horizon_year``, ``quantile``: ``rl_total``,
        ``rl_at_horizon``, ``cost_mean``, ``gain``, ``gain_at_horizon`` per replicate, their
        quantiles (``*_q``), ``pareto``, ``within_budget``, ``regret``; attrs name the
        reference and the minimax-regret choice.

    Examples
    --------
    >>> import ecosim
    >>> ports = [  # doctest: +SKIP
    ...     ecosim.Portfolio(name, ecosim.load_scenario(path, seed=7))
    ...     for name, path in [("buy", "buy.yaml"), ("build", "build.yaml")]
    ... ]
    >>> cmp = ecosim.compare(ports, replicates=5)  # doctest: +SKIP
    >>> cmp["gain_q"].to_pandas()  # doctest: +SKIP
    """
    if not portfolios:
        raise ValueError("no portfolios to compare")
    for port in portfolios:
        if not port.loaded.scenario.recording.twin:
            raise ValueError(f"portfolio {port.name!r} has no no-shock twin (recording.twin)")
    first = portfolios[0].loaded.scenario
    dated = horizon_days(first.start, horizons)
    kept = [y for y, d in dated.items() if 0.0 < d <= first.horizon_days + 1e-9]
    n_p, n_k, n_h = len(portfolios), replicates, len(kept)
    rl = np.zeros((n_p, n_k))
    rl_h = np.zeros((n_p, n_k, n_h))
    cost = np.zeros((n_p, n_k))
    cost_h = np.zeros((n_p, n_k, n_h))
    items = np.zeros((n_p, n_k, len(COST_ITEMS)))
    cells = [
        Cell(port.loaded, 0, k, f"portfolio {port.name}, replicate {k + 1}/{n_k}")
        for port in portfolios
        for k in range(n_k)
    ]
    keep = partial(
        portfolio_losses,
        regions=None if regions is None else list(regions),
        until_days=[dated[year] for year in kept],
    )
    for i, run in enumerate(run_cells(cells, keep, executor, progress=progress)):
        p, k = divmod(i, n_k)
        rl[p, k] = run.rl_total
        rl_h[p, k, :] = run.rl_at_horizon
        cost[p, k] = run.cost
        cost_h[p, k, :] = run.cost_at_horizon
        items[p, k, :] = run.cost_items
    gain = rl[reference][None, :] - rl
    gain_h = rl_h[reference][None, :, :] - rl_h
    # paired per replicate, as the gains are: the same futures with and without the levers
    extra = cost - cost[reference][None, :]
    extra_h = cost_h - cost_h[reference][None, :, :]
    q = list(QUANTILES)
    gain_q = np.quantile(gain, q, axis=1).T
    cost_q = np.quantile(cost, q, axis=1).T
    extra_q = np.quantile(extra, q, axis=1).T
    median_gain_h = np.median(gain_h, axis=1) if n_h else np.zeros((n_p, 0))
    median_extra_h = np.median(extra_h, axis=1) if n_h else np.zeros((n_p, 0))
    # gain per unit of extra spending, where the portfolio spends more than the reference;
    # where it spends no more, the ratio means nothing (a gain for free, or a loss saved)
    per_cost_defined = median_extra_h > 0.0
    per_cost = np.divide(
        median_gain_h,
        median_extra_h / 1e9,
        out=np.zeros_like(median_gain_h),
        where=per_cost_defined,
    )
    median_gain, median_cost = gain_q[:, 1], cost_q[:, 1]
    within = np.ones(n_p, dtype=bool) if budget is None else median_cost <= budget
    front = np.zeros(n_p, dtype=bool)
    if within.any():
        front[within] = pareto_front(median_gain[within], median_cost[within])
    regret = minimax_regret(rl, within)
    choice = int(np.argmin(np.where(within, regret, np.inf))) if within.any() else -1
    names = np.array([port.name for port in portfolios], dtype=object)
    out = xr.Dataset(
        {
            "rl_total": (
                ("portfolio", "replicate"),
                rl,
                {"units": "d", "long_name": "resilience loss summed over regions and layers"},
            ),
            "rl_at_horizon": (
                ("portfolio", "replicate", "horizon_year"),
                rl_h,
                {"units": "d", "long_name": "resilience loss accumulated up to 1 January"},
            ),
            "cost_mean": (
                ("portfolio", "replicate"),
                cost,
                {"units": "USD/yr", "long_name": "mean spending rate over the run (USD 2024)"},
            ),
            "gain": (
                ("portfolio", "replicate"),
                gain,
                {"units": "d", "long_name": "resilience gained: reference loss minus this loss"},
            ),
            "gain_at_horizon": (
                ("portfolio", "replicate", "horizon_year"),
                gain_h,
                {"units": "d", "long_name": "resilience gained up to 1 January of the year"},
            ),
            "gain_q": (
                ("portfolio", "quantile"),
                gain_q,
                {"units": "d", "long_name": "quantiles of the resilience gained over replicates"},
            ),
            "gain_at_horizon_q": (
                ("portfolio", "horizon_year", "quantile"),
                np.moveaxis(np.quantile(gain_h, q, axis=1), 0, -1)
                if n_h
                else np.zeros((n_p, 0, len(q))),
                {"units": "d", "long_name": "quantiles of the resilience gained up to 1 January"},
            ),
            "cost_q": (
                ("portfolio", "quantile"),
                cost_q,
                {"units": "USD/yr", "long_name": "quantiles of the mean cost over replicates"},
            ),
            "cost_at_horizon": (
                ("portfolio", "replicate", "horizon_year"),
                cost_h,
                {"units": "USD/yr", "long_name": "mean spending rate from the start to 1 January"},
            ),
            "cost_breakdown": (
                ("portfolio", "replicate", "cost_item"),
                items,
                {
                    "units": "USD/yr",
                    "long_name": "mean spending rate over the run in its parts: own capital, "
                    "own running cost, cloud rent and each lever; the parts sum to cost_mean",
                },
            ),
            "incremental_cost_by_replicate": (
                ("portfolio", "replicate"),
                extra,
                {
                    "units": "USD/yr",
                    "long_name": "mean spending rate over the run above the reference's, "
                    "in the same replicate",
                },
            ),
            "incremental_cost": (
                ("portfolio",),
                extra_q[:, 1],
                {
                    "units": "USD/yr",
                    "long_name": "median over replicates of the mean spending rate above the "
                    "reference's (0 for the reference)",
                },
            ),
            "incremental_cost_q": (
                ("portfolio", "quantile"),
                extra_q,
                {"units": "USD/yr", "long_name": "quantiles of the incremental cost"},
            ),
            "incremental_cost_at_horizon": (
                ("portfolio", "horizon_year"),
                median_extra_h,
                {
                    "units": "USD/yr",
                    "long_name": "median mean spending rate above the reference's, from the "
                    "start to 1 January",
                },
            ),
            "gain_per_cost": (
                ("portfolio", "horizon_year"),
                per_cost,
                {
                    "units": "d/(USD bn/yr)",
                    "long_name": "median resilience gained up to 1 January per billion USD a "
                    "year of median incremental cost to then (0 where gain_per_cost_defined "
                    "is false: the portfolio spends no more than the reference)",
                },
            ),
            "gain_per_cost_defined": (
                ("portfolio", "horizon_year"),
                per_cost_defined,
                {"units": "1", "long_name": "the portfolio spends more than the reference"},
            ),
            "within_budget": (
                ("portfolio",),
                within,
                {"units": "1", "long_name": "median cost within the budget"},
            ),
            "pareto": (
                ("portfolio",),
                front,
                {"units": "1", "long_name": "on the Pareto front of median gain and median cost"},
            ),
            "regret": (
                ("portfolio",),
                regret,
                {
                    "units": "d",
                    "long_name": "largest regret over replicates (-1: over the budget)",
                    "missing_fill": -1.0,
                },
            ),
            "scenario_sha256": (
                ("portfolio",),
                np.array([port.loaded.sha256 for port in portfolios], dtype=object),
                {"units": "1", "long_name": "sha256 of each portfolio's scenario file"},
            ),
            "source": (
                ("portfolio",),
                np.array([port.source for port in portfolios], dtype=object),
                {"units": "1", "long_name": "scenario file of each portfolio"},
            ),
        },
        coords={
            "portfolio": ("portfolio", names),
            "replicate": ("replicate", np.arange(n_k)),
            "horizon_year": ("horizon_year", np.asarray(kept, dtype=np.int64)),
            "quantile": ("quantile", np.asarray(q)),
            "cost_item": ("cost_item", np.array(COST_ITEMS, dtype=object)),
        },
    )
    from ecosim.api import ecosim_version

    out.attrs.update(
        {
            "ecosim_kind": "compare",
            "ecosim_version": ecosim_version(),
            "reference": str(names[reference]),
            "minimax_regret_choice": str(names[choice]) if choice >= 0 else "none",
            "budget_usd_per_year": float(budget) if budget is not None else -1.0,
            "regions": ", ".join(regions) if regions else "all",
            "replicates": n_k,
            "horizons_skipped": ", ".join(str(y) for y in horizons if y not in kept) or "none",
            "seeds": ", ".join(str(p.loaded.scenario.seed) for p in portfolios),
        }
    )
    return out


@dataclass(frozen=True)
class Gain:
    """A run's resilience gained and extra cost against a reference run, as :func:`compare`
    measures them, for one pair of results already made.

    Attributes
    ----------
    gain
        Median over paired replicates of the reference's resilience loss minus the run's (d),
        summed over the regions and layers.
    extra_cost
        Median of the run's mean spending rate above the reference's (USD/yr).
    horizon_year
        The horizons inside the run.
    gain_at_horizon, extra_cost_at_horizon
        The same accumulated from the start to 1 January of each horizon.
    gain_per_cost
        Resilience gained to each horizon per billion USD a year of extra cost to then;
        None where the run spends no more than the reference (the ratio means nothing).
    """

    gain: float
    extra_cost: float
    horizon_year: tuple[int, ...]
    gain_at_horizon: tuple[float, ...]
    extra_cost_at_horizon: tuple[float, ...]
    gain_per_cost: tuple[float | None, ...]


def _replicates(ds: xr.Dataset) -> list[xr.Dataset]:
    if "replicate" not in ds.dims:
        return [ds]
    return [ds.isel(replicate=k) for k in range(ds.sizes["replicate"])]


def gain_against(
    ds: xr.Dataset,
    reference: xr.Dataset,
    start: dt.date,
    regions: Sequence[str] | None = None,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
) -> Gain:
    """The gain and extra cost of the result ``ds`` against the result ``reference``.

    Both are results of :func:`ecosim.simulate` (or stacked replicates) of scenarios that
    start on ``start`` and share their seed, so replicate ``k`` of each ran on the same
    streams; the gains are paired per replicate as in :func:`compare`.

    Parameters
    ----------
    ds, reference
        The two results, with the same replicates and recording grid.
    start
        The scenarios' start date.
    regions
        Regions whose losses and costs count; all when ``None``.
    horizons
        Years whose 1 January the loss is accumulated up to; those outside the run are left
        out.

    Raises
    ------
    ValueError
        When the two results do not have the same replicates and days.
    """
    runs, refs = _replicates(ds), _replicates(reference)
    if len(runs) != len(refs) or not np.array_equal(ds["day"].values, reference["day"].values):
        raise ValueError("the run and its reference differ in replicates or recording days")
    last = float(np.asarray(ds["day"].values)[-1])
    dated = horizon_days(start, horizons)
    kept = [y for y, d in dated.items() if 0.0 < d <= last + 1e-9]
    until = [dated[y] for y in kept]
    mine = [portfolio_losses(r, regions, until) for r in runs]
    theirs = [portfolio_losses(r, regions, until) for r in refs]
    gain = np.array([t.rl_total - m.rl_total for m, t in zip(mine, theirs, strict=True)])
    extra = np.array([m.cost - t.cost for m, t in zip(mine, theirs, strict=True)])
    gain_h = np.array(
        [t.rl_at_horizon - m.rl_at_horizon for m, t in zip(mine, theirs, strict=True)]
    ).reshape(len(runs), len(kept))
    extra_h = np.array(
        [m.cost_at_horizon - t.cost_at_horizon for m, t in zip(mine, theirs, strict=True)]
    ).reshape(len(runs), len(kept))
    median_gain_h = np.median(gain_h, axis=0)
    median_extra_h = np.median(extra_h, axis=0)
    per_cost = tuple(
        float(g / (e / 1e9)) if e > 0.0 else None
        for g, e in zip(median_gain_h, median_extra_h, strict=True)
    )
    return Gain(
        float(np.median(gain)),
        float(np.median(extra)),
        tuple(kept),
        tuple(float(v) for v in median_gain_h),
        tuple(float(v) for v in median_extra_h),
        per_cost,
    )
