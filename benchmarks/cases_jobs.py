"""Benchmark cases for the job-queue kernel at the size of the baseline world.

Nine regions each receive about 150 jobs a day with heavy-tailed sizes, at a utilisation near
0.85, and the kernel advances them through 60 daily calls from a queue already in steady state.
The same kernel also runs an M/M/c queue against that queue written in plain SimPy, on the same
pre-drawn arrival and service times.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass

import numpy as np
import simpy
from _bench import Case
from numpy.typing import NDArray

from ecosim.kernels.jobs import (
    N_OUT,
    JobPool,
    advance_jobs,
    advance_jobs_ref,
    advance_lanes,
    advance_lanes_ref,
)

N_REGIONS = 9
RATE = 150.0  # arrivals per region and day
DAYS = 60
WARMUP_DAYS = 30
UTILISATION = 0.85
MAX_JOBS = 2048
PARETO_SHAPE = 1.5  # finite mean, infinite variance: a few jobs dwarf the rest
SIZE_CLIP = 200.0  # largest job over the smallest; keeps the largest near a quarter of capacity
DUR_SIGMA = 1.0  # log-normal durations with median one day

F8 = NDArray[np.float64]
I8 = NDArray[np.int64]
Call = tuple[float, float, F8, F8, F8, F8, I8, F8, I8, I8]


@dataclass
class Workload:
    """Pre-drawn inputs of a run of daily calls, and the pool to start it from."""

    calls: list[Call]  # (t0, t1, capacity, arr_t, size, dur, prio, patience, id, off)
    pool: JobPool
    n_ids: int

    def run(self, kernel: Callable[..., None]) -> F8:
        """Advance a copy of the pool through every call; return the accumulators."""
        pool = self.pool.copy()
        out = np.zeros((self.pool.n_regions, N_OUT))
        start = np.full(self.n_ids, -1.0)
        for t0, t1, capacity, *arrivals in self.calls:
            kernel(t0, t1, capacity, *arrivals, pool.js, pool.ji, pool.n, pool.used, out, start)
        return out


def _daily_arrivals(
    rng: np.random.Generator, day: int, scale: F8, first_id: int
) -> tuple[F8, F8, F8, I8, F8, I8, I8]:
    ts, sizes, durs, prios, patiences = [], [], [], [], []
    for r in range(scale.size):
        k = int(rng.poisson(RATE))
        ts.append(np.sort(rng.uniform(day, day + 1.0, k)))
        raw = np.minimum(1.0 + rng.pareto(PARETO_SHAPE, k), SIZE_CLIP)
        sizes.append(raw * scale[r])
        durs.append(rng.lognormal(0.0, DUR_SIGMA, k))
        prio = rng.choice(3, size=k, p=[0.7, 0.2, 0.1])
        prios.append(prio)
        # Critical work never gives up; the rest waits a few days at most.
        patiences.append(np.where(prio == 2, np.inf, rng.lognormal(1.0, 0.7, k)))
    off = np.zeros(scale.size + 1, dtype=np.int64)
    off[1:] = np.cumsum([t.size for t in ts])
    ids = np.arange(first_id, first_id + off[-1], dtype=np.int64)
    return (
        np.concatenate(ts),
        np.concatenate(sizes),
        np.concatenate(durs),
        np.concatenate(prios).astype(np.int64),
        np.concatenate(patiences),
        ids,
        off,
    )


def job_workload(seed: int = 0) -> Workload:
    """Draw 60 days of arrivals for nine regions and warm a pool up to steady state."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(2_000.0, 40_000.0, N_REGIONS)
    # Scale sizes so that offered work is UTILISATION times capacity.
    mean_raw = np.minimum(1.0 + rng.pareto(PARETO_SHAPE, 1_000_000), SIZE_CLIP).mean()
    mean_dur = float(np.exp(DUR_SIGMA**2 / 2.0))
    scale = UTILISATION * base / (RATE * mean_raw * mean_dur)

    calls: list[Call] = []
    next_id = 0
    for day in range(WARMUP_DAYS + DAYS):
        capacity = base * rng.uniform(0.98, 1.02, N_REGIONS)
        # Now and then a region loses a sixth of its capacity for a day, forcing preemption.
        capacity[rng.random(N_REGIONS) < 0.05] *= 5.0 / 6.0
        arrivals = _daily_arrivals(rng, day, scale, next_id)
        next_id += arrivals[-2].size
        calls.append((float(day), float(day + 1), capacity, *arrivals))

    pool = JobPool.empty(N_REGIONS, MAX_JOBS)
    warm = Workload(calls[:WARMUP_DAYS], pool, next_id)
    out = np.zeros((N_REGIONS, N_OUT))
    start = np.full(next_id, -1.0)
    for t0, t1, capacity, *rest in warm.calls:
        advance_jobs(t0, t1, capacity, *rest, pool.js, pool.ji, pool.n, pool.used, out, start)
    return Workload(calls[WARMUP_DAYS:], pool, next_id)


@dataclass
class Lanes:
    """The same workload as the job flow holds it: every lane's arrivals pending in one array,
    lane after lane, taken a day at a time with a surge on some regions' sizes."""

    work: Workload
    real: F8
    ints: I8
    end: I8

    @classmethod
    def of(cls, work: Workload) -> Lanes:
        fields: list[list[NDArray[np.generic]]] = [[] for _ in range(6)]
        for _t0, _t1, _cap, *arrivals, off in work.calls:
            for r in range(N_REGIONS):
                for f in range(6):
                    fields[f].append(arrivals[f][off[r] : off[r + 1]])
        # lane after lane: each lane's days in order
        cols = [
            np.concatenate(
                [
                    fields[f][d * N_REGIONS + r]
                    for r in range(N_REGIONS)
                    for d in range(len(work.calls))
                ]
            )
            for f in range(6)
        ]
        t, size, dur, prio, patience, ids = cols
        counts = np.bincount(
            np.repeat(np.tile(np.arange(N_REGIONS), len(work.calls)), [x.size for x in fields[0]]),
            minlength=N_REGIONS,
        )
        return cls(
            work,
            np.stack([t, size, dur, patience]),
            np.stack([prio, ids]).astype(np.int64),
            np.cumsum(counts),
        )

    def run(self, kernel: Callable[..., None]) -> F8:
        """Advance a copy of the pool through every day; return the accumulators and the
        smoothed service."""
        pool = self.work.pool.copy()
        n = N_REGIONS
        out = np.zeros((n, N_OUT))
        start = np.full(self.work.n_ids, -1.0)
        taken = self.end - np.diff(self.end, prepend=0)
        arrivals, served, ema_s, ema_q = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
        surge = np.ones(n)
        surge[::3] = 1.1
        for day, (t0, t1, capacity, *_rest) in enumerate(self.work.calls):
            scale = surge if day % 2 else np.ones(n)
            kernel(
                t0, t1, capacity, scale, 1, self.real, self.ints, taken, self.end,
                pool.js, pool.ji, pool.n, pool.used, out, start, arrivals, served, ema_s,
                ema_q, 0.93,
            )  # fmt: skip
        return np.concatenate([out.ravel(), ema_s, ema_q])


# --------------------------------------------------------------------------------------------
# M/M/c against SimPy
# --------------------------------------------------------------------------------------------

MMC_SERVERS = 100
MMC_RATE = 85.0  # rho = 0.85 with unit service rate


@dataclass
class MMC:
    """M/M/c jobs of several regions, and the same jobs cut into daily kernel calls."""

    t: F8  # ordered by (day, region, time); ids are positions in this order
    dur: F8
    region: I8
    n_regions: int
    calls: list[Call]

    def kernel_waits(self) -> F8:
        pool = JobPool.empty(self.n_regions, MAX_JOBS)
        out = np.zeros((self.n_regions, N_OUT))
        start = np.full(self.t.size, -1.0)
        for t0, t1, capacity, *arrivals in self.calls:
            kernel_args = (*arrivals, pool.js, pool.ji, pool.n, pool.used, out, start)
            advance_jobs(t0, t1, capacity, *kernel_args)
        return start - self.t

    def simpy_waits(self) -> F8:
        env = simpy.Environment()
        waits = np.full(self.t.size, np.nan)

        def job(k: int, servers: simpy.Resource) -> Generator[simpy.Event, object, None]:
            arrived = env.now
            with servers.request() as granted:
                yield granted
                waits[k] = env.now - arrived
                yield env.timeout(self.dur[k])

        def source(mine: I8) -> Generator[simpy.Event, object, None]:
            servers = simpy.Resource(env, capacity=MMC_SERVERS)
            gaps = np.diff(self.t[mine], prepend=0.0)
            for k, gap in zip(mine, gaps, strict=True):
                yield env.timeout(gap)
                env.process(job(int(k), servers))

        for r in range(self.n_regions):
            env.process(source(np.flatnonzero(self.region == r)))
        env.run()
        return waits


def mmc_workload(n_regions: int, seed: int = 1) -> MMC:
    """Draw M/M/c arrivals for ``DAYS`` days, with ten empty days after for the queue to drain."""
    rng = np.random.default_rng(seed)
    ts, durs, regions = [], [], []
    for r in range(n_regions):
        t = np.cumsum(rng.exponential(1.0 / MMC_RATE, int(MMC_RATE * DAYS * 1.2)))
        t = t[t < DAYS]
        ts.append(t)
        durs.append(rng.exponential(1.0, t.size))
        regions.append(np.full(t.size, r, dtype=np.int64))
    t_all = np.concatenate(ts)
    region = np.concatenate(regions)
    n_days = DAYS + 10
    key = np.floor(t_all).astype(np.int64) * n_regions + region
    order = np.argsort(key, kind="stable")
    counts = np.bincount(key, minlength=n_days * n_regions).reshape(n_days, n_regions)
    offsets = np.zeros((n_days, n_regions + 1), dtype=np.int64)
    offsets[:, 1:] = np.cumsum(counts, axis=1)
    bounds = np.zeros(n_days + 1, dtype=np.int64)
    bounds[1:] = np.cumsum(counts.sum(axis=1))
    t_all, dur = t_all[order], np.concatenate(durs)[order]
    n = t_all.size
    # The caller hands the kernel each interval's arrivals ready-made, so the slicing is done
    # here, outside the timings, as it is for SimPy.
    capacity = np.full(n_regions, float(MMC_SERVERS))
    ids = np.arange(n, dtype=np.int64)
    calls: list[Call] = []
    for d in range(n_days):
        lo, hi = bounds[d], bounds[d + 1]
        k = hi - lo
        calls.append(
            (
                float(d),
                float(d + 1),
                capacity,
                t_all[lo:hi],
                np.ones(k),
                dur[lo:hi],
                np.zeros(k, dtype=np.int64),
                np.full(k, np.inf),
                ids[lo:hi],
                offsets[d],
            )
        )
    return MMC(t_all, dur, region[order], n_regions, calls)


def _warm(work: Workload) -> Callable[[], None]:
    # Setup runs the compiled kernel once so compilation (or the cache load) stays out of timings.
    def setup() -> None:
        work.run(advance_jobs)

    return setup


def _check_lanes(lanes: Lanes) -> Callable[[], None]:
    # Setup compiles the kernel and checks it agrees with its twin to the bit.
    def setup() -> None:
        if not np.array_equal(lanes.run(advance_lanes), lanes.run(advance_lanes_ref)):
            raise AssertionError("advance_lanes and its twin disagree")

    return setup


def _check_mmc(mmc: MMC) -> Callable[[], None]:
    # Setup compiles the kernel and checks that both sides really do the same work.
    def setup() -> None:
        fast, ref = mmc.kernel_waits(), mmc.simpy_waits()
        np.testing.assert_allclose(fast, ref, rtol=1e-9, atol=1e-9)

    return setup


def cases() -> list[Case]:
    """Return the job-kernel benchmark cases."""
    work = job_workload()
    lanes = Lanes.of(work)
    mmc_one = mmc_workload(1)
    mmc_all = mmc_workload(N_REGIONS)
    return [
        Case(
            name="jobs.advance_jobs",
            fast=lambda: work.run(advance_jobs),
            ref=lambda: work.run(advance_jobs_ref),
            repeats_fast=20,
            repeats_ref=1,
            setup=_warm(work),
        ),
        Case(
            name="jobs.advance_lanes",
            fast=lambda: lanes.run(advance_lanes),
            ref=lambda: lanes.run(advance_lanes_ref),
            repeats_fast=20,
            repeats_ref=1,
            setup=_check_lanes(lanes),
        ),
        Case(
            name="jobs.mmc_vs_simpy_1_region",
            fast=mmc_one.kernel_waits,
            ref=mmc_one.simpy_waits,
            repeats_fast=20,
            repeats_ref=3,
            setup=_check_mmc(mmc_one),
            target=100.0,
        ),
        Case(
            name="jobs.mmc_vs_simpy_9_regions",
            fast=mmc_all.kernel_waits,
            ref=mmc_all.simpy_waits,
            repeats_fast=10,
            repeats_ref=1,
            setup=_check_mmc(mmc_all),
            target=100.0,
        ),
    ]
