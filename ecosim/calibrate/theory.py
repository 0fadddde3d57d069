"""Analytic checks: the simulator's kernels against closed forms.

- Queueing: with one priority, unit job sizes, ``c`` servers, Poisson arrivals, exponential
  service and infinite patience, each region's job queue is an M/M/c FIFO queue, whose mean
  wait is given exactly by the Erlang C formula.
- Resilience: a step loss of depth ``d`` that recovers linearly over ``T`` days has a
  resilience loss (the area between the twin's service and the run's) of ``d T / 2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ecosim.core.units import HOURS_PER_DAY
from ecosim.kernels.jobs import N_OUT, JobPool, advance

F8 = NDArray[np.float64]
I8 = NDArray[np.int64]


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load ``a = lambda / mu < c``.

    Parameters
    ----------
    c
        Number of servers.
    a
        Offered load in Erlangs, below ``c``.

    Returns
    -------
    float
        ``C(c, a)``, which is also the share of arrivals that wait at all.
    """
    term = 1.0  # a**k / k!, built up to avoid overflowing factorials
    below = 0.0
    for k in range(c):
        below += term
        term *= a / (k + 1)
    top = term * c / (c - a)
    return top / (below + top)


def mmc_mean_wait(c: int, lam: float, mu: float) -> float:
    """Mean wait in the queue of M/M/c: ``W_q = C(c, lambda/mu) / (c mu - lambda)``."""
    return erlang_c(c, lam / mu) / (c * mu - lam)


@dataclass
class Stream:
    """Pre-drawn M/M/c jobs of several independent regions, laid out for daily calls.

    Jobs are ordered by (call, region, arrival time), so the arrivals of call ``d`` are the slice
    ``bounds[d]:bounds[d + 1]`` and ``offsets[d]`` splits it by region. Ids are positions in
    this order, which grow with arrival time within a region as the kernel requires.
    """

    t: F8
    dur: F8
    region: I8
    bounds: I8
    offsets: I8  # (n_calls, R + 1)

    @classmethod
    def draw(
        cls, rng: np.random.Generator, n_regions: int, lam: float, mu: float, n_calls: int
    ) -> Stream:
        """Draw ``n_calls`` days of arrivals at rate ``lam`` and services at rate ``mu``."""
        ts, durs, regions = [], [], []
        for r in range(n_regions):
            # Enough exponential gaps to pass the horizon with overwhelming probability.
            gaps = rng.exponential(1.0 / lam, int(lam * n_calls + 10 * math.sqrt(lam * n_calls)))
            t = np.cumsum(gaps)
            if t[-1] < n_calls:
                raise RuntimeError("too few arrivals drawn to cover the horizon")
            t = t[t < n_calls]
            ts.append(t)
            durs.append(rng.exponential(1.0 / mu, t.size))
            regions.append(np.full(t.size, r, dtype=np.int64))
        t_all = np.concatenate(ts)
        region = np.concatenate(regions)
        call = np.floor(t_all).astype(np.int64)
        order = np.argsort(call * n_regions + region, kind="stable")
        counts = np.bincount(call * n_regions + region, minlength=n_calls * n_regions)
        counts = counts.reshape(n_calls, n_regions)
        offsets = np.zeros((n_calls, n_regions + 1), dtype=np.int64)
        offsets[:, 1:] = np.cumsum(counts, axis=1)
        bounds = np.concatenate([[0], np.cumsum(counts.sum(axis=1))]).astype(np.int64)
        return cls(t_all[order], np.concatenate(durs)[order], region[order], bounds, offsets)


def run_mmc(stream: Stream, n_regions: int, c: int, max_jobs: int) -> tuple[JobPool, F8, F8]:
    """Run the job kernel over every call of ``stream``; return the pool, ``out`` and starts."""
    n = stream.t.size
    ones = np.ones(n)
    prio = np.zeros(n, dtype=np.int64)
    patience = np.full(n, np.inf)
    ids = np.arange(n, dtype=np.int64)
    pool = JobPool.empty(n_regions, max_jobs)
    out = np.zeros((n_regions, N_OUT))
    start = np.full(n, -1.0)
    capacity = np.full(n_regions, float(c))
    for d in range(stream.bounds.size - 1):
        lo, hi = stream.bounds[d], stream.bounds[d + 1]
        advance(
            pool,
            float(d),
            float(d + 1),
            capacity,
            stream.t[lo:hi],
            ones[lo:hi],
            stream.dur[lo:hi],
            prio[lo:hi],
            patience[lo:hi],
            ids[lo:hi],
            stream.offsets[d],
            out,
            start,
        )
    return pool, out, start


@dataclass(frozen=True)
class TheoryCheck:
    """One analytic check: what was expected, what the code gave, and the tolerance."""

    name: str
    expected: float
    simulated: float
    tolerance: float
    units: str
    reason: str

    @property
    def passed(self) -> bool:
        """Whether the simulated value is within the tolerance of the expected one."""
        return abs(self.simulated - self.expected) <= self.tolerance


def check_erlang_c(
    c: int = 10,
    lam: float = 8.0,
    mu: float = 1.0,
    n_regions: int = 8,
    n_calls: int = 4_000,
    seed: int = 20240611,
) -> TheoryCheck:
    """Mean wait of the job kernel run as M/M/c against Erlang C.

    The regions are independent replicates; the tolerance is four standard errors of the pooled
    mean measured from their spread (waits within one queue are strongly autocorrelated, so the
    jobs themselves are not independent samples).
    """
    warmup = min(1_000, n_calls // 10)
    stream = Stream.draw(np.random.default_rng(seed), n_regions, lam, mu, n_calls)
    _, _, start = run_mmc(stream, n_regions, c, max_jobs=1_000)
    wait = start - stream.t
    means = np.empty(n_regions)
    for r in range(n_regions):
        mine = stream.region == r
        w = wait[mine][warmup:]
        means[r] = w[start[mine][warmup:] >= 0.0].mean()
    se = float(means.std(ddof=1) / math.sqrt(n_regions))
    expected = mmc_mean_wait(c, lam, mu)
    return TheoryCheck(
        f"M/M/{c} mean wait, rho={lam / (c * mu):.2f} (Erlang C)",
        expected,
        float(means.mean()),
        4.0 * se,
        "d",
        f"4 standard errors of the mean over {n_regions} independent queues",
    )


def check_resilience_step(depth: float = 0.4, recovery_days: float = 30.0) -> TheoryCheck:
    """Resilience loss of a step loss recovering linearly against ``d T / 2``.

    The service is sampled hourly; the trapezoidal rule is exact on a piecewise-linear
    shortfall whose kinks fall on samples, so the tolerance is rounding only.
    """
    from ecosim.kernels.metrics import resilience_loss

    step = 1.0 / HOURS_PER_DAY
    shock = 10.0
    t = np.arange(0.0, shock + recovery_days + 20.0 + step / 2, step)
    shortfall = np.where(
        t < shock, 0.0, np.clip(depth * (1.0 - (t - shock) / recovery_days), 0.0, depth)
    )
    # the sample just before the step repeats its time, so the trapezoid sees a vertical edge
    at = int(np.searchsorted(t, shock))
    t = np.insert(t, at, shock)
    service = np.insert(1.0 - shortfall, at, 1.0)[:, None, None]
    twin = np.ones_like(service)
    rl = float(resilience_loss(np.ascontiguousarray(service), twin, t)[0, 0])
    return TheoryCheck(
        f"resilience loss of a {depth:.0%} step recovering linearly over {recovery_days:g} d",
        depth * recovery_days / 2.0,
        rl,
        1e-9 * depth * recovery_days,
        "d",
        "exact for a piecewise-linear shortfall (trapezoidal rule); rounding only",
    )


def run_theory_checks() -> list[TheoryCheck]:
    """Every analytic check, cheap enough for ``ecosim validate`` (a few seconds)."""
    return [check_erlang_c(), check_resilience_step()]
