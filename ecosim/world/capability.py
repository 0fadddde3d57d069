"""Capability: the largest training run a region can do, and how far behind the frontier.

A synchronous run must fit one site (a frontier run needs one tightly coupled cluster), so
without federated training the largest run is bounded by the largest site, not the total:
spreading the same capacity over more sites does not raise it. A region that trains
federated (:mod:`ecosim.world.federated`) adds the federated share of its other sites and of
its federation partners' sites, at an efficiency ``1 / (1 + overhead)``:
``largest_run_multisite``, the run the region trains.

Months behind the frontier -- the largest run any region has done, never below the
scenario's frontier at the start -- are the region's gap to it in months of the historical
pace of frontier training compute: ``log2(frontier / run)`` doublings of
``frontier_doubling_months`` (five: AI Index 2025). The usefulness of a model is set in those
months (``useful_lag_months``), as a gap in capability. Counted instead as the time since the
simulated frontier was the size of the region's run, a gap grew by a month every month
whatever the frontier did: the simulated frontier grows about 1.6 times a year (the largest
sites), a third of the historical pace's doublings, and in the no-shock baseline the EU and
China, a tenth of the US's run, came to stand 89 months behind in 2035 (13 and 15 at the
start), where the same gap in capability is 17 months.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ecosim.core.units import SECONDS_PER_DAY
from ecosim.world import federated
from ecosim.world.state import World


def run_flop(w: World, h100e: np.ndarray) -> np.ndarray:
    """Training compute (FLOP) of a run on ``h100e`` accelerators."""
    c = w.scenario.uncertainties.capability
    seconds = c.training_days * SECONDS_PER_DAY
    return np.asarray(h100e * c.flop_per_h100e_second * c.utilisation * seconds)


def _sites(w: World, t: float) -> tuple[np.ndarray, np.ndarray]:
    """Each region's live own capacity and its largest live site (H100e), from one scan."""
    # kept for the live sites themselves: live_sites hands out the same arrays from one edge
    # of a site's life to the next, so the scan runs when a site is built or retires, not at
    # every step's new day (the memo holds the arrays, so their identity is never reused);
    # the kept arrays are read-only
    live = w.live_sites(t)
    if w.run_sites_memo.key is live:
        return w.run_sites_memo.value
    reg, cap = live
    largest = np.zeros(w.n_regions)
    np.maximum.at(largest, reg, cap)
    total = np.bincount(reg, weights=cap, minlength=w.n_regions)
    total.setflags(write=False)
    largest.setflags(write=False)
    w.run_sites_memo.keep(live, (total, largest))
    return total, largest


def largest_site(w: World, t: float) -> np.ndarray:
    """Capacity of each region's largest live site (H100e)."""
    return _sites(w, t)[1]


def largest_run(w: World, t: float) -> np.ndarray:
    """Largest training run that fits one site, FLOP."""
    return run_flop(w, largest_site(w, t))


def largest_run_multisite(w: World, t: float) -> np.ndarray:
    """Largest run each region trains, over several sites if it trains federated, FLOP.

    Equal to :func:`largest_run` for a region that does not train federated.
    """
    total, largest = _sites(w, t)
    return run_flop(w, federated.run_h100e(w, total, largest))


def _frontier_now(w: World, runs: np.ndarray, top: float | None = None) -> float | None:
    """The frontier, given each region's largest run now, if it is a new high (the history's
    next point), else ``None``. ``top`` is the largest of ``runs`` if the caller has it."""
    if top is None:
        top = float(runs.max())
    best = max(top, w.frontier_flop[-1] if w.frontier_flop else 0.0)
    best = max(best, w.scenario.uncertainties.capability.frontier_flop_start)
    if not w.frontier_flop or best > w.frontier_flop[-1]:
        return best
    return None


def _runs(w: World, t: float) -> list[Any]:
    """:func:`largest_run_multisite` at ``t`` (read-only), the largest of them and a slot for
    the frontier and :func:`_lag` of them (``None`` until asked for), as one kept entry.

    The runs move only where a site is built or retires or federated training changes: the
    entry is kept for the live sites :meth:`World.live_sites` handed out (the same arrays from
    one edge of a site's life to the next; the key holds them, so their identity is never
    reused), the regions' federated shares and, where any trains federated, who federates
    with whom, and the scenario, which holds the runs' constants.
    """
    live = w.live_sites(t)
    f = w.params.federated
    rest: tuple[object, ...]
    if np.count_nonzero(f):
        rest = (
            f.tobytes(),
            w.alliance.tobytes(),
            w.alliance_scope.tobytes(),
            w.interop.tobytes(),
            w.scenario,
        )
    else:
        rest = (f.tobytes(), w.scenario)
    memo = w.frontier_memo
    key = memo.key
    # the sites by identity (an array has no truth value to compare), the rest by value
    if isinstance(key, tuple) and key[0] is live and key[1] == rest:
        return memo.value
    runs = largest_run_multisite(w, t)
    runs.setflags(write=False)
    entry: list[Any] = [runs, float(runs.max()), None]
    memo.keep((live, rest), entry)
    return entry


def update_frontier(w: World, t: float) -> None:
    """Extend the frontier's history (the largest run anywhere so far, never decreasing) and
    refresh each region's lag behind it (``w.own_lag``)."""
    entry = _runs(w, t)
    runs = entry[0]
    best = _frontier_now(w, runs, entry[1])
    if best is not None:
        w.frontier_t.append(t)
        w.frontier_flop.append(best)
    frontier = w.frontier_flop[-1]
    # the lags move only with the runs (the entry) and the frontier: kept beside the runs
    kept = entry[2]
    if kept is None or kept[0] != frontier:
        kept = entry[2] = (frontier, _lag(w, runs, frontier))
    w.own_lag = kept[1].copy()


def _lag(w: World, runs: np.ndarray, frontier: float) -> np.ndarray:
    """Months behind ``frontier`` of each of ``runs`` (FLOP), in months of the historical
    doubling, a run floored at a one-accelerator run's (read-only)."""
    c = w.scenario.uncertainties.capability
    # a one-accelerator run: run_flop's product, in its order
    one = 1.0 * c.flop_per_h100e_second * c.utilisation * (c.training_days * SECONDS_PER_DAY)
    run = np.maximum(runs, one)
    lag = np.maximum(np.log2(frontier / run), 0.0) * c.frontier_doubling_months
    lag.setflags(write=False)
    return np.asarray(lag)


def frontier_lag(w: World, t: float, runs: np.ndarray | None = None) -> np.ndarray:
    """Months behind the frontier of each region's largest run (>= 0); reads only.

    The largest run is the one the region trains: over several sites if it trains federated.
    The frontier is the largest run any region of the scenario has done so far, this one
    included, never below the scenario's starting frontier; the gap to it is counted in months
    of the historical doubling of frontier training compute. A region with no site is reported
    at the lag of a one-accelerator run: finite and large rather than infinite. ``runs``, each
    region's largest run at ``t`` (:func:`largest_run_multisite`), is computed unless the
    caller has it.
    """
    if runs is None:
        runs = largest_run_multisite(w, t)
    best = _frontier_now(w, runs)
    frontier = best if best is not None else w.frontier_flop[-1]
    return np.asarray(_lag(w, runs, frontier)).copy()
