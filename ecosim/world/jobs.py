"""The job flow of every region and workload: pre-drawn arrivals and the compiled queues.

Each (region, workload) pair is a *lane*: a queue of its own, on capacity set aside for it
(:func:`ecosim.world.workloads.allocate`). Arrivals are drawn per lane in fixed blocks of days
from the lane's own stream, in day order, whatever events fall in between: the jobs a run
sees do not depend on shocks, levers or how often the queues are advanced, which is what
makes the no-shock twin a fair baseline. Sizes are shares of the lane's demand at arrival, so
a region a hundred times larger sees the same number of jobs, each a hundred times larger.

The flow also keeps each lane's served and requested work smoothed over the service window:
their ratio is the lane's service, and the compute layer's service of a region is the mean of
its workloads' services weighted by the work each requested over the window.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ecosim.kernels import arrivals as ak
from ecosim.kernels import jobs as jk
from ecosim.kernels import service as sk
from ecosim.scenario.models import Workload

BLOCK_DAYS = 32
#: The rows of a source's real and integer arrivals.
_REAL = ("t", "size", "dur", "patience")
_INT = ("prio", "id")


def pareto_scale(mix: Workload, arrivals_scale: float = 1.0) -> float:
    """Pareto scale ``x_m`` (share of demand) so that arrivals x mean work = demand."""
    a, cap = mix.size_pareto_alpha, mix.max_job_share
    mean_dur = mix.duration_median_days * math.exp(0.5 * mix.duration_sigma**2)
    target = 1.0 / (mix.arrivals_per_day * arrivals_scale * mean_dur)  # mean size share wanted

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
    """Arrivals of one lane, generated block by block from its stream.

    Parameters
    ----------
    rng
        The lane's own stream.
    mix
        The workload's job profile.
    demand_at
        The lane's demand (H100e) at an array of days.
    priority_shares
        Shares of public, industry and critical jobs.
    start
        Day from which arrivals are drawn (before day 0 when the run warms its queues up).
    arrivals_scale
        Multiplies ``mix.arrivals_per_day``; sizes follow so the work is the same.
    """

    def __init__(
        self,
        rng: np.random.Generator,
        mix: Workload,
        demand_at: Callable[[np.ndarray], np.ndarray],
        priority_shares: Sequence[float],
        start: float = 0.0,
        arrivals_scale: float = 1.0,
    ) -> None:
        self.rng = rng
        self.mix = mix
        self.demand_at = demand_at
        self.priority_cum = np.cumsum(priority_shares)
        self.rate = mix.arrivals_per_day * arrivals_scale
        self.xm = pareto_scale(mix, arrivals_scale)
        # arrivals are drawn from ``start``: before day 0 when the run warms its queues up
        self.generated_to = float(start)
        self.next_id = 0
        self._alone: Pending | None = None  # its pending arrivals when read on its own

    def draw_block(self) -> tuple[np.ndarray, np.ndarray]:
        """Draw the next ``BLOCK_DAYS`` of arrivals from the stream: the real fields (t, size,
        dur, patience) and the integer ones (prio, id), a row each, a column an arrival."""
        mix, rng = self.mix, self.rng
        t0 = self.generated_to
        counts = rng.poisson(self.rate, size=BLOCK_DAYS)
        # a sum of a block's few dozen counts in Python, a third of numpy's call on them
        n = sum(counts.tolist())
        # the arrival times in day order, and within a day in order of the uniform draw: as
        # (t0 + day) + within never decreases in that order, sorting the times gives the same
        times = ak.arrival_times(counts, rng.random(n), float(t0))
        times.sort()
        grown = rng.random(n) ** (-1.0 / mix.size_pareto_alpha)
        spread = np.exp(mix.duration_sigma * rng.standard_normal(n))
        real, ints = ak.block_fields(
            times,
            grown,
            self.xm,
            float(mix.max_job_share),
            self.demand_at(times),
            float(mix.duration_median_days),
            spread,
            rng.random(n),
            self.priority_cum,
            jk.N_PRIO,
            float(mix.patience_days),
            self.next_id,
        )
        self.next_id += n
        self.generated_to = t0 + BLOCK_DAYS
        return real, ints

    def take(self, t1: float) -> tuple[np.ndarray, ...]:
        """Arrivals before ``t1`` not taken yet, the source read on its own (not in a flow):
        times, sizes, durations, prio, patience, ids."""
        if self._alone is None:
            self._alone = Pending([self])
        real, ints, _ = self._alone.take(t1)
        return real[0], real[1], real[2], ints[0], real[3], ints[1]


class Pending:
    """The arrivals drawn and not yet taken of several lanes, kept in one array.

    Lane ``l``'s are the columns ``[taken[l], end[l])`` of ``real`` and ``ints`` (those before
    ``taken[l]`` are gone), each lane's in time order; a row a field: the real ones (t, size,
    dur, patience) and the integer ones (prio, id). The job flow's kernel takes them where
    they are (:func:`ecosim.kernels.jobs.advance_lanes`) and moves ``taken`` on.

    Parameters
    ----------
    sources
        The lanes' sources, which start on the same day and are read to the same days.
    """

    def __init__(self, sources: Sequence[JobSource]) -> None:
        self.sources = sources
        n = len(sources)
        self.real = np.zeros((len(_REAL), 0))
        self.ints = np.zeros((len(_INT), 0), dtype=np.int64)
        self.taken = np.zeros(n, dtype=np.int64)
        self.end = np.zeros(n, dtype=np.int64)
        # the day up to which every lane is drawn: asked at every step, drawn once a block
        self.drawn_to = min((src.generated_to for src in sources), default=math.inf)

    def draw(self, t1: float) -> None:
        """Draw every lane's blocks up to ``t1``, each from its own stream."""
        if self.drawn_to >= t1:
            return
        srcs = self.sources
        reals: list[np.ndarray] = []
        ints: list[np.ndarray] = []
        counts = np.zeros(len(srcs), dtype=np.int64)
        for i, src in enumerate(srcs):
            lane_real = [self.real[:, self.taken[i] : self.end[i]]]
            lane_int = [self.ints[:, self.taken[i] : self.end[i]]]
            while src.generated_to < t1:
                real, ids = src.draw_block()
                lane_real.append(real)
                lane_int.append(ids)
            counts[i] = sum(r.shape[1] for r in lane_real)
            reals.extend(lane_real)
            ints.extend(lane_int)
        self.real = np.concatenate(reals, axis=1)
        self.ints = np.concatenate(ints, axis=1)
        self.end = np.cumsum(counts)
        self.taken = self.end - counts
        self.drawn_to = min(src.generated_to for src in srcs)

    def take(self, t1: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every lane's pending arrivals before ``t1``, lane after lane: the real fields, the
        integer ones and each lane's count."""
        self.draw(t1)
        upto = np.empty_like(self.taken)
        n = ak.cut_lanes(self.real[0], self.taken, self.end, float(t1), upto)
        counts = upto - self.taken
        # the columns taken, lane after lane: [taken[l], upto[l]) for each lane l
        first = np.cumsum(counts) - counts
        cols = np.arange(n, dtype=np.int64) + np.repeat(self.taken - first, counts)
        self.taken = upto
        return self.real[:, cols], self.ints[:, cols], counts


class JobFlow:
    """All lanes' queues, advanced together between macro events.

    Parameters
    ----------
    sources
        One source per lane, lane ``r * n_workloads + k`` for region ``r`` and workload ``k``.
    n_workloads
        Workloads per region.
    max_jobs
        Room for active jobs in each lane.
    window
        Days over which served and requested work are smoothed into service.
    """

    def __init__(
        self, sources: list[JobSource], n_workloads: int, max_jobs: int, window: float
    ) -> None:
        if len(sources) % n_workloads:
            raise ValueError(f"{len(sources)} sources do not make lanes of {n_workloads}")
        self.sources = sources
        self.n_workloads = n_workloads
        self.n_regions = len(sources) // n_workloads
        self.window = window
        n = len(sources)
        self.pool = jk.JobPool.empty(n, max_jobs)
        self.out = np.zeros((n, jk.N_OUT))
        self.arrivals = np.zeros(n)
        #: Capacity each lane ran on in the last interval (region, workload), H100e.
        self.capacity = np.zeros((self.n_regions, n_workloads))
        self.ema_served = np.zeros(n)
        self.ema_requested = np.zeros(n)
        self._no_starts = np.zeros(0)
        self._no_scale = np.ones(self.n_regions)
        self._served = np.zeros(n)
        self.pending = Pending(sources)

    def advance(
        self, t0: float, t1: float, capacity: np.ndarray, scale: np.ndarray | None = None
    ) -> np.ndarray:
        """Run every lane's queue over ``[t0, t1)`` at constant ``capacity`` (region,
        workload; H100e), and smooth the work served and requested into service.

        ``scale`` (region,) multiplies the sizes of the jobs arriving now (a demand surge):
        the jobs themselves stay the pre-drawn ones, so a surge never shifts the random
        streams.

        Returns
        -------
        numpy.ndarray
            Work each lane served over the interval (lane,), H100e d.
        """
        self.capacity = np.array(capacity, dtype=np.float64).reshape(
            self.n_regions, self.n_workloads
        )
        # the due arrivals are taken, the queues advanced and their service smoothed in one
        # compiled call; a scale of one multiplies every size by 1.0, which leaves it as it is
        jk.advance_lanes(
            float(t0), float(t1), self.capacity.reshape(-1), *self.queue_inputs(t0, t1, scale)
        )
        return self._served.copy()

    def queue_inputs(
        self, t0: float, t1: float, scale: np.ndarray | None = None
    ) -> tuple[Any, ...]:
        """The arguments of :func:`ecosim.kernels.jobs.advance_lanes` after the capacity, for
        an advance over ``[t0, t1)`` by the compiled step
        (:func:`ecosim.kernels.step.continuous_step`): the arrivals drawn up to ``t1``, and
        :meth:`advance`'s queues, accumulators and smoothing, which the step writes in place.
        The capacity the lanes ran on is handed back with :meth:`ran_on`."""
        pend = self.pending
        pend.draw(t1)
        surge = self._no_scale if scale is None else np.asarray(scale, dtype=np.float64)
        return (
            surge,
            self.n_workloads,
            pend.real,
            pend.ints,
            pend.taken,
            pend.end,
            self.pool.js,
            self.pool.ji,
            self.pool.n,
            self.pool.used,
            self.out,
            self._no_starts,
            self.arrivals,
            self._served,
            self.ema_served,
            self.ema_requested,
            math.exp(-(t1 - t0) / self.window),
        )

    def ran_on(self, capacity: np.ndarray) -> None:
        """The capacity each lane ran on over the interval the compiled step advanced
        (region, workload; H100e)."""
        self.capacity = capacity

    def lanes_sum(self, x: np.ndarray) -> np.ndarray:
        """Sum a per-lane array (lane, ...) over each region's workloads (region, ...)."""
        return np.asarray(x.reshape(self.n_regions, self.n_workloads, *x.shape[1:]).sum(axis=1))

    def service_by_workload(self) -> np.ndarray:
        """Smoothed served over requested work of each lane (region, workload), in [0, 1]."""
        by_lane, _ = self._service()
        return by_lane.reshape(self.n_regions, self.n_workloads)

    def compute_service(self) -> np.ndarray:
        """Service of each region's compute (region,): its workloads' services weighted by
        the work each requested over the window, in [0, 1]."""
        return self._service()[1]

    def _service(self) -> tuple[np.ndarray, np.ndarray]:
        """Each lane's service and each region's, as :func:`ecosim.kernels.service.lane_service`
        reckons them."""
        by_lane, by_region = np.empty(len(self.sources)), np.empty(self.n_regions)
        sk.lane_service(self.ema_served, self.ema_requested, self.n_workloads, by_lane, by_region)
        return by_lane, by_region

    def backlog(self) -> np.ndarray:
        """Work waiting in each region's queues (H100e-days)."""
        pool = self.pool
        out = np.empty(self.n_regions)
        sk.backlog(pool.js, pool.ji, pool.n, self.n_workloads, out)
        return out

    def drain(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return and reset the accumulators: by region (region, ``N_OUT``), by lane
        (region, workload, ``N_OUT``), and arrival counts by region (region,)."""
        lanes = self.out.reshape(self.n_regions, self.n_workloads, jk.N_OUT).copy()
        out, arr = self.lanes_sum(self.out), self.lanes_sum(self.arrivals)
        self.out[:] = 0.0
        self.arrivals[:] = 0.0
        return out, lanes, arr
