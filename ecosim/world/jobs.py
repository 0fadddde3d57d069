"""The job flow of every region: pre-drawn arrivals and the compiled queue between events.

Arrivals are drawn per region in fixed blocks of days from the region's own streams, in day
order, whatever events fall in between: the jobs a run sees do not depend on shocks, levers or
how often the queue is advanced, which is what makes the no-shock twin a fair baseline.
Sizes are shares of the region's demand at arrival, so a region a hundred times larger sees
the same number of jobs, each a hundred times larger.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ecosim.kernels import jobs as jk
from ecosim.scenario.models import JobMix

BLOCK_DAYS = 32


def pareto_scale(mix: JobMix) -> float:
    """Pareto scale ``x_m`` (share of demand) so that arrivals x mean work = demand."""
    a, cap = mix.size_pareto_alpha, mix.max_job_share
    mean_dur = mix.duration_median_days * math.exp(0.5 * mix.duration_sigma**2)
    target = 1.0 / (mix.arrivals_per_day * mean_dur)  # mean size share wanted

    def mean_size(xm: float) -> float:
        return xm * a / (a - 1.0) - xm**a * cap ** (1.0 - a) / (a - 1.0)

    lo, hi = 1e-15, cap
    if mean_size(hi) < target:
        return hi  # cannot reach demand with capped jobs; the queue simply sees less work
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        if mean_size(mid) < target:
            lo = mid
        else:
            hi = mid
    return math.sqrt(lo * hi)


class JobSource:
    """Arrivals of one region, generated block by block from its stream."""

    def __init__(
        self,
        rng: np.random.Generator,
        mix: JobMix,
        demand_at: Callable[[np.ndarray], np.ndarray],
        start: float = 0.0,
    ) -> None:
        self.rng = rng
        self.mix = mix
        self.demand_at = demand_at
        self.xm = pareto_scale(mix)
        # arrivals are drawn from ``start``: before day 0 when the run warms its queues up
        self.generated_to = float(start)
        self.next_id = 0
        self._pos = 0
        self._data: dict[str, np.ndarray] = {
            "t": np.zeros(0),
            "size": np.zeros(0),
            "dur": np.zeros(0),
            "prio": np.zeros(0, dtype=np.int64),
            "patience": np.zeros(0),
            "id": np.zeros(0, dtype=np.int64),
        }

    def _extend(self) -> None:
        mix, rng = self.mix, self.rng
        t0 = self.generated_to
        counts = rng.poisson(mix.arrivals_per_day, size=BLOCK_DAYS)
        n = int(counts.sum())
        day = np.repeat(np.arange(BLOCK_DAYS, dtype=np.float64), counts)
        within = rng.random(n)
        order = np.lexsort((within, day))
        times = (t0 + day + within)[order]
        u_size = rng.random(n)
        share = np.minimum(self.xm * u_size ** (-1.0 / mix.size_pareto_alpha), mix.max_job_share)
        dur = mix.duration_median_days * np.exp(mix.duration_sigma * rng.standard_normal(n))
        prio = np.searchsorted(np.cumsum(mix.priority_shares), rng.random(n), side="right")
        prio = np.minimum(prio, jk.N_PRIO - 1).astype(np.int64)
        block = {
            "t": times,
            "size": share * self.demand_at(times),
            "dur": dur,
            "prio": prio,
            "patience": np.full(n, mix.patience_days),
            "id": self.next_id + np.arange(n, dtype=np.int64),
        }
        self.next_id += n
        # drop what was taken, then append the new block
        self._data = {k: np.concatenate([v[self._pos :], block[k]]) for k, v in self._data.items()}
        self._pos = 0
        self.generated_to = t0 + BLOCK_DAYS

    def take(self, t1: float) -> tuple[np.ndarray, ...]:
        """Arrivals before ``t1`` not taken yet: times, sizes, durations, prio, patience, ids."""
        while self.generated_to < t1:
            self._extend()
        d, pos = self._data, self._pos
        k = pos + int(np.searchsorted(d["t"][pos:], t1, side="left"))
        self._pos = k
        return tuple(d[name][pos:k] for name in ("t", "size", "dur", "prio", "patience", "id"))


class JobFlow:
    """All regions' queues, advanced together between macro events."""

    def __init__(self, sources: list[JobSource], max_jobs: int) -> None:
        self.sources = sources
        self.pool = jk.JobPool.empty(len(sources), max_jobs)
        self.out = np.zeros((len(sources), jk.N_OUT))
        self.arrivals = np.zeros(len(sources))
        self._no_starts = np.zeros(0)

    def advance(
        self, t0: float, t1: float, capacity: np.ndarray, scale: np.ndarray | None = None
    ) -> None:
        """Run every region's queue over ``[t0, t1)`` at constant ``capacity`` (H100e).

        ``scale`` multiplies the sizes of the jobs arriving now (a demand surge): the jobs
        themselves stay the pre-drawn ones, so a surge never shifts the random streams.
        """
        parts = [src.take(t1) for src in self.sources]
        if scale is not None and np.any(scale != 1.0):
            parts = [
                (p[0], p[1] * scale[r], *p[2:]) if scale[r] != 1.0 else p
                for r, p in enumerate(parts)
            ]
        counts = np.array([len(p[0]) for p in parts], dtype=np.int64)
        off = np.zeros(len(parts) + 1, dtype=np.int64)
        off[1:] = np.cumsum(counts)
        cat = [np.concatenate([p[i] for p in parts]) for i in range(6)]
        cat[3] = cat[3].astype(np.int64)
        cat[5] = cat[5].astype(np.int64)
        self.arrivals += counts
        jk.advance_jobs(
            t0,
            t1,
            np.ascontiguousarray(capacity, dtype=np.float64),
            cat[0],
            cat[1],
            cat[2],
            cat[3],
            cat[4],
            cat[5],
            off,
            self.pool.js,
            self.pool.ji,
            self.pool.n,
            self.pool.used,
            self.out,
            self._no_starts,
        )

    def backlog(self) -> np.ndarray:
        """Work waiting in each region's queue (H100e-days)."""
        pool = self.pool
        k = int(pool.n.max()) if pool.n.size else 0
        js, ji = pool.js[:, :k], pool.ji[:, :k]
        active = np.arange(k)[None, :] < pool.n[:, None]
        waiting = active & (ji[:, :, jk.STATE] == jk.WAITING)
        return np.asarray(np.where(waiting, js[:, :, jk.SIZE] * js[:, :, jk.REMAINING], 0.0).sum(1))

    def drain(self) -> tuple[np.ndarray, np.ndarray]:
        """Return and reset the accumulators (R, N_OUT) and arrival counts (R,)."""
        out, arr = self.out.copy(), self.arrivals.copy()
        self.out[:] = 0.0
        self.arrivals[:] = 0.0
        return out, arr
