"""The job flow's readings: each lane's smoothed service, each region's compute service and
the work waiting in its queues, in numpy's order of operations.

The world asks for the compute service at every refresh and the recorder for the backlog at
every sample; in numpy each took a dozen calls on arrays of a few dozen values
(:class:`ecosim.world.jobs.JobFlow`). The kernels add in numpy's order so the results are the
same to the bit: numpy sums a contiguous row from zero, a row of fewer than eight values left
to right and a longer one pairwise with eight accumulators (:func:`pairwise_sum`).
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from ecosim.kernels.jobs import REMAINING, SIZE, STATE, WAITING
from ecosim.kernels.sums import pairwise_sum

__all__ = [
    "backlog",
    "backlog_ref",
    "lane_service",
    "lane_service_ref",
]


@numba.njit(cache=True)
def lane_service(
    ema_served: NDArray[np.float64],
    ema_requested: NDArray[np.float64],
    per: int,
    by_lane: NDArray[np.float64],
    by_region: NDArray[np.float64],
) -> None:
    """Each lane's smoothed service and each region's compute service, in place.

    Parameters
    ----------
    ema_served, ema_requested : ndarray of float64, shape (L,)
        Each lane's smoothed served and requested work; lanes ``[r * per, (r + 1) * per)``
        are region ``r``'s.
    per : int
        Lanes per region.
    by_lane : ndarray of float64, shape (L,)
        Receives served over requested work (one where nothing was requested), clipped to
        [0, 1].
    by_region : ndarray of float64, shape (L // per,)
        Receives the mean of each region's lane services weighted by their requested work
        (one where nothing was requested).
    """
    n_lanes = ema_served.size
    for lane in range(n_lanes):
        q = ema_requested[lane]
        ratio = 1.0
        if q > 0.0:
            ratio = ema_served[lane] / (q if q > 1e-300 else 1e-300)
        # np.clip: a NaN stays, and so does -0.0
        if ratio < 0.0:
            ratio = 0.0
        elif ratio > 1.0:
            ratio = 1.0
        by_lane[lane] = ratio
    weighted = np.empty(per)
    for r in range(n_lanes // per):
        lo = r * per
        for k in range(per):
            weighted[k] = by_lane[lo + k] * ema_requested[lo + k]
        total = 0.0 + pairwise_sum(ema_requested, lo, per)
        mean = (0.0 + pairwise_sum(weighted, 0, per)) / (total if total > 1e-300 else 1e-300)
        by_region[r] = mean if total > 0.0 else 1.0


def lane_service_ref(
    ema_served: NDArray[np.float64],
    ema_requested: NDArray[np.float64],
    per: int,
    by_lane: NDArray[np.float64],
    by_region: NDArray[np.float64],
) -> None:
    """numpy twin of :func:`lane_service`."""
    s, q = ema_served, ema_requested
    ratio = np.where(q > 0, s / np.maximum(q, 1e-300), 1.0)
    by_lane[:] = np.clip(ratio, 0.0, 1.0)
    qr = q.reshape(-1, per)
    total = qr.sum(axis=1)
    mean = (by_lane.reshape(-1, per) * qr).sum(axis=1) / np.maximum(total, 1e-300)
    by_region[:] = np.where(total > 0, mean, 1.0)


@numba.njit(cache=True)
def backlog(
    js: NDArray[np.float64],
    ji: NDArray[np.int64],
    n: NDArray[np.int64],
    per: int,
    by_region: NDArray[np.float64],
) -> None:
    """Work waiting in each region's queues, H100e-days, in place.

    Parameters
    ----------
    js, ji, n : ndarray
        The fields of a job pool (:class:`ecosim.kernels.jobs.JobPool`), a lane for a region.
    per : int
        Lanes per region, region ``r``'s lanes being ``[r * per, (r + 1) * per)``.
    by_region : ndarray of float64, shape (L // per,)
        Receives the sum of size times remaining work of the waiting jobs of each region's
        lanes: each lane's over the first ``max(n)`` slots, then the lanes'.
    """
    n_lanes = n.size
    k = 0
    for lane in range(n_lanes):
        k = max(k, n[lane])
    row = np.empty(k)
    lanes = np.empty(n_lanes)
    for lane in range(n_lanes):
        # a job's work is read only where it waits: the slots past the lane's jobs, and the
        # jobs being served, are zeros without a look at the pool (most of the slots summed)
        m = n[lane]
        for j in range(m):
            if ji[lane, j, STATE] == WAITING:
                row[j] = js[lane, j, SIZE] * js[lane, j, REMAINING]
            else:
                row[j] = 0.0
        row[m:k] = 0.0
        lanes[lane] = 0.0 + pairwise_sum(row, 0, k)
    for r in range(n_lanes // per):
        by_region[r] = 0.0 + pairwise_sum(lanes, r * per, per)


def backlog_ref(
    js: NDArray[np.float64],
    ji: NDArray[np.int64],
    n: NDArray[np.int64],
    per: int,
    by_region: NDArray[np.float64],
) -> None:
    """numpy twin of :func:`backlog`."""
    k = int(n.max()) if n.size else 0
    size, remaining = js[:, :k, SIZE], js[:, :k, REMAINING]
    active = np.arange(k)[None, :] < n[:, None]
    waiting = active & (ji[:, :k, STATE] == WAITING)
    lanes = np.where(waiting, size * remaining, 0.0).sum(1)
    by_region[:] = lanes.reshape(-1, per).sum(axis=1)
