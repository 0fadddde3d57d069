"""Job-queue kernel: agreement with its reference twin, and the behaviour it encodes."""

from __future__ import annotations

import math
import mmap
import os
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from ecosim.kernels.jobs import (
    ABANDONED,
    ABANDONED_WORK,
    END,
    FIT_TOL,
    ID,
    N_OUT,
    OVERFLOW,
    PREEMPTED,
    PRIO,
    QUEUE_AREA,
    REMAINING,
    REQUESTED,
    RUNNING,
    SERVED,
    SIZE,
    START,
    STARTED,
    STATE,
    WAIT_SINCE,
    WAIT_SUM,
    WAITING,
    JobPool,
    advance,
    advance_lanes,
    advance_lanes_ref,
    sparse_zeros,
)

F8 = NDArray[np.float64]
I8 = NDArray[np.int64]


@dataclass
class Arrivals:
    """The flat arrival arrays of one call, in the kernel's argument order."""

    t: F8
    size: F8
    dur: F8
    prio: I8
    patience: F8
    id: I8
    off: I8

    def args(self) -> tuple[F8, F8, F8, I8, F8, I8, I8]:
        return (self.t, self.size, self.dur, self.prio, self.patience, self.id, self.off)


def arrivals_from(regions: Sequence[Sequence[tuple[float, ...]]], first_id: int = 0) -> Arrivals:
    """Build arrivals from per-region tuples ``(t, size, dur, prio, patience)``, ids in order."""
    rows = [job for region in regions for job in region]
    off = np.cumsum([0, *[len(region) for region in regions]]).astype(np.int64)
    cols = list(zip(*rows, strict=True)) if rows else [(), (), (), (), ()]
    return Arrivals(
        t=np.array(cols[0], dtype=np.float64),
        size=np.array(cols[1], dtype=np.float64),
        dur=np.array(cols[2], dtype=np.float64),
        prio=np.array(cols[3], dtype=np.int64),
        patience=np.array(cols[4], dtype=np.float64),
        id=np.arange(first_id, first_id + len(rows), dtype=np.int64),
        off=off,
    )


def random_arrivals(
    rng: np.random.Generator,
    n_regions: int,
    t0: float,
    t1: float,
    rate: float,
    first_id: int,
    grid: float,
) -> Arrivals:
    """Draw one call's arrivals: Pareto sizes, exponential durations, mixed priorities.

    With ``grid > 0`` times and durations are rounded to multiples of it, so completions,
    arrivals and deadlines often coincide and the tie rules are exercised.
    """
    regions = []
    for _ in range(n_regions):
        k = int(rng.poisson(rate * (t1 - t0)))
        t = np.sort(rng.uniform(t0, t1, k))
        dur = rng.exponential(1.0, k) + 0.01
        patience = np.where(rng.random(k) < 0.3, np.inf, rng.exponential(1.5, k))
        patience[rng.random(k) < 0.05] = 0.0
        if grid > 0:
            t = np.minimum(np.floor(t / grid) * grid, np.nextafter(t1, t0))
            t = np.maximum(t, t0)
            dur = np.ceil(dur / grid) * grid
            patience = np.where(np.isinf(patience), patience, np.round(patience / grid) * grid)
        size = np.minimum(1.0 + 3.0 * rng.pareto(1.3, k), 80.0)
        prio = rng.choice(3, size=k, p=[0.6, 0.3, 0.1])
        regions.append(list(zip(t, size, dur, prio, patience, strict=True)))
    return arrivals_from(regions, first_id)


class Twin:
    """The same queue advanced by the kernel and by the reference, compared after each call."""

    def __init__(self, n_regions: int, max_jobs: int, n_ids: int) -> None:
        self.pools = [JobPool.empty(n_regions, max_jobs) for _ in range(2)]
        self.outs = [np.zeros((n_regions, N_OUT)) for _ in range(2)]
        self.starts = [np.full(n_ids, -1.0) for _ in range(2)]

    @property
    def pool(self) -> JobPool:
        return self.pools[0]

    @property
    def out(self) -> F8:
        return self.outs[0]

    @property
    def start(self) -> F8:
        return self.starts[0]

    def step(self, t0: float, t1: float, capacity: F8, arr: Arrivals) -> None:
        served_before = self.out[:, SERVED].copy()
        for k, reference in enumerate((False, True)):
            advance(
                self.pools[k],
                t0,
                t1,
                capacity,
                *arr.args(),
                out=self.outs[k],
                start_out=self.starts[k],
                reference=reference,
            )
        fast, ref = self.pools
        np.testing.assert_array_equal(fast.n, ref.n)
        np.testing.assert_array_equal(fast.ji, ref.ji)
        np.testing.assert_allclose(fast.js, ref.js, rtol=1e-9)
        np.testing.assert_allclose(fast.used, ref.used, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(self.outs[0], self.outs[1], rtol=1e-9)
        np.testing.assert_allclose(self.starts[0], self.starts[1], rtol=1e-9)
        check_invariants(fast, capacity)
        served = self.out[:, SERVED] - served_before
        assert np.all(served <= capacity * (t1 - t0) * (1 + FIT_TOL) + 1e-9)


def check_invariants(pool: JobPool, capacity: F8) -> None:
    """Properties every pool must have after a call."""
    assert np.all(pool.used <= capacity * (1 + FIT_TOL) + 1e-9)
    assert np.all(pool.used >= -1e-9)
    assert np.all(pool.n <= pool.max_jobs)
    for r in range(pool.n_regions):
        n = int(pool.n[r])
        states = pool.ji[r, :n, STATE]
        assert np.all((states == WAITING) | (states == RUNNING))
        assert np.all(np.diff(pool.ji[r, :n, ID]) > 0)
        assert not pool.js[r, n:].any()
        assert not pool.ji[r, n:].any()
        running = states == RUNNING
        np.testing.assert_allclose(
            pool.js[r, :n, SIZE][running].sum(), pool.used[r], rtol=1e-9, atol=1e-9
        )


def run_random(
    seed: int, n_regions: int, max_jobs: int, days: int, grid: float, rate: float = 0.0
) -> Twin:
    """Several consecutive calls with capacity moving up and down, checked after each.

    ``rate`` is arrivals per region and day; 0 draws one between 10 and 40.
    """
    rng = np.random.default_rng(seed)
    rate = rate or float(rng.uniform(10.0, 40.0))
    twin = Twin(n_regions, max_jobs, n_ids=int(rate * days * n_regions * 3) + 100)
    base = rng.uniform(40.0, 120.0, n_regions)
    base[0] = 4.0  # one region far past saturation, so its pool fills up
    next_id = 0
    t = 0.0
    for _ in range(days):
        # Uneven call lengths, like the intervals between macro events.
        t1 = t + float(rng.choice([0.25, 0.5, 1.0, 1.5]))
        # An outage (zero capacity) now and then preempts everything running.
        capacity = base * rng.choice(
            [0.0, 0.3, 0.7, 1.0, 1.3], size=n_regions, p=[0.05, 0.2, 0.25, 0.3, 0.2]
        )
        arr = random_arrivals(rng, n_regions, t, t1, rate, next_id, grid)
        next_id += arr.t.size
        twin.step(t, t1, capacity, arr)
        t = t1
    return twin


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("grid", [0.0, 0.125])
def test_kernel_matches_reference(seed: int, grid: float) -> None:
    twin = run_random(seed, n_regions=3, max_jobs=16, days=8, grid=grid)
    totals = twin.out.sum(axis=0)
    # The scenario is meant to reach every branch; make sure it did.
    assert totals[PREEMPTED] > 0
    assert totals[OVERFLOW] > 0
    assert totals[ABANDONED] > totals[OVERFLOW]
    assert set(np.unique(twin.pool.ji[:, :, PRIO])) >= {1, 2}


def test_kernel_matches_reference_at_realistic_size() -> None:
    # A few hundred active jobs per region, as in a baseline run.
    twin = run_random(11, n_regions=2, max_jobs=400, days=4, grid=0.0, rate=150.0)
    assert twin.pool.n.max() > 150


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n_regions=st.integers(1, 4),
    max_jobs=st.integers(1, 80),
    days=st.integers(1, 5),
    grid=st.sampled_from([0.0, 0.25, 1.0]),
)
def test_kernel_matches_reference_hypothesis(
    seed: int, n_regions: int, max_jobs: int, days: int, grid: float
) -> None:
    run_random(seed, n_regions, max_jobs, days, grid)


def test_pool_not_sorted_by_id_is_handled() -> None:
    # A hand-built pool in arbitrary slot order gives the same result as the reference.
    twin = Twin(1, 10, 20)
    for pool in twin.pools:
        pool.n[0] = 3
        for q, (jid, prio, size, rem) in enumerate(
            [(5, 0, 4.0, 1.0), (2, 1, 3.0, 5.0), (7, 0, 2.0, 1.0)]
        ):
            pool.js[0, q] = [size, rem, np.inf, 0.0, np.nan, np.nan]
            pool.ji[0, q] = [jid, prio, WAITING]
    twin.step(0.0, 1.5, np.array([5.0]), arrivals_from([[(0.5, 1.0, 1.0, 0, np.inf)]], 10))
    # Job 2 has the highest priority, job 7 backfills beside it, job 10 takes job 7's place.
    assert twin.start[[2, 7, 10, 5]].tolist() == [0.0, 0.0, 1.0, -1.0]
    assert twin.pool.ji[0, :3, ID].tolist() == [2, 5, 10]


def test_pool_out_of_id_order_after_a_completion_is_written_back_sorted() -> None:
    # The first row completes, the second moves down to its slot, and the third's id is
    # smaller than the second's: the rows moved so far and the rest are sorted together.
    twin = Twin(1, 10, 20)
    for pool in twin.pools:
        pool.n[0] = 4
        rows = [(1, RUNNING, 0.5, 0.5), (6, WAITING, 1.0, 0.0), (3, WAITING, 1.0, 0.0)]
        rows.append((4, RUNNING, 9.0, 9.0))
        for q, (jid, state, rem, end) in enumerate(rows):
            pool.js[0, q] = [2.0, rem, INF, 0.0, 0.0 if state == RUNNING else np.nan, end]
            pool.ji[0, q] = [jid, 0, state]
        pool.used[0] = 4.0
    twin.step(0.0, 1.0, np.array([4.0]), arrivals_from([[]], 10))
    # job 1 ends at 0.5 and job 3, the lower id, takes its place; job 4 runs on past t1
    assert twin.pool.ji[0, :3, ID].tolist() == [3, 4, 6]
    assert twin.start[[3, 6]].tolist() == [0.5, -1.0]


def test_arrival_ids_out_of_order_are_scanned_by_id() -> None:
    twin = Twin(1, 10, 20)
    arr = arrivals_from(
        [[(0.0, 1.0, 1.0, 0, INF), (0.2, 1.0, 1.0, 0, INF), (0.4, 1.0, 1.0, 0, INF)]]
    )
    arr.id[:] = [0, 9, 8]
    twin.step(0.0, 1.5, np.array([1.0]), arr)
    assert twin.start[[0, 8, 9]].tolist() == [0.0, 1.0, -1.0]


# --------------------------------------------------------------------------------------------
# Targeted behaviour
# --------------------------------------------------------------------------------------------

INF = np.inf


def test_smaller_later_job_backfills() -> None:
    twin = Twin(1, 10, 10)
    arr = arrivals_from(
        [[(0.0, 8.0, 5.0, 0, INF), (0.1, 5.0, 1.0, 0, INF), (0.2, 2.0, 1.0, 0, INF)]]
    )
    twin.step(0.0, 1.0, np.array([10.0]), arr)
    assert twin.start[0] == 0.0
    assert twin.start[1] == -1.0  # too big for the 2 H100e left
    assert twin.start[2] == pytest.approx(0.2)  # starts at once around the blocked job
    assert twin.pool.waiting_count()[0] == 1
    assert twin.pool.backlog_work()[0] == pytest.approx(5.0)
    # Backfilling does not delay the big job here: it starts when the first one ends.
    twin.step(1.0, 6.0, np.array([10.0]), arrivals_from([[]], 3))
    assert twin.start[1] == pytest.approx(5.0)


def test_critical_job_starts_before_earlier_public_job() -> None:
    twin = Twin(1, 10, 10)
    arr = arrivals_from(
        [[(0.0, 10.0, 1.0, 0, INF), (0.1, 6.0, 1.0, 0, INF), (0.2, 6.0, 1.0, 2, INF)]]
    )
    twin.step(0.0, 1.5, np.array([10.0]), arr)
    assert twin.start[2] == 1.0
    assert twin.start[1] == -1.0
    twin.step(1.5, 3.0, np.array([10.0]), arrivals_from([[]], 3))
    assert twin.start[1] == 2.0
    assert twin.out[0, WAIT_SUM] == pytest.approx((1.0 - 0.2) + (2.0 - 0.1))
    assert twin.out[0, STARTED] == 3


def test_abandonment_after_patience_counts_work() -> None:
    twin = Twin(1, 10, 10)
    arr = arrivals_from([[(0.0, 1.0, 10.0, 0, INF), (0.5, 1.0, 3.0, 0, 2.0)]])
    twin.step(0.0, 4.0, np.array([1.0]), arr)
    out = twin.out[0]
    assert out[ABANDONED] == 1
    assert out[ABANDONED_WORK] == pytest.approx(3.0)
    assert out[QUEUE_AREA] == pytest.approx(2.0)
    assert out[REQUESTED] == pytest.approx(13.0)
    assert out[SERVED] == pytest.approx(4.0)
    assert twin.pool.n[0] == 1


def test_patience_carries_over_between_calls() -> None:
    twin = Twin(1, 10, 10)
    arr = arrivals_from([[(0.0, 1.0, 10.0, 0, INF), (0.5, 1.0, 3.0, 0, 2.0)]])
    twin.step(0.0, 1.0, np.array([1.0]), arr)
    assert twin.out[0, ABANDONED] == 0
    twin.step(1.0, 2.0, np.array([1.0]), arrivals_from([[]], 2))
    assert twin.out[0, ABANDONED] == 0
    twin.step(2.0, 3.0, np.array([1.0]), arrivals_from([[]], 2))
    assert twin.out[0, ABANDONED] == 1
    assert twin.out[0, QUEUE_AREA] == pytest.approx(2.0)


def test_preemption_returns_work_to_the_queue() -> None:
    twin = Twin(1, 10, 10)
    arr = arrivals_from([[(0.0, 6.0, 5.0, 0, INF), (0.0, 4.0, 5.0, 1, INF)]])
    twin.step(0.0, 1.0, np.array([10.0]), arr)
    assert twin.pool.used[0] == 10.0
    twin.step(1.0, 2.0, np.array([5.0]), arrivals_from([[]], 2))
    pool = twin.pool
    assert twin.out[0, PREEMPTED] == 1
    assert pool.used[0] == 4.0
    assert pool.ji[0, 0, STATE] == WAITING  # job 0, the public one, went back
    assert pool.js[0, 0, REMAINING] == pytest.approx(4.0)
    assert pool.js[0, 0, WAIT_SINCE] == 1.0
    assert pool.backlog_work()[0] == pytest.approx(24.0)
    assert pool.ji[0, 1, STATE] == RUNNING
    twin.step(2.0, 3.0, np.array([10.0]), arrivals_from([[]], 2))
    assert pool.ji[0, 0, STATE] == RUNNING
    assert pool.js[0, 0, START] == 2.0
    assert pool.js[0, 0, END] == pytest.approx(6.0)
    assert twin.start[0] == 0.0  # the first start is what is recorded
    assert twin.out[0, STARTED] == 3
    assert twin.out[0, WAIT_SUM] == pytest.approx(1.0)


def test_preemption_takes_latest_start_then_highest_id() -> None:
    twin = Twin(1, 10, 10)
    jobs = [(0.0, 2.0, 9.0, 0, INF), (0.5, 2.0, 9.0, 0, INF), (0.5, 2.0, 9.0, 0, INF)]
    twin.step(0.0, 1.0, np.array([10.0]), arrivals_from([jobs]))
    # Jobs 1 and 2 started together: the higher id goes.
    twin.step(1.0, 2.0, np.array([4.5]), arrivals_from([[]], 3))
    assert twin.pool.ji[0, :3, STATE].tolist() == [RUNNING, RUNNING, WAITING]
    twin.step(2.0, 3.0, np.array([10.0]), arrivals_from([[]], 3))
    assert twin.pool.js[0, 2, START] == 2.0
    # Now job 2 started last, and job 1 after job 0.
    twin.step(3.0, 4.0, np.array([4.5]), arrivals_from([[]], 3))
    assert twin.pool.ji[0, :3, STATE].tolist() == [RUNNING, RUNNING, WAITING]
    twin.step(4.0, 5.0, np.array([2.5]), arrivals_from([[]], 3))
    assert twin.pool.ji[0, :3, STATE].tolist() == [RUNNING, WAITING, WAITING]
    assert twin.out[0, PREEMPTED] == 3


def test_completion_before_arrival_before_abandonment_at_equal_times() -> None:
    twin = Twin(1, 10, 10)
    arr = arrivals_from(
        [[(0.0, 1.0, 1.0, 0, INF), (0.5, 1.0, 1.0, 0, 0.5), (1.0, 1.0, 1.0, 0, INF)]]
    )
    twin.step(0.0, 2.5, np.array([1.0]), arr)
    # Job 0 ends at 1.0, when job 1 would give up and job 2 arrives: job 1 gets the slot.
    assert twin.start[1] == 1.0
    assert twin.start[2] == 2.0
    assert twin.out[0, ABANDONED] == 0


def test_pool_full_overflows() -> None:
    twin = Twin(1, 2, 10)
    arr = arrivals_from([[(0.1 * k, 1.0, 2.0, 0, INF) for k in range(4)]])
    twin.step(0.0, 1.0, np.array([0.5]), arr)
    out = twin.out[0]
    assert out[OVERFLOW] == 2
    assert out[ABANDONED] == 2
    assert out[ABANDONED_WORK] == pytest.approx(4.0)
    assert out[REQUESTED] == pytest.approx(8.0)
    assert twin.pool.n[0] == 2


def test_event_at_t1_waits_for_next_call() -> None:
    twin = Twin(1, 10, 10)
    twin.step(0.0, 1.0, np.array([4.0]), arrivals_from([[(0.0, 4.0, 1.0, 0, INF)]]))
    assert twin.pool.n[0] == 1
    assert twin.pool.used[0] == 4.0
    assert twin.out[0, SERVED] == pytest.approx(4.0)
    twin.step(1.0, 2.0, np.array([4.0]), arrivals_from([[]], 1))
    assert twin.pool.n[0] == 0
    assert twin.pool.used[0] == 0.0
    assert twin.out[0, SERVED] == pytest.approx(4.0)


def test_exact_fill_despite_rounding() -> None:
    # 0.3 - 0.1 < 0.2 in floating point; the job of 0.2 still fits.
    twin = Twin(1, 20, 20)
    arr = arrivals_from([[(0.0, 0.1, 5.0, 0, INF), (0.0, 0.2, 5.0, 0, INF)]])
    twin.step(0.0, 1.0, np.array([0.3]), arr)
    assert twin.pool.running_count()[0] == 2


def test_start_out_keeps_existing_and_may_be_empty() -> None:
    pool = JobPool.empty(1, 5)
    out = np.zeros((1, N_OUT))
    start = np.full(4, -1.0)
    start[1] = 0.25
    arr = arrivals_from([[(0.0, 1.0, 1.0, 0, INF), (0.5, 1.0, 1.0, 0, INF)]])
    advance(pool, 0.0, 1.0, np.array([2.0]), *arr.args(), out=out, start_out=start)
    assert start.tolist() == [0.0, 0.25, -1.0, -1.0]
    pool = JobPool.empty(1, 5)
    advance(pool, 0.0, 1.0, np.array([2.0]), *arr.args(), out=out, start_out=None)
    assert out[0, STARTED] == 4


def test_pool_helpers() -> None:
    pool = JobPool.empty(2, 4)
    pool.n[:] = [2, 1]
    pool.js[0, 0, [SIZE, REMAINING]] = [2.0, 3.0]
    pool.ji[0, 0, STATE] = WAITING
    pool.js[0, 1, [SIZE, REMAINING]] = [5.0, 1.0]
    pool.ji[0, 1, STATE] = RUNNING
    pool.js[1, 0, [SIZE, REMAINING]] = [1.0, 1.5]
    pool.ji[1, 0, STATE] = WAITING
    np.testing.assert_allclose(pool.backlog_work(), [6.0, 1.5])
    assert pool.waiting_count().tolist() == [1, 1]
    assert pool.running_count().tolist() == [1, 0]
    clone = pool.copy()
    clone.js[:] = 0.0
    clone.n[:] = 0
    assert pool.backlog_work()[0] == 6.0
    assert pool.n.tolist() == [2, 1]
    assert (pool.n_regions, pool.max_jobs) == (2, 4)


def _resident(arrays: Sequence[NDArray[Any]]) -> tuple[int, int]:
    """Resident and huge-page bytes of the memory maps holding ``arrays``, by the system's
    account (``/proc/self/smaps``); maps next to each other with the same advice are one."""
    maps: list[tuple[int, int, dict[str, int]]] = []
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split(" ", 1)[0]
        if "-" in head and ":" not in head:
            lo, hi = (int(x, 16) for x in head.split("-"))
            maps.append((lo, hi, {}))
        elif maps and line.rstrip().endswith(" kB"):
            key, _, rest = line.partition(":")
            maps[-1][2][key] = int(rest.split()[0]) * 1024
    held = {
        (lo, hi): fields
        for a in arrays
        for lo, hi, fields in maps
        if lo < a.__array_interface__["data"][0] + a.nbytes
        and a.__array_interface__["data"][0] < hi
    }
    return (
        sum(f["Rss"] for f in held.values()),
        sum(f.get("AnonHugePages", 0) for f in held.values()),
    )


def test_sparse_zeros_are_zeros_of_the_shape_and_kind_asked() -> None:
    for shape, dtype in (((3, 50_000, 6), np.float64), ((3, 50_000, 3), np.int64), ((2, 3), float)):
        a = sparse_zeros(shape, dtype)
        assert a.shape == shape and a.dtype == np.dtype(dtype)
        assert a.flags.c_contiguous and a.flags.writeable and a.flags.aligned
        assert not a.any()
        a[-1, -1, ...] = 7
        assert a.sum() == 7 * (a.shape[-1] if a.ndim == 3 else 1)
    # copies and pickles are ordinary arrays with the same values
    a = sparse_zeros((4, 70_000), np.float64)
    a[1, 5] = 2.5
    clone = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(clone, a)
    assert not np.shares_memory(clone, a) and np.array_equal(a.copy(), a)


@pytest.mark.skipif(
    not (hasattr(mmap, "MADV_NOHUGEPAGE") and Path("/proc/self/smaps").exists()),
    reason="the system has no advice against huge pages, or no account of its memory maps",
)
def test_a_pool_s_first_slots_take_memory_only_where_written() -> None:
    """The lanes' first slots written, as a run writes them: only those pages are resident
    (with numpy's own zeros, huge pages made the whole 28 MiB pool resident)."""
    pool = JobPool.empty(36, 16_384)
    # a pool of a run holds at most a few hundred jobs a lane
    pool.js[:, :256, :] = 1.0
    pool.ji[:, :256, :] = 1
    touched = 36 * 256 * (pool.js.shape[2] + pool.ji.shape[2]) * 8
    resident, huge = _resident([pool.js, pool.ji])
    assert huge == 0
    # each lane's written slots end within one page
    assert resident <= touched + 2 * 36 * 4096
    assert resident < (pool.js.nbytes + pool.ji.nbytes) / 10


@pytest.mark.skipif(not hasattr(os, "fork"), reason="this system cannot fork")
def test_a_forked_child_writes_its_own_copy_of_a_pool() -> None:
    """The no-shock twin runs in a forked child: its writes never reach its parent's pool."""
    pool = JobPool.empty(4, 40_000)
    pool.js[0, 0, 0] = 1.0
    pid = os.fork()
    if pid == 0:  # the child
        pool.js[:] = 9.0
        os._exit(0 if pool.js[1, 1, 1] == 9.0 else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert pool.js[0, 0, 0] == 1.0 and np.count_nonzero(pool.js) == 1


# --------------------------------------------------------------------------------------------
# The job flow's call: every lane's due arrivals taken, queues advanced, service smoothed
# --------------------------------------------------------------------------------------------


@dataclass
class LaneState:
    """Everything :func:`advance_lanes` reads and writes, but its scalar arguments."""

    capacity: F8
    scale: F8
    real: F8
    ints: I8
    taken: I8
    end: I8
    pool: JobPool
    out: F8
    arrivals: F8
    served: F8
    ema_served: F8
    ema_requested: F8

    def copy(self) -> LaneState:
        return LaneState(
            *(getattr(self, f).copy() for f in ("capacity", "scale", "real", "ints")),
            self.taken.copy(),
            self.end.copy(),
            self.pool.copy(),
            *(getattr(self, f).copy() for f in ("out", "arrivals", "served")),
            self.ema_served.copy(),
            self.ema_requested.copy(),
        )

    def call(
        self, fn: object, t0: float, t1: float, per_scale: int, decay: float, starts: F8
    ) -> None:
        assert callable(fn)
        p = self.pool
        fn(
            t0,
            t1,
            self.capacity,
            self.scale,
            per_scale,
            self.real,
            self.ints,
            self.taken,
            self.end,
            p.js,
            p.ji,
            p.n,
            p.used,
            self.out,
            starts,
            self.arrivals,
            self.served,
            self.ema_served,
            self.ema_requested,
            decay,
        )

    def assert_equal(self, other: LaneState) -> None:
        for f in ("taken", "out", "arrivals", "served", "ema_served", "ema_requested"):
            np.testing.assert_array_equal(getattr(self, f), getattr(other, f), err_msg=f)
        for f in ("js", "ji", "n", "used"):
            np.testing.assert_array_equal(getattr(self.pool, f), getattr(other.pool, f), f)


def _call_both(
    state: LaneState, t0: float, t1: float, per_scale: int, decay: float, n_ids: int = 0
) -> None:
    """Call the kernel on ``state`` and its twin on a copy; assert they agree to the bit."""
    twin = state.copy()
    starts, twin_starts = np.full(n_ids, np.nan), np.full(n_ids, np.nan)
    state.call(advance_lanes, t0, t1, per_scale, decay, starts)
    twin.call(advance_lanes_ref, t0, t1, per_scale, decay, twin_starts)
    state.assert_equal(twin)
    np.testing.assert_array_equal(starts, twin_starts)


def _random_lanes(
    rng: np.random.Generator, n_lanes: int, days: float, max_jobs: int
) -> tuple[LaneState, int]:
    """Lanes with ``days`` of pending arrivals each (a few at equal times), ids growing with
    time in every lane, and an empty pool; returns the state and the number of ids."""
    reals, ints = [], []
    counts = np.zeros(n_lanes, dtype=np.int64)
    next_id = 0
    for lane in range(n_lanes):
        rate = float(rng.uniform(2.0, 30.0))
        n = int(rng.poisson(rate * days))
        t = np.sort(np.round(rng.uniform(0.0, days, n), int(rng.choice([1, 6]))))
        size = rng.pareto(1.5, n) + 0.2
        dur = rng.lognormal(0.0, 1.0, n)
        patience = np.where(rng.random(n) < 0.3, np.inf, rng.uniform(0.1, 3.0, n))
        reals.append(np.stack([t, size, dur, patience]))
        ints.append(np.stack([rng.integers(0, 3, n), next_id + np.arange(n)]))
        next_id += n
        counts[lane] = n
    end = np.cumsum(counts)
    state = LaneState(
        capacity=np.zeros(n_lanes),
        scale=np.ones(n_lanes),
        real=np.concatenate(reals, axis=1),
        ints=np.concatenate(ints, axis=1).astype(np.int64),
        taken=end - counts,
        end=end,
        pool=JobPool.empty(n_lanes, max_jobs),
        out=np.zeros((n_lanes, N_OUT)),
        arrivals=np.zeros(n_lanes),
        served=np.zeros(n_lanes),
        ema_served=np.zeros(n_lanes),
        ema_requested=np.zeros(n_lanes),
    )
    return state, next_id


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n_lanes=st.integers(1, 8),
    per_scale=st.sampled_from([1, 2, 4]),
    max_jobs=st.sampled_from([8, 64, 512]),
)
def test_lanes_kernel_matches_its_twin(
    seed: int, n_lanes: int, per_scale: int, max_jobs: int
) -> None:
    rng = np.random.default_rng(seed)
    n_lanes = n_lanes * per_scale
    state, n_ids = _random_lanes(rng, n_lanes, 12.0, max_jobs)
    base = rng.uniform(5.0, 60.0, n_lanes)
    t = float(rng.choice([-2.0, 0.0]))
    while t <= 12.0:  # times rounded up to 12.0 are taken too
        t1 = t + float(rng.choice([0.25, 0.5, 1.0, 2.0]))
        state.capacity = base * rng.choice([0.0, 0.5, 1.0, 1.5], n_lanes)
        # a demand surge now and then scales the sizes of the jobs arriving
        scale = rng.choice([1.0, 1.0, 0.7, 1.3], n_lanes // per_scale)
        state.scale = scale if rng.random() < 0.5 else np.ones(n_lanes // per_scale)
        _call_both(state, t, t1, per_scale, float(np.exp(-(t1 - t) / 14.0)), n_ids)
        t = t1
    assert np.all(state.taken == state.end)
    np.testing.assert_array_equal(state.arrivals, np.diff(np.r_[0, state.end]))


def test_lanes_kernel_matches_its_twin_on_a_run_s_lanes() -> None:
    # the lanes of tests/scenarios/small.yaml as a run makes them: its regions' demand and
    # workload profiles, capacity short for training and ample for inference
    from ecosim import load_scenario
    from ecosim.core.rng import Streams
    from ecosim.world import workloads
    from ecosim.world.build import build_world
    from ecosim.world.jobs import JobFlow, JobSource
    from tests.conftest import SMALL

    s = load_scenario(SMALL).scenario
    w = build_world(s, Streams(s.seed))
    prof = workloads.profiles(s)
    mix = s.uncertainties.jobs
    flow = JobFlow(
        [
            JobSource(
                Streams(s.seed).get(f"jobs/{r}/{k}"),
                prof[k],
                lambda t, r=r, k=k: workloads.lane_demand(w, r, k, t),
                mix.priority_shares,
                -5.0,
                mix.arrivals_scale,
            )
            for r in range(w.n_regions)
            for k in range(len(prof))
        ],
        len(prof),
        mix.max_active_jobs,
        14.0,
    )
    need = w.demand[:, None] * workloads.shares(w, 0.0)
    per = flow.n_workloads
    t = -5.0
    for i, days in enumerate([1.0, 1.0, 0.5, 2.0, 1.0, 3.0]):
        t1 = t + days
        flow.pending.draw(t1)
        pend = flow.pending
        scale = np.ones(flow.n_regions) if i % 2 else np.linspace(0.8, 1.2, flow.n_regions)
        state = LaneState(
            (need * np.array([0.5, 0.8, 1.1, 1.3]) * (1.0 + 0.1 * i)).ravel(),
            scale,
            pend.real,
            pend.ints,
            pend.taken,
            pend.end,
            flow.pool,
            flow.out,
            flow.arrivals,
            np.zeros(len(flow.sources)),
            flow.ema_served,
            flow.ema_requested,
        )
        _call_both(state, t, t1, per, math.exp(-days / flow.window))
        t = t1
        # and the flow's readings of a run's queues, against their numpy twins
        from ecosim.kernels.service import backlog_ref, lane_service_ref

        want_backlog = np.empty(flow.n_regions)
        backlog_ref(flow.pool.js, flow.pool.ji, flow.pool.n, per, want_backlog)
        np.testing.assert_array_equal(flow.backlog(), want_backlog)
        by_lane, by_region = np.empty(len(flow.sources)), np.empty(flow.n_regions)
        lane_service_ref(flow.ema_served, flow.ema_requested, per, by_lane, by_region)
        np.testing.assert_array_equal(flow.service_by_workload().ravel(), by_lane)
        np.testing.assert_array_equal(flow.compute_service(), by_region)
    assert flow.pool.n.sum() > 0 and flow.out[:, SERVED].sum() > 0
