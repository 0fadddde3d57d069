"""Benchmark cases for the job flow's readings at the size of the baseline world.

Nine regions of four workloads (36 lanes): the compute service asked for at every refresh,
and the backlog of a pool with a hundred or so active jobs a lane, as the recorder reads it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from _bench import Case, repeated_call_case

from ecosim.kernels.jobs import RUNNING, SIZE, STATE, WAITING, JobPool
from ecosim.kernels.service import backlog, backlog_ref, lane_service, lane_service_ref

REGIONS = 9
PER = 4
CALLS = 200


def _service(fn: Callable[..., None]) -> Callable[..., np.ndarray]:
    """``fn`` returning what it writes, lanes' and regions' service end to end."""

    def call(served: np.ndarray, requested: np.ndarray) -> np.ndarray:
        by_lane, by_region = np.empty(served.size), np.empty(REGIONS)
        fn(served, requested, PER, by_lane, by_region)
        return np.concatenate([by_lane, by_region])

    return call


def _backlog(fn: Callable[..., None]) -> Callable[..., np.ndarray]:
    """``fn`` returning each region's backlog."""

    def call(pool: JobPool) -> np.ndarray:
        out = np.empty(REGIONS)
        fn(pool.js, pool.ji, pool.n, PER, out)
        return out

    return call


def _pool(seed: int = 0) -> JobPool:
    rng = np.random.default_rng(seed)
    pool = JobPool.empty(REGIONS * PER, 16384)
    pool.n[:] = rng.integers(30, 250, REGIONS * PER)
    for lane, k in enumerate(pool.n):
        pool.js[lane, :k, : SIZE + 2] = rng.lognormal(0.0, 1.5, (k, 2))
        pool.ji[lane, :k, STATE] = rng.choice([WAITING, RUNNING], k, p=[0.3, 0.7])
    return pool


def cases() -> list[Case]:
    """Return the reading benchmark cases: a step's call, 200 times each. Both sides pay for
    the arrays a call returns, so the ratios understate the kernels' own."""
    rng = np.random.default_rng(1)
    requested = rng.lognormal(8.0, 2.0, REGIONS * PER)
    served = requested * rng.uniform(0.6, 1.05, REGIONS * PER)
    return [
        repeated_call_case(
            "service.lane_service",
            _service(lane_service),
            _service(lane_service_ref),
            (served, requested),
            CALLS,
            target=5.0,
        ),
        repeated_call_case(
            "service.backlog",
            _backlog(backlog),
            _backlog(backlog_ref),
            (_pool(),),
            CALLS,
            target=3.0,
        ),
    ]
