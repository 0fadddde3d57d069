"""Where each lane's pending arrivals end before a day: a binary search per lane.

The job flow keeps the pending arrivals of all its lanes in one array, lane after lane, each
lane's in time order (:class:`ecosim.world.jobs.JobFlow`). Every world step asks, for each
lane, how many of them arrive before the step's end; a search per lane from Python cost more
than the queues' own kernel.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["cut", "cut_lanes", "cut_lanes_ref"]


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
