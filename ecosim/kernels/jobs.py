"""Job-queue kernel: a compiled micro discrete-event simulation of every region's job queue.

Jobs are rigid: job ``k`` asks for ``size`` H100-equivalents (H100e) for ``dur`` days, so it brings
``size * dur`` H100e-days of work. The simulator calls :func:`advance_jobs` once per interval
``[t0, t1)`` between two macro events, during which each region's capacity is constant, for all
regions at once and with the interval's arrivals drawn beforehand. The queue state lives between
calls in a :class:`JobPool`.

Semantics, shared exactly by the kernel and its plain-Python twin :func:`advance_jobs_ref`:

1. At ``t0``, if a region uses more than its capacity (beyond a relative ``FIT_TOL``), running jobs
   are preempted -- lowest priority first, then latest ``START``, then highest id -- until it no
   longer does. A preempted job waits again with ``REMAINING = END - t0``, ``WAIT_SINCE = t0``
   and ``END = t0``. Then the scheduling pass runs, since capacity may have grown.
2. The scheduling pass is a first-fit backfill: waiting jobs are scanned by priority (descending)
   then id (ascending), and every job with ``size <= capacity * (1 + FIT_TOL) - used`` starts.
3. Events are taken in time order: the next arrival, the next completion (``END``) and the next
   abandonment (``WAIT_SINCE + PATIENCE``). At equal times a completion goes first, then an
   arrival, then an abandonment; among completions or abandonments at one time the lowest id goes
   first. A completion frees capacity and runs a pass; an arrival joins the queue (or overflows
   when the pool is full) and starts at once if it fits; an abandonment drops a waiting job.
   Events at or after ``t1`` are left for the next call. Between events ``SERVED`` gains
   ``used * dt`` and ``QUEUE_AREA`` gains ``waiting * dt``. An event whose time is already past
   (possible only if a caller leaves a gap between calls) happens at the current time.
4. On return the active jobs of region ``r`` sit in slots ``[0, n[r])`` sorted by id. Slots the
   call vacated are zeroed, so in a pool that starts zero (:meth:`JobPool.empty`) every slot past
   ``n[r]`` is zero.

``used`` is updated incrementally and reset to exactly zero whenever a region has no running job,
so rounding cannot build up over a long run. The tolerance ``FIT_TOL`` lets a job that fills the
capacity exactly start despite the last-bit error of that running sum.

Arrival ids must grow with arrival time within a region and exceed the ids of the jobs already in
the pool; the simulator's global counter guarantees both.

The job flow calls :func:`advance_lanes`, a region being a lane: it takes each lane's due
arrivals where they wait in the flow's pending array, advances the queues as
:func:`advance_jobs` does and smooths their served and requested work, all in one call.
"""

from __future__ import annotations

import math
import mmap
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from ecosim.kernels.arrivals import cut
from ecosim.kernels.plain import plain_bool, plain_int

__all__ = [
    "ABANDONED",
    "ABANDONED_WORK",
    "END",
    "FIT_TOL",
    "ID",
    "N_JF",
    "N_JI",
    "N_OUT",
    "N_PRIO",
    "OVERFLOW",
    "PATIENCE",
    "PREEMPTED",
    "PRIO",
    "QUEUE_AREA",
    "REMAINING",
    "REQUESTED",
    "RUNNING",
    "SERVED",
    "SIZE",
    "START",
    "STARTED",
    "STATE",
    "WAITING",
    "WAIT_SINCE",
    "WAIT_SUM",
    "JobPool",
    "advance",
    "advance_jobs",
    "advance_jobs_ref",
    "advance_lanes",
    "advance_lanes_ref",
]

# Float fields of a job slot (``js[r, slot, field]``). REMAINING is the work left, in days, when
# the job last became waiting or started; for a running job the time left is ``END - t``. START and
# END are NaN until the job first starts; a preempted job keeps its last START and has END = t0.
SIZE, REMAINING, PATIENCE, WAIT_SINCE, START, END = range(6)
N_JF = 6

# Integer fields of a job slot (``ji[r, slot, field]``).
ID, PRIO, STATE = range(3)
N_JI = 3

# Values of the STATE field; an empty slot holds 0.
WAITING, RUNNING = 1, 2

# Accumulator columns of ``out`` (R, N_OUT): SERVED and REQUESTED and ABANDONED_WORK in H100e-days,
# WAIT_SUM in job-days, QUEUE_AREA in waiting-job-days, the others are counts.
SERVED, REQUESTED, ABANDONED_WORK, STARTED, WAIT_SUM, ABANDONED, OVERFLOW, PREEMPTED, QUEUE_AREA = (
    range(9)
)
N_OUT = 9

# Priorities: 0 public, 1 industry, 2 critical.
N_PRIO = 3

# Relative slack on capacity, for both fitting a job and deciding to preempt.
FIT_TOL = 1e-9

_GONE = 0  # internal state of a job that has left (or an empty slot)


#: Arrays from this size up are allocated by :func:`sparse_zeros` in memory of their own.
_SPARSE_BYTES = 1 << 20


def sparse_zeros(shape: tuple[int, ...], dtype: type[np.generic]) -> NDArray[Any]:
    """An array of zeros whose pages take memory only once written, for a pool mostly empty.

    numpy asks the system to back arrays of 4 MiB and more with 2 MiB huge pages, where the
    system grants them on request (Linux's default): writing one job into each lane's first
    slots then makes the whole pool resident. A ten-year baseline fills at most 256 of a
    lane's 16,384 slots, and its pools (21 MiB) were all resident in the run and in its twin.
    Here the array's memory is a private anonymous map advised against huge pages, so only
    the 4 kB pages written count. Its values, and what any kernel reads and writes, are
    those of ``np.zeros``; a copy or a pickle is an ordinary array.
    """
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    # the advice is Linux's alone; elsewhere numpy's zeros
    if size < _SPARSE_BYTES or not hasattr(mmap, "MADV_NOHUGEPAGE"):
        return np.zeros(shape, dtype=dtype)
    # anonymous (no file: Python adds the flag), private: a forked child (the no-shock twin)
    # writes its own copy, never the parent's
    memory = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE)
    memory.madvise(mmap.MADV_NOHUGEPAGE)
    return np.frombuffer(memory, dtype=dtype).reshape(shape)


@dataclass
class JobPool:
    """Per-region pool of active jobs, the state the job kernel keeps between calls.

    Attributes
    ----------
    js : ndarray of float64, shape (R, M, N_JF)
        Float fields of each slot, indexed by ``SIZE`` ... ``END``.
    ji : ndarray of int64, shape (R, M, N_JI)
        Integer fields of each slot, indexed by ``ID``, ``PRIO``, ``STATE``.
    n : ndarray of int64, shape (R,)
        Active jobs (waiting and running) of each region; they occupy slots ``[0, n[r])``.
    used : ndarray of float64, shape (R,)
        Capacity in use by running jobs, H100e.
    """

    js: NDArray[np.float64]
    ji: NDArray[np.int64]
    n: NDArray[np.int64]
    used: NDArray[np.float64]

    @classmethod
    def empty(cls, n_regions: int, max_jobs: int) -> JobPool:
        """Return a pool of ``n_regions`` regions with room for ``max_jobs`` active jobs each.

        The slots are zeros whose memory is taken only as jobs fill them (:func:`sparse_zeros`):
        a region's jobs sit in its first slots, and a run rarely holds more than a few hundred
        of the pool's thousands.
        """
        return cls(
            js=sparse_zeros((n_regions, max_jobs, N_JF), np.float64),
            ji=sparse_zeros((n_regions, max_jobs, N_JI), np.int64),
            n=np.zeros(n_regions, dtype=np.int64),
            used=np.zeros(n_regions, dtype=np.float64),
        )

    @property
    def n_regions(self) -> int:
        """Number of regions ``R``."""
        return int(self.js.shape[0])

    @property
    def max_jobs(self) -> int:
        """Slots per region ``M``."""
        return int(self.js.shape[1])

    def _mask(self, state: int) -> NDArray[np.bool_]:
        # Slots past n are zero, but masking by n as well keeps this right for hand-built pools.
        active = np.arange(self.max_jobs)[None, :] < self.n[:, None]
        return active & (self.ji[:, :, STATE] == state)

    def backlog_work(self) -> NDArray[np.float64]:
        """Return the waiting work of each region, H100e-days, shape (R,)."""
        work = self.js[:, :, SIZE] * self.js[:, :, REMAINING]
        return np.where(self._mask(WAITING), work, 0.0).sum(axis=1)

    def waiting_count(self) -> NDArray[np.int64]:
        """Return the number of waiting jobs of each region, shape (R,)."""
        return self._mask(WAITING).sum(axis=1).astype(np.int64)

    def running_count(self) -> NDArray[np.int64]:
        """Return the number of running jobs of each region, shape (R,)."""
        return self._mask(RUNNING).sum(axis=1).astype(np.int64)

    def copy(self) -> JobPool:
        """Return a deep copy."""
        return JobPool(self.js.copy(), self.ji.copy(), self.n.copy(), self.used.copy())


# --------------------------------------------------------------------------------------------
# Compiled kernel
# --------------------------------------------------------------------------------------------


@numba.njit(cache=True)
def _heap_push(
    key: NDArray[np.float64],
    kid: NDArray[np.int64],
    job: NDArray[np.int64],
    size: int,
    k: float,
    i: int,
    j: int,
) -> int:
    """Push job ``j`` with key ``(k, i)`` on a min-heap of ``size`` entries; return the new size."""
    pos = size
    while pos > 0:
        parent = (pos - 1) >> 1
        if key[parent] < k or (key[parent] == k and kid[parent] < i):
            break
        key[pos] = key[parent]
        kid[pos] = kid[parent]
        job[pos] = job[parent]
        pos = parent
    key[pos] = k
    kid[pos] = i
    job[pos] = j
    return size + 1


@numba.njit(cache=True)
def _heap_pop(
    key: NDArray[np.float64], kid: NDArray[np.int64], job: NDArray[np.int64], size: int
) -> int:
    """Drop the top of a min-heap of ``size`` entries; return the new size.

    Floyd's variant: the hole left at the root sinks to a leaf along the smaller children, one
    comparison a level, and the last entry then rises from there, rarely more than a level.
    That halves the unpredictable branches of the textbook sift-down.
    """
    size -= 1
    if size <= 0:
        return 0
    pos = 0
    child = 1
    while child < size:
        other = child + 1
        if other < size:
            k_other = key[other]
            k_child = key[child]
            if (k_other < k_child) | ((k_other == k_child) & (kid[other] < kid[child])):
                child = other
        key[pos] = key[child]
        kid[pos] = kid[child]
        job[pos] = job[child]
        pos = child
        child = 2 * pos + 1
    k = key[size]
    i = kid[size]
    j = job[size]
    while pos > 0:
        parent = (pos - 1) >> 1
        if key[parent] < k or (key[parent] == k and kid[parent] < i):
            break
        key[pos] = key[parent]
        kid[pos] = kid[parent]
        job[pos] = job[parent]
        pos = parent
    key[pos] = k
    kid[pos] = i
    job[pos] = j
    return size


@numba.njit(cache=True)
def _sort_by_id(order: NDArray[np.int64], count: int, ij: NDArray[np.int64]) -> None:
    """Sort the rows ``order[:count]`` by job id, in place.

    Insertion sort: the rows come in id order in normal use (the pool is written back sorted
    and arrival ids grow), where it costs one comparison per row, and it compiles far faster
    than ``np.argsort``.
    """
    for q in range(1, count):
        s = order[q]
        jid = ij[s, ID]
        k = q
        while k > 0 and ij[order[k - 1], ID] > jid:
            order[k] = order[k - 1]
            k -= 1
        order[k] = s


@numba.njit(cache=True)
def _index_rows(
    n0: int,
    t1: float,
    sort: bool,
    fj: NDArray[np.float64],
    ij: NDArray[np.int64],
    run_key: NDArray[np.float64],
    run_id: NDArray[np.int64],
    run_job: NDArray[np.int64],
    dl_key: NDArray[np.float64],
    dl_id: NDArray[np.int64],
    dl_job: NDArray[np.int64],
    wlist: NDArray[np.int64],
    wspan: NDArray[np.int64],
    order: NDArray[np.int64],
) -> tuple[int, bool, int, int, int, float]:
    """Index a region's rows ``[0, n0)`` for :func:`_advance_regions`, in id order: sorted first
    if ``sort``, otherwise taken as they lie.

    The running jobs that end before ``t1`` go on the heap keyed (END, id), the waiting ones
    on the list of their priority in the order met, and those whose patience runs out before
    ``t1`` on the heap keyed (deadline, id). A job that ends or gives up at or after ``t1`` is
    never the next event of the call: the loop stops at the first event not before ``t1``,
    and an event chosen before it has an earlier time than every such job's. Leaving those
    out of the heaps (most of the running jobs) changes no result, only the cost of building
    them, which was most of a short call's.

    Returns the number of running jobs, whether the rows met were in id order, the sizes of
    the two heaps, the number of waiting jobs and the smallest waiting size (``inf`` if none).
    """
    # The live part of priority p's list is wlist[p, wspan[p, 0]:wspan[p, 1]].
    for p in range(N_PRIO):
        wspan[p, 0] = 0
        wspan[p, 1] = 0
    if sort:
        for s in range(n0):
            order[s] = s
        _sort_by_id(order, n0, ij)
    nrun = 0
    by_id = True
    # plain integers from the start, not the constant 0: typing the pushes below with a
    # constant would compile _heap_push once more
    n_run_heap = plain_int(0)
    n_dl = plain_int(0)
    nwait = 0
    min_wait = np.inf
    last = -1
    for q in range(n0):
        s = order[q] if sort else q
        jid = ij[s, ID]
        if q > 0 and jid < last:
            by_id = False
        last = jid
        state = ij[s, STATE]
        if state == RUNNING:
            nrun += 1
            if fj[s, END] < t1:
                n_run_heap = _heap_push(run_key, run_id, run_job, n_run_heap, fj[s, END], jid, s)
        elif state == WAITING:
            p = ij[s, PRIO]
            wlist[p, wspan[p, 1]] = s
            wspan[p, 1] += 1
            nwait += 1
            min_wait = min(min_wait, fj[s, SIZE])
            deadline = fj[s, WAIT_SINCE] + fj[s, PATIENCE]
            if deadline < t1:
                n_dl = _heap_push(dl_key, dl_id, dl_job, n_dl, deadline, jid, s)
    return nrun, by_id, n_run_heap, n_dl, nwait, min_wait


@numba.njit(cache=True)
def _advance_regions(
    t0: float,
    t1: float,
    capacity: NDArray[np.float64],
    arr_t: NDArray[np.float64],
    arr_size: NDArray[np.float64],
    arr_dur: NDArray[np.float64],
    arr_prio: NDArray[np.int64],
    arr_patience: NDArray[np.float64],
    arr_id: NDArray[np.int64],
    first: NDArray[np.int64],
    count: NDArray[np.int64],
    scale: NDArray[np.float64],
    js: NDArray[np.float64],
    ji: NDArray[np.int64],
    n: NDArray[np.int64],
    used: NDArray[np.float64],
    out: NDArray[np.float64],
    start_out: NDArray[np.float64],
) -> None:
    """Advance every region ``r`` from ``t0`` to ``t1``.

    Region ``r``'s arrivals are ``arr_*[first[r]:first[r] + count[r]]``, their sizes
    multiplied by ``scale[r]`` (exact for 1.0).

    Each region's jobs live in a table (``fj``, ``ij``, same fields as the pool) whose rows are
    never reused within the call: the pool's jobs first, then arrival ``k`` at row ``n0 + k``.
    Because rows are not reused, lazy deletion only has to look at a row's state. When the
    arrivals fit after the pool's jobs the table is the region's slots of the pool itself,
    which spares copying every active job in and out at each call (most of a short call's
    cost); otherwise it is the scratch ``fj_tmp``, ``ij_tmp``.

    The regions are advanced in one loop here rather than by a call per region: a call of
    some thirty array arguments cost about half a microsecond per region even when inlined,
    twice what a day of an idle region's queue costs. For the same reason
    :func:`_index_rows` is called, not inlined, and takes its arrays one by one rather than
    in tuples.
    """
    n_regions = capacity.shape[0]
    # Scratch sized for the busiest region: every job it holds during the call gets a row.
    rows = 1
    for r in range(n_regions):
        rows = max(rows, n[r] + count[r])
    fj_tmp = np.empty((rows, N_JF), dtype=np.float64)
    ij_tmp = np.empty((rows, N_JI), dtype=np.int64)
    run_key = np.empty(rows, dtype=np.float64)
    run_id = np.empty(rows, dtype=np.int64)
    run_job = np.empty(rows, dtype=np.int64)
    dl_key = np.empty(rows, dtype=np.float64)
    dl_id = np.empty(rows, dtype=np.int64)
    dl_job = np.empty(rows, dtype=np.int64)
    wlist = np.empty((N_PRIO, rows), dtype=np.int64)
    wspan = np.zeros((N_PRIO, 2), dtype=np.int64)
    order = np.empty(rows, dtype=np.int64)
    acc = np.empty(N_OUT, dtype=np.float64)
    for r in range(n_regions):
        lo = first[r]
        na = count[r]
        sc = scale[r]
        m = js.shape[1]
        cap = capacity[r]
        capx = cap * (1.0 + FIT_TOL)
        record = start_out.size > 0
        n0 = n[r]

        # Local sums, added to ``out`` at the end in the same order as the reference twin.
        acc[:] = 0.0

        in_place = n0 + na <= m
        if in_place:
            fj = js[r]
            ij = ji[r]
        else:
            fj = fj_tmp
            ij = ij_tmp
            for s in range(n0):
                for f in range(N_JF):
                    fj[s, f] = js[r, s, f]
                for f in range(N_JI):
                    ij[s, f] = ji[r, s, f]
        # Index structures: a heap of the running jobs keyed (END, id), a heap of the waiting
        # jobs' deadlines keyed (deadline, id) with lazy deletion, and one id-ordered list of
        # waiting rows per priority (see _index_rows). The pool is written back sorted by id, so
        # its rows are indexed as they lie, in the pass that counts them; they are indexed again
        # if they were not in id order, or after a preemption. ``min_wait`` is a lower bound on
        # the size of every waiting job, exact after a full scheduling pass.
        nrun, by_id, n_run_heap, n_dl, nwait, min_wait = _index_rows(
            n0,
            t1,
            plain_bool(False),
            fj,
            ij,
            run_key,
            run_id,
            run_job,
            dl_key,
            dl_id,
            dl_job,
            wlist,
            wspan,
            order,
        )
        for k in range(na):
            ij[n0 + k, STATE] = _GONE
        u = used[r]
        if nrun == 0:
            u = 0.0
        nact = n0

        # Preemption is rare, so a linear search for each victim is cheaper than sorting.
        preempted = False
        while u > capx and nrun > 0:
            preempted = True
            v = -1
            for s in range(n0):
                if ij[s, STATE] != RUNNING:
                    continue
                if v < 0:
                    v = s
                    continue
                if ij[s, PRIO] != ij[v, PRIO]:
                    if ij[s, PRIO] < ij[v, PRIO]:
                        v = s
                elif fj[s, START] != fj[v, START]:
                    if fj[s, START] > fj[v, START]:
                        v = s
                elif ij[s, ID] > ij[v, ID]:
                    v = s
            ij[v, STATE] = WAITING
            fj[v, REMAINING] = fj[v, END] - t0
            fj[v, WAIT_SINCE] = t0
            fj[v, END] = t0
            u -= fj[v, SIZE]
            acc[PREEMPTED] += 1.0
            nrun -= 1
            if nrun == 0:
                u = 0.0

        if preempted or not by_id:
            _, _, n_run_heap, n_dl, nwait, min_wait = _index_rows(
                n0,
                t1,
                not by_id,
                fj,
                ij,
                run_key,
                run_id,
                run_job,
                dl_key,
                dl_id,
                dl_job,
                wlist,
                wspan,
                order,
            )

        t = t0
        ia = 0
        need_pass = True
        while True:
            if need_pass:
                need_pass = False
                if nwait == 0:
                    min_wait = np.inf
                elif min_wait <= capx - u:
                    full_scan = True
                    new_min = np.inf
                    for p in range(N_PRIO - 1, -1, -1):
                        # Entries that leave are squeezed out by writing the kept ones at w <= k.
                        head = wspan[p, 0]
                        length = wspan[p, 1]
                        w = head
                        k = head
                        while k < length:
                            s = wlist[p, k]
                            k += 1
                            if ij[s, STATE] != WAITING:
                                continue  # abandoned since it was listed: drop the entry
                            size = fj[s, SIZE]
                            if size <= capx - u:
                                ij[s, STATE] = RUNNING
                                fj[s, START] = t
                                fj[s, END] = t + fj[s, REMAINING]
                                u += size
                                acc[STARTED] += 1.0
                                acc[WAIT_SUM] += t - fj[s, WAIT_SINCE]
                                jid = ij[s, ID]
                                if record and not start_out[jid] >= 0.0:
                                    start_out[jid] = t
                                if fj[s, END] < t1:
                                    n_run_heap = _heap_push(
                                        run_key, run_id, run_job, n_run_heap, fj[s, END], jid, s
                                    )
                                nrun += 1
                                nwait -= 1
                                continue
                            wlist[p, w] = s
                            w += 1
                            new_min = min(new_min, size)
                            if min_wait > capx - u:
                                # Nothing waiting can fit any more. Close the gap [w, k) by moving
                                # the few kept entries up rather than the long tail down.
                                full_scan = False
                                gap = k - w
                                for q in range(w - 1, head - 1, -1):
                                    wlist[p, q + gap] = wlist[p, q]
                                wspan[p, 0] = head + gap
                                break
                        if not full_scan:
                            break
                        wspan[p, 1] = w
                    if full_scan:
                        min_wait = new_min

            t_c = run_key[0] if n_run_heap > 0 else np.inf
            t_a = arr_t[lo + ia] if ia < na else np.inf
            while n_dl > 0 and ij[dl_job[0], STATE] != WAITING:
                n_dl = _heap_pop(dl_key, dl_id, dl_job, n_dl)
            t_d = dl_key[0] if n_dl > 0 else np.inf
            t_next = min(t_c, min(t_a, t_d))
            if t_next >= t1:
                dt = t1 - t
                acc[SERVED] += u * dt
                acc[QUEUE_AREA] += nwait * dt
                break
            # An event left behind by a gap between calls happens at once, not in the past.
            t_ev = t_next if t_next > t else t
            dt = t_ev - t
            acc[SERVED] += u * dt
            acc[QUEUE_AREA] += nwait * dt
            t = t_ev

            if t_c <= t_a and t_c <= t_d:
                s = run_job[0]
                n_run_heap = _heap_pop(run_key, run_id, run_job, n_run_heap)
                ij[s, STATE] = _GONE
                u -= fj[s, SIZE]
                nrun -= 1
                nact -= 1
                if nrun == 0:
                    u = 0.0
                need_pass = True
            elif t_a <= t_d:
                a = lo + ia
                ia += 1
                size = arr_size[a] * sc
                acc[REQUESTED] += size * arr_dur[a]
                if nact == m:
                    acc[OVERFLOW] += 1.0
                    acc[ABANDONED] += 1.0
                    acc[ABANDONED_WORK] += size * arr_dur[a]
                    continue
                s = n0 + ia - 1
                fj[s, SIZE] = size
                fj[s, REMAINING] = arr_dur[a]
                fj[s, PATIENCE] = arr_patience[a]
                fj[s, WAIT_SINCE] = arr_t[a]
                fj[s, START] = np.nan
                fj[s, END] = np.nan
                jid = arr_id[a]
                p = arr_prio[a]
                ij[s, ID] = jid
                ij[s, PRIO] = p
                nact += 1
                if size <= capx - u:
                    ij[s, STATE] = RUNNING
                    fj[s, START] = t
                    fj[s, END] = t + fj[s, REMAINING]
                    u += size
                    acc[STARTED] += 1.0
                    acc[WAIT_SUM] += t - fj[s, WAIT_SINCE]
                    if record and not start_out[jid] >= 0.0:
                        start_out[jid] = t
                    if fj[s, END] < t1:
                        n_run_heap = _heap_push(
                            run_key, run_id, run_job, n_run_heap, fj[s, END], jid, s
                        )
                    nrun += 1
                else:
                    ij[s, STATE] = WAITING
                    # Ids grow with time, so this insertion normally stops at once.
                    k = wspan[p, 1]
                    while k > wspan[p, 0] and ij[wlist[p, k - 1], ID] > jid:
                        wlist[p, k] = wlist[p, k - 1]
                        k -= 1
                    wlist[p, k] = s
                    wspan[p, 1] += 1
                    nwait += 1
                    min_wait = min(min_wait, size)
                    deadline = fj[s, WAIT_SINCE] + fj[s, PATIENCE]
                    if deadline < t1:
                        n_dl = _heap_push(dl_key, dl_id, dl_job, n_dl, deadline, jid, s)
            else:
                s = dl_job[0]
                n_dl = _heap_pop(dl_key, dl_id, dl_job, n_dl)
                ij[s, STATE] = _GONE
                nwait -= 1
                nact -= 1
                acc[ABANDONED] += 1.0
                acc[ABANDONED_WORK] += fj[s, SIZE] * fj[s, REMAINING]
                if nwait == 0:
                    # Every listed entry is stale now.
                    for p in range(N_PRIO):
                        wspan[p, 0] = 0
                        wspan[p, 1] = 0
                    min_wait = np.inf

        # Write the active jobs back, sorted by id.
        cnt = plain_int(0)
        if not in_place:
            for s in range(n0 + ia):
                if ij[s, STATE] != _GONE:
                    order[cnt] = s
                    cnt += 1
            _sort_by_id(order, cnt, ij)
            for q in range(cnt):
                s = order[q]
                for f in range(N_JF):
                    js[r, q, f] = fj[s, f]
                for f in range(N_JI):
                    ji[r, q, f] = ij[s, f]
            written = n0
        else:
            written = n0 + ia  # the arrivals' rows are the pool's too
            # The rows come in id order in normal use (the pool is written back sorted and arrival
            # ids grow): then each kept row moves down to the next free slot in one pass, read
            # before any row is written over it.
            s = 0
            while s < written:
                if ij[s, STATE] != _GONE:
                    if cnt > 0 and ij[s, ID] < ij[cnt - 1, ID]:
                        break
                    if s != cnt:
                        for f in range(N_JF):
                            js[r, cnt, f] = js[r, s, f]
                        for f in range(N_JI):
                            ji[r, cnt, f] = ji[r, s, f]
                    cnt += 1
                s += 1
            if s < written:
                # Rows out of id order (a pool not written by this kernel): those moved so far, in
                # id order at [0, cnt), and the kept rows from s on, in order through the scratch.
                for q in range(cnt):
                    order[q] = q
                while s < written:
                    if ij[s, STATE] != _GONE:
                        order[cnt] = s
                        cnt += 1
                    s += 1
                _sort_by_id(order, cnt, ij)
                for q in range(cnt):
                    s = order[q]
                    for f in range(N_JF):
                        fj_tmp[q, f] = js[r, s, f]
                    for f in range(N_JI):
                        ij_tmp[q, f] = ji[r, s, f]
                for q in range(cnt):
                    for f in range(N_JF):
                        js[r, q, f] = fj_tmp[q, f]
                    for f in range(N_JI):
                        ji[r, q, f] = ij_tmp[q, f]
        # Slots past the rows written are zero already; clearing only the vacated ones keeps a
        # call on an idle region from costing O(M).
        for q in range(cnt, written):
            for f in range(N_JF):
                js[r, q, f] = 0.0
            for f in range(N_JI):
                ji[r, q, f] = 0
        n[r] = cnt
        used[r] = u

        out[r, SERVED] += acc[SERVED]
        out[r, REQUESTED] += acc[REQUESTED]
        out[r, ABANDONED_WORK] += acc[ABANDONED_WORK]
        out[r, STARTED] += acc[STARTED]
        out[r, WAIT_SUM] += acc[WAIT_SUM]
        out[r, ABANDONED] += acc[ABANDONED]
        out[r, OVERFLOW] += acc[OVERFLOW]
        out[r, PREEMPTED] += acc[PREEMPTED]
        out[r, QUEUE_AREA] += acc[QUEUE_AREA]


@numba.njit(cache=True)
def advance_jobs(
    t0: float,
    t1: float,
    capacity: NDArray[np.float64],
    arr_t: NDArray[np.float64],
    arr_size: NDArray[np.float64],
    arr_dur: NDArray[np.float64],
    arr_prio: NDArray[np.int64],
    arr_patience: NDArray[np.float64],
    arr_id: NDArray[np.int64],
    arr_off: NDArray[np.int64],
    js: NDArray[np.float64],
    ji: NDArray[np.int64],
    n: NDArray[np.int64],
    used: NDArray[np.float64],
    out: NDArray[np.float64],
    start_out: NDArray[np.float64],
) -> None:
    """Advance every region's job queue from ``t0`` to ``t1``, in place.

    Parameters
    ----------
    t0, t1 : float
        The interval ``[t0, t1)``, days; capacity is constant within it.
    capacity : ndarray of float64, shape (R,)
        H100e available to each region's queue during the interval.
    arr_t : ndarray of float64, shape (A,)
        Arrival times, concatenated by region, sorted within a region, in ``[t0, t1)``.
    arr_size : ndarray of float64, shape (A,)
        Size of each arriving job, H100e (> 0).
    arr_dur : ndarray of float64, shape (A,)
        Duration of each arriving job when running, days.
    arr_prio : ndarray of int64, shape (A,)
        Priority, 0 public, 1 industry, 2 critical.
    arr_patience : ndarray of float64, shape (A,)
        How long a job waits before abandoning, days; ``inf`` never abandons.
    arr_id : ndarray of int64, shape (A,)
        Globally unique job ids, increasing with arrival time within a region and larger than
        the ids already in the pool.
    arr_off : ndarray of int64, shape (R + 1,)
        Region ``r``'s arrivals are ``arr_off[r]:arr_off[r + 1]``.
    js, ji, n, used : ndarray
        The fields of a :class:`JobPool`, updated in place.
    out : ndarray of float64, shape (R, N_OUT)
        Accumulators, added to (never reset).
    start_out : ndarray of float64, shape (n_ids,) or (0,)
        Receives the time of each job's first start, indexed by id; entries already ``>= 0``
        are kept, others (negative or NaN) are overwritten. Empty to record nothing.

    Notes
    -----
    Per event the kernel does O(log n) heap work; the first-fit pass after a completion scans
    the waiting lists but is skipped, or stops early, once the free capacity is below a lower
    bound on the smallest waiting size.
    """
    n_regions = capacity.shape[0]
    first = arr_off[:n_regions].copy()
    count = arr_off[1 : n_regions + 1] - first
    _advance_regions(
        t0,
        t1,
        capacity,
        arr_t,
        arr_size,
        arr_dur,
        arr_prio,
        arr_patience,
        arr_id,
        first,
        count,
        np.ones(n_regions),
        js,
        ji,
        n,
        used,
        out,
        start_out,
    )


@numba.njit(cache=True)
def advance_lanes(
    t0: float,
    t1: float,
    capacity: NDArray[np.float64],
    scale: NDArray[np.float64],
    per_scale: int,
    real: NDArray[np.float64],
    ints: NDArray[np.int64],
    taken: NDArray[np.int64],
    end: NDArray[np.int64],
    js: NDArray[np.float64],
    ji: NDArray[np.int64],
    n: NDArray[np.int64],
    used: NDArray[np.float64],
    out: NDArray[np.float64],
    start_out: NDArray[np.float64],
    arrivals: NDArray[np.float64],
    served: NDArray[np.float64],
    ema_served: NDArray[np.float64],
    ema_requested: NDArray[np.float64],
    decay: float,
) -> None:
    """Take each lane's pending arrivals before ``t1``, advance every lane's queue from ``t0``
    to ``t1`` and smooth its served and requested work, in place: one call for what the job
    flow did with a cut, a gather of the arrivals and :func:`advance_jobs`.

    Parameters
    ----------
    t0, t1 : float
        The interval ``[t0, t1)``, days; capacity is constant within it.
    capacity : ndarray of float64, shape (L,)
        H100e available to each lane's queue during the interval.
    scale : ndarray of float64, shape (L // per_scale,)
        Multiplies the sizes of lane ``l``'s arrivals by ``scale[l // per_scale]``.
    per_scale : int
        Lanes per entry of ``scale``.
    real : ndarray of float64, shape (4, P)
        The pending arrivals' times, sizes, durations and patience, a column each, lane
        ``l``'s in columns ``[taken[l], end[l])``, in time order; ids grow with time.
    ints : ndarray of int64, shape (2, P)
        Their priorities and ids.
    taken, end : ndarray of int64, shape (L,)
        Each lane's first pending column and the end of its columns; ``taken`` is moved past
        the arrivals taken.
    js, ji, n, used, out, start_out
        As for :func:`advance_jobs`, a lane for a region.
    arrivals : ndarray of float64, shape (L,)
        Gains the number of arrivals each lane took.
    served : ndarray of float64, shape (L,)
        Receives the work each lane served over the interval, H100e d.
    ema_served, ema_requested : ndarray of float64, shape (L,)
        Multiplied by ``decay``, then the interval's served and requested work added.
    decay : float
        The smoothing's decay over the interval.
    """
    n_lanes = capacity.shape[0]
    arr_t = real[0]
    arr_size = real[1]
    arr_dur = real[2]
    arr_patience = real[3]
    arr_prio = ints[0]
    arr_id = ints[1]
    count = np.empty(n_lanes, dtype=np.int64)
    lane_scale = np.empty(n_lanes)
    before = np.empty((n_lanes, 2))
    for r in range(n_lanes):
        count[r] = cut(arr_t, taken[r], end[r], t1) - taken[r]
        lane_scale[r] = scale[r // per_scale]
        before[r, 0] = out[r, SERVED]
        before[r, 1] = out[r, REQUESTED]
    _advance_regions(
        t0,
        t1,
        capacity,
        arr_t,
        arr_size,
        arr_dur,
        arr_prio,
        arr_patience,
        arr_id,
        taken,
        count,
        lane_scale,
        js,
        ji,
        n,
        used,
        out,
        start_out,
    )
    for r in range(n_lanes):
        na = count[r]
        taken[r] += na
        arrivals[r] += na
        s = out[r, SERVED] - before[r, 0]
        q = out[r, REQUESTED] - before[r, 1]
        served[r] = s
        ema_served[r] = ema_served[r] * decay + s
        ema_requested[r] = ema_requested[r] * decay + q


def advance_lanes_ref(
    t0: float,
    t1: float,
    capacity: NDArray[np.float64],
    scale: NDArray[np.float64],
    per_scale: int,
    real: NDArray[np.float64],
    ints: NDArray[np.int64],
    taken: NDArray[np.int64],
    end: NDArray[np.int64],
    js: NDArray[np.float64],
    ji: NDArray[np.int64],
    n: NDArray[np.int64],
    used: NDArray[np.float64],
    out: NDArray[np.float64],
    start_out: NDArray[np.float64],
    arrivals: NDArray[np.float64],
    served: NDArray[np.float64],
    ema_served: NDArray[np.float64],
    ema_requested: NDArray[np.float64],
    decay: float,
) -> None:
    """numpy twin of :func:`advance_lanes`, with the same signature and results: each lane's
    arrivals cut by numpy's search and gathered lane after lane, sizes scaled where the scale
    is not one, :func:`advance_jobs_ref`, and the smoothing in numpy.

    Parameters
    ----------
    t0, t1, capacity, scale, per_scale, real, ints, taken, end, js, ji, n, used, out,
    start_out, arrivals, served, ema_served, ema_requested, decay
        As for :func:`advance_lanes`.
    """
    n_lanes = capacity.shape[0]
    upto = np.array(
        [
            lo + np.searchsorted(real[0, lo:hi], t1, side="left")
            for lo, hi in zip(taken, end, strict=True)
        ],
        dtype=np.int64,
    ).reshape(n_lanes)
    counts = upto - taken
    cols = np.concatenate(
        [np.arange(lo, hi, dtype=np.int64) for lo, hi in zip(taken, upto, strict=True)]
        + [np.zeros(0, dtype=np.int64)]
    )
    r_cols, i_cols = real[:, cols], ints[:, cols]
    if np.any(scale != 1.0):
        r_cols[1] *= np.repeat(np.repeat(scale, per_scale), counts)
    off = np.zeros(n_lanes + 1, dtype=np.int64)
    off[1:] = np.cumsum(counts)
    before = out[:, :2].copy()
    advance_jobs_ref(
        t0,
        t1,
        capacity,
        r_cols[0],
        r_cols[1],
        r_cols[2],
        i_cols[0],
        r_cols[3],
        i_cols[1],
        off,
        js,
        ji,
        n,
        used,
        out,
        start_out,
    )
    taken[:] = upto
    arrivals += counts
    s, q = (out[:, :2] - before).T
    served[:] = s
    ema_served[:] = ema_served * decay + s
    ema_requested[:] = ema_requested * decay + q


# --------------------------------------------------------------------------------------------
# Reference twin
# --------------------------------------------------------------------------------------------


class _RefJob:
    """One job of the reference implementation."""

    __slots__ = (
        "end",
        "id",
        "patience",
        "prio",
        "remaining",
        "size",
        "start",
        "state",
        "wait_since",
    )

    def __init__(
        self,
        size: float,
        remaining: float,
        patience: float,
        wait_since: float,
        start: float,
        end: float,
        jid: int,
        prio: int,
        state: int,
    ) -> None:
        self.size = size
        self.remaining = remaining
        self.patience = patience
        self.wait_since = wait_since
        self.start = start
        self.end = end
        self.id = jid
        self.prio = prio
        self.state = state


def _ref_region(
    r: int,
    t0: float,
    t1: float,
    capacity: NDArray[np.float64],
    arr_t: NDArray[np.float64],
    arr_size: NDArray[np.float64],
    arr_dur: NDArray[np.float64],
    arr_prio: NDArray[np.int64],
    arr_patience: NDArray[np.float64],
    arr_id: NDArray[np.int64],
    arr_off: NDArray[np.int64],
    js: NDArray[np.float64],
    ji: NDArray[np.int64],
    n: NDArray[np.int64],
    used: NDArray[np.float64],
    out: NDArray[np.float64],
    start_out: NDArray[np.float64],
) -> None:
    """Advance region ``r`` with plain lists and linear scans."""
    m = js.shape[1]
    cap = float(capacity[r])
    capx = cap * (1.0 + FIT_TOL)
    record = start_out.size > 0
    jobs: list[_RefJob] = []
    for s in range(int(n[r])):
        f = [float(x) for x in js[r, s]]
        i = [int(x) for x in ji[r, s]]
        jobs.append(
            _RefJob(
                f[SIZE],
                f[REMAINING],
                f[PATIENCE],
                f[WAIT_SINCE],
                f[START],
                f[END],
                i[ID],
                i[PRIO],
                i[STATE],
            )
        )
    acc = [0.0] * N_OUT
    u = float(used[r])

    def running() -> list[_RefJob]:
        return [j for j in jobs if j.state == RUNNING]

    def waiting() -> list[_RefJob]:
        return [j for j in jobs if j.state == WAITING]

    def start(j: _RefJob, t: float) -> None:
        nonlocal u
        j.state = RUNNING
        j.start = t
        j.end = t + j.remaining
        u += j.size
        acc[STARTED] += 1.0
        acc[WAIT_SUM] += t - j.wait_since
        if record and not start_out[j.id] >= 0.0:
            start_out[j.id] = t

    def schedule(t: float) -> None:
        for j in sorted(waiting(), key=lambda j: (-j.prio, j.id)):
            if j.size <= capx - u:
                start(j, t)

    if not running():
        u = 0.0
    if u > capx:
        victims = sorted(running(), key=lambda j: (j.prio, -j.start, -j.id))
        for j in victims:
            if u <= capx:
                break
            j.state = WAITING
            j.remaining = j.end - t0
            j.wait_since = t0
            j.end = t0
            u -= j.size
            acc[PREEMPTED] += 1.0
            if not running():
                u = 0.0
    t = t0
    schedule(t)

    arrivals = list(range(int(arr_off[r]), int(arr_off[r + 1])))
    ia = 0
    while True:
        run = running()
        wait = waiting()
        first_done = min(run, key=lambda j: (j.end, j.id)) if run else None
        first_gone = min(wait, key=lambda j: (j.wait_since + j.patience, j.id)) if wait else None
        t_c = first_done.end if first_done is not None else math.inf
        t_a = float(arr_t[arrivals[ia]]) if ia < len(arrivals) else math.inf
        t_d = first_gone.wait_since + first_gone.patience if first_gone is not None else math.inf
        t_next = min(t_c, t_a, t_d)
        if t_next >= t1:
            dt = t1 - t
            acc[SERVED] += u * dt
            acc[QUEUE_AREA] += len(wait) * dt
            break
        t_ev = max(t_next, t)
        dt = t_ev - t
        acc[SERVED] += u * dt
        acc[QUEUE_AREA] += len(wait) * dt
        t = t_ev

        if t_c <= t_a and t_c <= t_d:
            assert first_done is not None
            jobs.remove(first_done)
            u -= first_done.size
            if not running():
                u = 0.0
            schedule(t)
        elif t_a <= t_d:
            a = arrivals[ia]
            ia += 1
            size = float(arr_size[a])
            dur = float(arr_dur[a])
            acc[REQUESTED] += size * dur
            if len(jobs) == m:
                acc[OVERFLOW] += 1.0
                acc[ABANDONED] += 1.0
                acc[ABANDONED_WORK] += size * dur
                continue
            j = _RefJob(
                size,
                dur,
                float(arr_patience[a]),
                float(arr_t[a]),
                math.nan,
                math.nan,
                int(arr_id[a]),
                int(arr_prio[a]),
                WAITING,
            )
            jobs.append(j)
            if j.size <= capx - u:
                start(j, t)
        else:
            assert first_gone is not None
            jobs.remove(first_gone)
            acc[ABANDONED] += 1.0
            acc[ABANDONED_WORK] += first_gone.size * first_gone.remaining

    jobs.sort(key=lambda j: j.id)
    js[r, len(jobs) : int(n[r])] = 0.0
    ji[r, len(jobs) : int(n[r])] = 0
    for q, j in enumerate(jobs):
        js[r, q] = [j.size, j.remaining, j.patience, j.wait_since, j.start, j.end]
        ji[r, q] = [j.id, j.prio, j.state]
    n[r] = len(jobs)
    used[r] = u
    for c in (
        SERVED,
        REQUESTED,
        ABANDONED_WORK,
        STARTED,
        WAIT_SUM,
        ABANDONED,
        OVERFLOW,
        PREEMPTED,
        QUEUE_AREA,
    ):
        out[r, c] += acc[c]


def advance_jobs_ref(
    t0: float,
    t1: float,
    capacity: NDArray[np.float64],
    arr_t: NDArray[np.float64],
    arr_size: NDArray[np.float64],
    arr_dur: NDArray[np.float64],
    arr_prio: NDArray[np.int64],
    arr_patience: NDArray[np.float64],
    arr_id: NDArray[np.int64],
    arr_off: NDArray[np.int64],
    js: NDArray[np.float64],
    ji: NDArray[np.int64],
    n: NDArray[np.int64],
    used: NDArray[np.float64],
    out: NDArray[np.float64],
    start_out: NDArray[np.float64],
) -> None:
    """Plain-Python twin of :func:`advance_jobs`, with the same signature and results.

    It keeps each region's active jobs in a list and finds every next event, and every
    scheduling order, by a linear scan or ``sorted``: slow, and meant to be read as the
    definition of the semantics in the module docstring.

    Parameters
    ----------
    t0, t1, capacity, arr_t, arr_size, arr_dur, arr_prio, arr_patience, arr_id, arr_off, js, ji,
    n, used, out, start_out
        As for :func:`advance_jobs`.
    """
    t0 = float(t0)
    t1 = float(t1)
    for r in range(capacity.shape[0]):
        _ref_region(
            r,
            t0,
            t1,
            capacity,
            arr_t,
            arr_size,
            arr_dur,
            arr_prio,
            arr_patience,
            arr_id,
            arr_off,
            js,
            ji,
            n,
            used,
            out,
            start_out,
        )


def advance(
    pool: JobPool,
    t0: float,
    t1: float,
    capacity: NDArray[np.float64],
    arr_t: NDArray[np.float64],
    arr_size: NDArray[np.float64],
    arr_dur: NDArray[np.float64],
    arr_prio: NDArray[np.int64],
    arr_patience: NDArray[np.float64],
    arr_id: NDArray[np.int64],
    arr_off: NDArray[np.int64],
    out: NDArray[np.float64],
    start_out: NDArray[np.float64] | None = None,
    reference: bool = False,
) -> None:
    """Advance ``pool`` from ``t0`` to ``t1`` with the kernel, or with its reference twin.

    Parameters
    ----------
    pool : JobPool
        Updated in place.
    t0, t1, capacity, arr_t, arr_size, arr_dur, arr_prio, arr_patience, arr_id, arr_off, out
        As for :func:`advance_jobs`. Arrays are converted to contiguous arrays of the kernel's
        dtypes, so a single compiled signature serves every caller.
    start_out : ndarray of float64, optional
        As for :func:`advance_jobs`; ``None`` records nothing.
    reference : bool
        Use :func:`advance_jobs_ref` instead of the compiled kernel.
    """
    f8 = np.float64
    i8 = np.int64
    fn = advance_jobs_ref if reference else advance_jobs
    fn(
        float(t0),
        float(t1),
        np.ascontiguousarray(capacity, dtype=f8),
        np.ascontiguousarray(arr_t, dtype=f8),
        np.ascontiguousarray(arr_size, dtype=f8),
        np.ascontiguousarray(arr_dur, dtype=f8),
        np.ascontiguousarray(arr_prio, dtype=i8),
        np.ascontiguousarray(arr_patience, dtype=f8),
        np.ascontiguousarray(arr_id, dtype=i8),
        np.ascontiguousarray(arr_off, dtype=i8),
        pool.js,
        pool.ji,
        pool.n,
        pool.used,
        out,
        np.empty(0, dtype=f8) if start_out is None else start_out,
    )
