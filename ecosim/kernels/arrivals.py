"""Job arrivals: a block's fields from its random draws, and where each lane's pending
arrivals end before a day.

A job source draws its arrivals a block of days at a time (:class:`ecosim.world.jobs.JobSource`):
the random draws stay numpy's, as do the powers and exponentials made of them, and
:func:`arrival_times` and :func:`block_fields` make the block's columns from them in one pass
each, where numpy took some twenty calls on arrays of a few hundred values.

The job flow keeps the pending arrivals of all its lanes in one array, lane after lane, each
lane's in time order (:class:`ecosim.world.jobs.JobFlow`). Every world step asks, for each
lane, how many of them arrive before the step's end; a search per lane from Python cost more
than the queues' own kernel.

Each block's arrivals are sized by their lane's demand at their times
(:func:`ecosim.world.workloads.lane_demand`): :func:`demand_exponents` and
:func:`demand_parts` do its arithmetic in two passes, the three exponentials between them
staying numpy's, where numpy took some twenty calls.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "arrival_times",
    "arrival_times_ref",
    "block_fields",
    "block_fields_ref",
    "cut",
    "cut_lanes",
    "cut_lanes_ref",
    "demand_exponents",
    "demand_exponents_ref",
    "demand_parts",
    "demand_parts_ref",
]


@numba.njit(cache=True)
def arrival_times(
    counts: NDArray[np.int64], within: NDArray[np.float64], t0: float
) -> NDArray[np.float64]:
    """Arrival times of a block, in day order and within a day in the order drawn.

    numpy's sort of a few hundred values is several times faster than Numba's, so the caller
    sorts them.

    Parameters
    ----------
    counts : ndarray of int64
        Arrivals on each day of the block, the first day starting at ``t0``.
    within : ndarray of float64, shape (counts.sum(),)
        Each arrival's time within its day, in [0, 1), in day order.
    t0 : float
        The block's first day.

    Returns
    -------
    ndarray of float64
        ``(t0 + day) + within`` of every arrival.
    """
    times = np.empty(within.size)
    i = 0
    for d in range(counts.size):
        day = t0 + float(d)
        for _ in range(counts[d]):
            times[i] = day + within[i]
            i += 1
    return times


def arrival_times_ref(
    counts: NDArray[np.int64], within: NDArray[np.float64], t0: float
) -> NDArray[np.float64]:
    """numpy twin of :func:`arrival_times`."""
    day = np.repeat(np.arange(counts.size, dtype=np.float64), counts)
    return np.asarray(t0 + day + within)


@numba.njit(cache=True)
def block_fields(
    times: NDArray[np.float64],
    grown: NDArray[np.float64],
    xm: float,
    max_share: float,
    demand: NDArray[np.float64],
    median: float,
    spread: NDArray[np.float64],
    u_prio: NDArray[np.float64],
    priority_cum: NDArray[np.float64],
    n_prio: int,
    patience: float,
    first_id: int,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """A block's arrivals as the job flow keeps them, a column each.

    Parameters
    ----------
    times : ndarray of float64, shape (n,)
        Arrival times.
    grown : ndarray of float64, shape (n,)
        The Pareto factor of each size (a uniform draw to the power ``-1 / alpha``).
    xm, max_share : float
        The Pareto scale and the cap of a job's share of demand.
    demand : ndarray of float64, shape (n,)
        The lane's demand at each arrival, H100e.
    median : float
        The durations' median, days.
    spread : ndarray of float64, shape (n,)
        Each duration's factor on the median (``exp(sigma * z)``).
    u_prio : ndarray of float64, shape (n,)
        Uniform draws that pick each job's priority.
    priority_cum : ndarray of float64
        Cumulative shares of the priorities.
    n_prio : int
        Number of priorities; a draw past the last share takes the highest.
    patience : float
        Every job's patience, days.
    first_id : int
        The first arrival's id; the others follow.

    Returns
    -------
    real : ndarray of float64, shape (4, n)
        Times, sizes (``min(xm * grown, max_share) * demand``), durations and patience.
    ints : ndarray of int64, shape (2, n)
        Priorities (the number of cumulative shares not above the draw) and ids.
    """
    n = times.size
    real = np.empty((4, n))
    ints = np.empty((2, n), dtype=np.int64)
    for i in range(n):
        share = xm * grown[i]
        if share > max_share:  # np.minimum, which keeps a NaN of its first argument
            share = max_share
        real[0, i] = times[i]
        real[1, i] = share * demand[i]
        real[2, i] = median * spread[i]
        real[3, i] = patience
        u = u_prio[i]
        p = 0
        while p < priority_cum.size and priority_cum[p] <= u:
            p += 1
        ints[0, i] = min(p, n_prio - 1)
        ints[1, i] = first_id + i
    return real, ints


def block_fields_ref(
    times: NDArray[np.float64],
    grown: NDArray[np.float64],
    xm: float,
    max_share: float,
    demand: NDArray[np.float64],
    median: float,
    spread: NDArray[np.float64],
    u_prio: NDArray[np.float64],
    priority_cum: NDArray[np.float64],
    n_prio: int,
    patience: float,
    first_id: int,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """numpy twin of :func:`block_fields`."""
    n = times.size
    share = np.minimum(xm * grown, max_share)
    prio = np.searchsorted(priority_cum, u_prio, side="right")
    prio = np.minimum(prio, n_prio - 1).astype(np.int64)
    real = np.stack([times, share * demand, median * spread, np.full(n, patience)])
    ints = np.stack([prio, first_id + np.arange(n, dtype=np.int64)])
    return real, ints


@numba.njit(cache=True)
def cut(t: NDArray[np.float64], lo: int, hi: int, t1: float) -> int:
    """The first column in ``[lo, hi)`` whose time is not before ``t1`` (``hi`` if none), by
    binary search of the increasing times ``t[lo:hi]``."""
    while lo < hi:
        mid = (lo + hi) // 2
        if t[mid] < t1:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True)
def cut_lanes(
    t: NDArray[np.float64],
    taken: NDArray[np.int64],
    end: NDArray[np.int64],
    t1: float,
    upto: NDArray[np.int64],
) -> int:
    """For each lane ``l``, the first column in ``[taken[l], end[l])`` whose time is not
    before ``t1`` (``end[l]`` if none), written to ``upto[l]``.

    Parameters
    ----------
    t : ndarray of float64
        Arrival times, increasing within each lane's columns.
    taken, end : ndarray of int64
        Each lane's first pending column and the end of its columns.
    t1 : float
        The day the arrivals are taken up to (excluded).
    upto : ndarray of int64
        Filled with each lane's cut.

    Returns
    -------
    int
        The number of arrivals before ``t1`` over all lanes.
    """
    n = 0
    for lane in range(taken.size):
        lo = cut(t, taken[lane], end[lane], t1)
        upto[lane] = lo
        n += lo - taken[lane]
    return n


def cut_lanes_ref(
    t: NDArray[np.float64],
    taken: NDArray[np.int64],
    end: NDArray[np.int64],
    t1: float,
    upto: NDArray[np.int64],
) -> int:
    """Plain-Python twin of :func:`cut_lanes`: numpy's own search on each lane's columns."""
    n = 0
    for lane in range(taken.size):
        lo, hi = int(taken[lane]), int(end[lane])
        upto[lane] = lo + int(np.searchsorted(t[lo:hi], t1, side="left"))
        n += int(upto[lane]) - lo
    return n


@numba.njit(cache=True)
def demand_exponents(
    t: NDArray[np.float64], days_per_year: float, growth_years: float, adoption_years: float
) -> NDArray[np.float64]:
    """The exponents of a lane's demand at the days ``t``, whose exponentials the caller takes
    with numpy.

    Parameters
    ----------
    t : ndarray of float64, shape (n,)
        Days.
    days_per_year : float
        Days in a year.
    growth_years : float
        The time scale over which demand's growth rate settles, years.
    adoption_years : float
        The time scale over which inference's intensity settles, years.

    Returns
    -------
    ndarray of float64, shape (2, n)
        ``-(t / days_per_year) / growth_years`` and ``-(t / days_per_year) / adoption_years``.
    """
    n = t.size
    out = np.empty((2, n))
    for i in range(n):
        years = t[i] / days_per_year
        out[0, i] = -years / growth_years
        out[1, i] = -years / adoption_years
    return out


def demand_exponents_ref(
    t: NDArray[np.float64], days_per_year: float, growth_years: float, adoption_years: float
) -> NDArray[np.float64]:
    """numpy twin of :func:`demand_exponents`."""
    years = t / days_per_year
    return np.stack([-years / growth_years, -years / adoption_years])


@numba.njit(cache=True)
def demand_parts(
    t: NDArray[np.float64],
    decay: NDArray[np.float64],
    days_per_year: float,
    g_inf: float,
    climb: float,
    long_run: float,
    gap: float,
    deployed: float,
    max_share: float,
    inference: bool,
    split: float,
) -> NDArray[np.float64]:
    """The integrated growth of a lane's region's demand and the lane's share of it at the
    days ``t``, in the order of numpy's arithmetic of
    :func:`ecosim.world.growth.growth_factor` and :func:`ecosim.world.workloads.share`.

    Parameters
    ----------
    t : ndarray of float64, shape (n,)
        Days.
    decay : ndarray of float64, shape (2, n)
        The exponentials of :func:`demand_exponents` at ``t``.
    days_per_year : float
        Days in a year.
    g_inf, climb : float
        The long-run growth rate (1/year), and the start's extra rate times its time scale
        (``(g0 - g_inf) * tau``).
    long_run, gap : float
        Inference's long-run intensity, and its start's minus the long run's.
    deployed : float
        The region's deployed share of model use.
    max_share : float
        The cap on inference's share.
    inference : bool
        The lane is inference's; otherwise it takes ``split`` of the training rest.
    split : float
        The lane's share of training.

    Returns
    -------
    ndarray of float64, shape (2, n)
        ``g_inf * years + climb * (1 - decay[0])``, the exponent of the growth factor, and
        the lane's share of its region's demand.
    """
    n = t.size
    out = np.empty((2, n))
    for i in range(n):
        years = t[i] / days_per_year
        out[0, i] = g_inf * years + climb * (1.0 - decay[0, i])
        used = deployed * (long_run + gap * decay[1, i])
        # np.minimum(max_share, used), which keeps a NaN of ``used``
        inf = max_share if max_share < used else used
        out[1, i] = inf if inference else (1.0 - inf) * split
    return out


def demand_parts_ref(
    t: NDArray[np.float64],
    decay: NDArray[np.float64],
    days_per_year: float,
    g_inf: float,
    climb: float,
    long_run: float,
    gap: float,
    deployed: float,
    max_share: float,
    inference: bool,
    split: float,
) -> NDArray[np.float64]:
    """numpy twin of :func:`demand_parts`."""
    years = t / days_per_year
    grown = g_inf * years + climb * (1.0 - decay[0])
    inf = np.minimum(max_share, deployed * (long_run + gap * decay[1]))
    return np.stack([grown, inf if inference else (1.0 - inf) * split])
