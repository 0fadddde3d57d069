"""The job kernel against queueing theory and against the same queue written in SimPy.

Configured with one priority, unit sizes, capacity ``c``, Poisson arrivals, exponential service
and infinite patience, each region's queue is an M/M/c queue with FIFO service, for which the
Erlang-C formula gives the mean wait exactly.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Generator

import numpy as np
import simpy
from numpy.typing import NDArray

from ecosim.calibrate.theory import Stream, erlang_c, run_mmc
from ecosim.kernels.jobs import (
    N_OUT,
    QUEUE_AREA,
    SERVED,
    STARTED,
    STATE,
    WAIT_SINCE,
    WAIT_SUM,
    WAITING,
    JobPool,
    advance,
)

F8 = NDArray[np.float64]
I8 = NDArray[np.int64]


def test_mmc_mean_wait_matches_erlang_c() -> None:
    """Mean wait of M/M/10 at rho = 0.8 against W_q = C(c, a) / (c mu - lambda).

    Ten independent regions run side by side for 25,000 daily calls, about 2,000,000 jobs.
    Waits in one queue are strongly autocorrelated (the queue length relaxes over about nine
    days, some 70 arrivals), so one region's mean wait over 200,000 jobs has a relative standard
    error near 3-4 %, not the 0.5 % an independent sample would give. The ten regions are
    independent replicates: their spread gives the standard error of the pooled mean, about
    1 % relative. The tolerance is 5 % relative, some five standard errors, and the test also
    checks that the standard error it measured is small enough for 5 % to mean something.
    """
    c, lam, mu = 10, 8.0, 1.0
    n_regions, n_calls, warmup = 10, 25_000, 1_000
    stream = Stream.draw(np.random.default_rng(20240611), n_regions, lam, mu, n_calls)
    pool, out, start = run_mmc(stream, n_regions, c, max_jobs=1_000)

    p_wait = erlang_c(c, lam / mu)
    w_q = p_wait / (c * mu - lam)
    wait = start - stream.t
    means = np.empty(n_regions)
    waited = np.empty(n_regions)
    for r in range(n_regions):
        mine = stream.region == r
        w = wait[mine][warmup:]
        w = w[start[mine][warmup:] >= 0.0]
        means[r] = w.mean()
        waited[r] = np.mean(w > 0.0)
    mean = means.mean()
    se = means.std(ddof=1) / math.sqrt(n_regions)
    assert se / w_q < 0.02, f"standard error {se / w_q:.3%} too large for the tolerance"
    assert abs(mean - w_q) / w_q < 0.05, f"mean wait {mean:.5f} vs Erlang C {w_q:.5f}"
    assert abs(mean - w_q) < 5.0 * se
    # P(wait > 0) is C(c, a) itself; its per-region standard error is about 0.5 %.
    assert abs(waited.mean() - p_wait) < 0.015
    # Utilisation is rho = lambda / (c mu).
    horizon = float(n_calls)
    np.testing.assert_allclose(out[:, SERVED].sum() / (n_regions * c * horizon), 0.8, rtol=0.01)

    # Sample-path identity: the queue area is the waiting time of every job that has started,
    # plus the part already waited by those still in the queue.
    for r in range(n_regions):
        mine = stream.region == r
        started = start[mine] >= 0.0
        waiting = pool.ji[r, : pool.n[r], STATE] == WAITING
        still = (horizon - pool.js[r, : pool.n[r], WAIT_SINCE][waiting]).sum()
        np.testing.assert_allclose(out[r, WAIT_SUM], wait[mine][started].sum(), rtol=1e-9)
        np.testing.assert_allclose(out[r, QUEUE_AREA], out[r, WAIT_SUM] + still, rtol=1e-9)
        assert out[r, STARTED] == started.sum()


def simpy_mmc_waits(arrival: F8, dur: F8, c: int) -> F8:
    """Waits of the same jobs in a plain SimPy FIFO queue with ``c`` servers.

    The source sleeps through each inter-arrival gap, so arrival times are built by the same
    sequence of additions as ``np.cumsum`` and agree with the kernel's to the last bit.
    """
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)
    waits = np.full(arrival.size, np.nan)
    gaps = np.diff(arrival, prepend=0.0)

    def job(k: int) -> Generator[simpy.Event, object, None]:
        arrived = env.now
        with servers.request() as granted:
            yield granted
            waits[k] = env.now - arrived
            yield env.timeout(dur[k])

    def source() -> Generator[simpy.Event, object, None]:
        for k in range(arrival.size):
            yield env.timeout(gaps[k])
            env.process(job(k))

    env.process(source())
    env.run()
    return waits


def test_kernel_waits_equal_simpy_waits() -> None:
    """Per-job waits equal those of the same M/M/c queue in SimPy, over uneven kernel calls."""
    rng = np.random.default_rng(7)
    c, lam, mu, n = 4, 3.4, 1.0, 4_000
    arrival = np.cumsum(rng.exponential(1.0 / lam, n))
    dur = rng.exponential(1.0 / mu, n)
    expected = simpy_mmc_waits(arrival, dur, c)

    # Call boundaries at uneven times, like the macro events that split a run.
    horizon = arrival[-1] + 200.0
    cuts = np.concatenate([[0.0], np.sort(rng.uniform(0.0, horizon, 40)), [horizon]])
    pool = JobPool.empty(1, 2_000)
    out = np.zeros((1, N_OUT))
    start = np.full(n, -1.0)
    ids = np.arange(n, dtype=np.int64)
    for t0, t1 in itertools.pairwise(cuts):
        lo, hi = np.searchsorted(arrival, [t0, t1])
        k = hi - lo
        advance(
            pool,
            t0,
            t1,
            np.array([float(c)]),
            arrival[lo:hi],
            np.ones(k),
            dur[lo:hi],
            np.zeros(k, dtype=np.int64),
            np.full(k, np.inf),
            ids[lo:hi],
            np.array([0, k], dtype=np.int64),
            out,
            start,
        )
    assert pool.n[0] == 0
    assert np.all(start >= 0.0)
    waits = start - arrival
    assert np.mean(waits > 0.0) > 0.3  # a queue that really queues
    np.testing.assert_allclose(waits, expected, rtol=1e-9, atol=1e-9)
