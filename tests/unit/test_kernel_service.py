"""The job flow's reading kernels against their numpy twins, to the bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosim.kernels.jobs import N_JF, N_JI, REMAINING, SIZE, STATE, WAITING, JobPool
from ecosim.kernels.service import (
    backlog,
    backlog_ref,
    lane_service,
    lane_service_ref,
)


def _spread(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values over twelve orders of magnitude, so that the order of additions shows."""
    return rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 6, shape)


def _ema(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed served and requested work with the edge cases a flow meets: nothing
    requested, more served than requested (a window's ends), tiny and huge amounts."""
    q = np.abs(_spread(rng, (n,)))
    s = q * rng.choice([0.0, 0.3, 0.9, 1.0, 1.2], n)
    q[rng.random(n) < 0.15] = 0.0
    q[rng.random(n) < 0.05] = 1e-310
    s[rng.random(n) < 0.05] = -0.0
    return s, q


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), regions=st.integers(1, 12), per=st.integers(1, 10))
def test_lane_service_equals_its_twin(seed: int, regions: int, per: int) -> None:
    rng = np.random.default_rng(seed)
    s, q = _ema(rng, regions * per)
    if rng.random() < 0.2:
        q[:per] = 0.0  # a region with nothing requested
    a = np.empty(regions * per), np.empty(regions)
    b = np.empty(regions * per), np.empty(regions)
    lane_service(s, q, per, *a)
    lane_service_ref(s, q, per, *b)
    for got, want in zip(a, b, strict=True):
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def _pool(rng: np.random.Generator, lanes: int, max_jobs: int) -> JobPool:
    """A pool with a random number of jobs per lane, waiting and running, zero past ``n``."""
    pool = JobPool.empty(lanes, max_jobs)
    pool.n[:] = rng.integers(0, max_jobs + 1, lanes)
    if rng.random() < 0.1:
        pool.n[:] = 0
    for lane in range(lanes):
        k = int(pool.n[lane])
        pool.js[lane, :k] = np.abs(_spread(rng, (k, N_JF)))
        pool.ji[lane, :k] = rng.integers(0, 5, (k, N_JI))
        pool.ji[lane, :k, STATE] = rng.choice([WAITING, 2], k)
    return pool


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    regions=st.integers(1, 10),
    per=st.sampled_from([1, 4, 9]),
    max_jobs=st.sampled_from([1, 7, 8, 130, 300]),
)
def test_backlog_equals_its_twin(seed: int, regions: int, per: int, max_jobs: int) -> None:
    rng = np.random.default_rng(seed)
    pool = _pool(rng, regions * per, max_jobs)
    got, want = np.empty(regions), np.empty(regions)
    backlog(pool.js, pool.ji, pool.n, per, got)
    backlog_ref(pool.js, pool.ji, pool.n, per, want)
    np.testing.assert_array_equal(got, want)


def test_backlog_counts_only_waiting_work() -> None:
    pool = JobPool.empty(2, 4)
    pool.n[:] = [3, 1]
    pool.js[0, :3, SIZE] = [2.0, 3.0, 5.0]
    pool.js[0, :3, REMAINING] = [1.0, 2.0, 4.0]
    pool.ji[0, :3, STATE] = [WAITING, 2, WAITING]
    pool.js[1, 0, [SIZE, REMAINING]] = [7.0, 1.0]
    pool.ji[1, 0, STATE] = 2
    for fn in (backlog, backlog_ref):
        out = np.empty(1)
        fn(pool.js, pool.ji, pool.n, 2, out)
        assert out[0] == 2.0 + 20.0
