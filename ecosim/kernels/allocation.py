"""Capacity set aside for each workload of each region: weighted rationing, local first.

The rule is :func:`ecosim.world.workloads.allocate`'s (documented there): up to the need,
a region's capacity is rationed by the workloads' priority weights, local workloads held
within the capacity in the region; what is left over is shared in proportion to need.
:func:`allocate_ref` is the rule in numpy, :func:`allocate` the compiled twin every world step
calls. The twin repeats numpy's arithmetic in numpy's order -- a sum over a row of fewer
than eight values adds them left to right, as numpy does -- so the two agree to the bit on
rows of up to seven workloads (a test holds them equal).
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["allocate", "allocate_ref", "ration_ref"]

F8 = NDArray[np.float64]


def ration_ref(avail: F8, need: F8, weight: F8) -> F8:
    """Share ``avail`` (R,) among workloads asking ``need`` (R, W) by weighted rationing.

    Each workload gets ``min(need, lam * weight * need)``, with ``lam`` (per region) such that
    the grants use all of ``avail``, or everyone gets its need if ``avail`` covers it. Solved
    exactly: the total granted is piecewise linear in ``lam``, with a kink where each
    workload is served in full (``lam = 1 / weight``).
    """
    if need.shape[1] == 0:
        return need.copy()
    kinks = np.sort(np.unique(1.0 / weight))
    granted = (need[:, None, :] * np.minimum(1.0, kinks[None, :, None] * weight)).sum(axis=2)
    full = granted[:, -1] <= avail  # granted at the last kink is the whole need
    seg = np.argmax(granted >= avail[:, None], axis=1)  # first kink that covers avail
    below = np.where(seg > 0, kinks[np.maximum(seg - 1, 0)], 0.0)
    served = (1.0 / weight)[None, :] <= below[:, None]  # served in full before that segment
    base = np.where(served, need, 0.0).sum(axis=1)
    slope = np.where(served, 0.0, need * weight).sum(axis=1)
    lam = np.where(slope > 0, (avail - base) / np.maximum(slope, 1e-300), 0.0)
    grant = np.minimum(need, np.maximum(lam, 0.0)[:, None] * weight[None, :] * need)
    return np.asarray(np.where(full[:, None], need, grant))


def allocate_ref(total: F8, local: F8, need: F8, weight: F8, local_only: NDArray[np.bool_]) -> F8:
    """Plain-numpy twin of :func:`allocate`: the capacity of each workload's queue (R, W)."""
    local = np.minimum(local, total)
    remote = total - local
    cap = ration_ref(total, need, weight)
    here, away = local_only, ~local_only
    over = cap[:, here].sum(axis=1) > local * (1.0 + 1e-12)
    if np.any(over):
        held = ration_ref(local, need[:, here], weight[here])
        rest = ration_ref(total - held.sum(axis=1), need[:, away], weight[away])
        cap[np.ix_(over, here)] = held[over]
        cap[np.ix_(over, away)] = rest[over]
    # the others draw on capacity abroad first, keeping the region's for what needs it
    mobile = cap[:, away].sum(axis=1)
    from_remote = np.minimum(mobile, remote)
    left_remote = remote - from_remote
    left_local = np.maximum(local - cap[:, here].sum(axis=1) - (mobile - from_remote), 0.0)
    flat = np.ones_like(need) / need.shape[1]
    tot = need.sum(axis=1, keepdims=True)
    share = np.where(tot > 0, need / np.maximum(tot, 1e-300), flat)
    movable = need * away[None, :]
    mov = movable.sum(axis=1, keepdims=True)
    flat_away = np.broadcast_to(away / max(int(away.sum()), 1), need.shape)
    share_away = np.where(mov > 0, movable / np.maximum(mov, 1e-300), flat_away)
    return np.asarray(cap + left_local[:, None] * share + left_remote[:, None] * share_away)


@numba.njit(cache=True)
def _kinks(weight: F8, cols: NDArray[np.int64]) -> tuple[F8, F8]:
    """``1 / weight`` of the workloads ``cols``, and its distinct values sorted: the kinks of
    :func:`ration_ref` over those workloads, the same for every region."""
    n = cols.size
    inv = np.empty(n)
    for j in range(n):
        inv[j] = 1.0 / weight[cols[j]]
    # np.unique's answer (sorted, each value once) as Numba's finds it, a value kept where it
    # differs from the one before it and the two are not both NaN, without the lists it
    # builds on the way (which cost more than the rest of a call)
    srt = np.sort(inv)
    kinks = np.empty(n)
    m = 0
    for j in range(n):
        x = srt[j]
        if j == 0 or (srt[j - 1] != x and not (srt[j - 1] != srt[j - 1] and x != x)):
            kinks[m] = x
            m += 1
    return inv, kinks[:m]


@numba.njit(cache=True)
def _ration_row(
    avail: float,
    need: F8,
    weight: F8,
    cols: NDArray[np.int64],
    inv: F8,
    kinks: F8,
    out: F8,
) -> None:
    """:func:`ration_ref` for one region over the workloads ``cols``, into ``out[cols]``;
    ``inv`` and ``kinks`` are :func:`_kinks` of ``cols``."""
    n = cols.size
    if n == 0:
        return
    granted_last = 0.0
    seg = -1
    for k in range(kinks.size):
        g = 0.0
        for j in range(n):
            c = cols[j]
            g += need[c] * min(1.0, kinks[k] * weight[c])
        if seg < 0 and g >= avail:
            seg = k
        granted_last = g
    if granted_last <= avail:
        for j in range(n):
            out[cols[j]] = need[cols[j]]
        return
    if seg < 0:
        seg = 0  # as numpy's argmax of all-false
    below = kinks[seg - 1] if seg > 0 else 0.0
    base = 0.0
    slope = 0.0
    for j in range(n):
        c = cols[j]
        if inv[j] <= below:
            base += need[c]
            slope += 0.0
        else:
            base += 0.0
            slope += need[c] * weight[c]
    lam = (avail - base) / max(slope, 1e-300) if slope > 0 else 0.0
    lam = max(lam, 0.0)
    for j in range(n):
        c = cols[j]
        out[c] = min(need[c], lam * weight[c] * need[c])


@numba.njit(cache=True)
def allocate(total: F8, local: F8, need: F8, weight: F8, local_only: NDArray[np.bool_]) -> F8:
    """Capacity of each workload's queue (R, W), H100e: :func:`allocate_ref`, compiled.

    Parameters
    ----------
    total, local : ndarray, shape (R,)
        All the capacity a region's jobs can use, and the part of it in the region (H100e).
    need : ndarray, shape (R, W)
        What each workload asks for (H100e).
    weight : ndarray, shape (W,)
        Each workload's claim on short capacity, all positive.
    local_only : ndarray of bool, shape (W,)
        Workloads that may use only ``local``.
    """
    n_r, n_w = need.shape
    every = np.arange(n_w)
    here = np.flatnonzero(local_only)
    away = np.flatnonzero(~local_only)
    n_away = away.size
    # the kinks depend on the weights alone: found once for every region, not once a row
    inv_every, kinks_every = _kinks(weight, every)
    inv_here, kinks_here = _kinks(weight, here)
    inv_away, kinks_away = _kinks(weight, away)
    out = np.empty((n_r, n_w))
    cap = np.empty(n_w)
    held = np.empty(n_w)
    for r in range(n_r):
        loc = min(local[r], total[r])
        remote = total[r] - loc
        _ration_row(total[r], need[r], weight, every, inv_every, kinks_every, cap)
        s_here = 0.0
        for h in here:
            s_here += cap[h]
        if s_here > loc * (1.0 + 1e-12):
            _ration_row(loc, need[r], weight, here, inv_here, kinks_here, held)
            s_held = 0.0
            for h in here:
                s_held += held[h]
            _ration_row(total[r] - s_held, need[r], weight, away, inv_away, kinks_away, held)
            for j in range(n_w):
                cap[j] = held[j]
        mobile = 0.0
        for a in away:
            mobile += cap[a]
        from_remote = min(mobile, remote)
        left_remote = remote - from_remote
        s_here = 0.0
        for h in here:
            s_here += cap[h]
        left_local = max(loc - s_here - (mobile - from_remote), 0.0)
        tot = 0.0
        mov = 0.0
        for j in range(n_w):
            tot += need[r, j]
            mov += need[r, j] * (0.0 if local_only[j] else 1.0)
        for j in range(n_w):
            share = need[r, j] / max(tot, 1e-300) if tot > 0 else 1.0 / n_w
            movable = need[r, j] * (0.0 if local_only[j] else 1.0)
            if mov > 0:
                share_away = movable / max(mov, 1e-300)
            else:
                share_away = (0.0 if local_only[j] else 1.0) / max(n_away, 1)
            out[r, j] = cap[j] + left_local * share + left_remote * share_away
    return out
