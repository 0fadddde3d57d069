"""What the designers can make and what their chips cost, from the chain's rows: compiled.

Both are read every world step (supply, quotes, prices, the recorder) and are a few dozen
numpy calls on arrays of four to twenty-four elements each, so the calls cost more than the
arithmetic. The rules are :func:`ecosim.world.supply.designer_output`'s and
:func:`ecosim.world.capacity.designer_costs`'s (documented there); the ``*_ref`` functions
are the same in numpy. The kernels repeat numpy's arithmetic in numpy's order: a sum over
the rows of a (rows, designers) array adds the rows one after another, and a sum over fewer
than eight designers adds them left to right, as numpy does; tests hold them equal to the bit.

The goods' rows are given as one array ``rows`` with ``offsets``: good ``g``'s rows are
``rows[offsets[g]:offsets[g + 1]]``.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "designer_costs",
    "designer_costs_ref",
    "designer_output",
    "designer_output_ref",
    "split_first_ref",
    "split_ref",
]

F8 = NDArray[np.float64]
I8 = NDArray[np.int64]
B1 = NDArray[np.bool_]


def designer_output_ref(
    cap: F8, des: I8, des_home: I8, rows: I8, offsets: I8, allow: F8, first: B1, home: I8
) -> F8:
    """Possible output of each designer: the least, over the upstream goods, of what the
    suppliers of each good split to it by its capacity times what they may send to its home.

    A row ``first`` marks (one entry per ``rows``) serves the designers homed where it is
    (``home``, by row of the chain) first, up to their capacity, then splits the rest over
    the others (:func:`split_first_ref`)."""
    out = cap[des].copy()
    for g in range(offsets.size - 1):
        sup = rows[offsets[g] : offsets[g + 1]]
        if sup.size == 0:
            continue
        marked = first[offsets[g] : offsets[g + 1]]
        if marked.any():
            got = split_first_ref(cap, des, des_home, sup, allow, marked, home)
        else:
            got = split_ref(cap, des, des_home, sup, allow)
        out = np.minimum(out, got)
    return np.asarray(out)


def split_first_ref(cap: F8, des: I8, des_home: I8, sup: I8, allow: F8, first: B1, home: I8) -> F8:
    """What the designers get of one upstream good from its suppliers ``sup``, supplier by
    supplier: a supplier ``first`` marks serves the designers of its home first, up to their
    capacity, and splits what is left over the others as :func:`split_ref` does."""
    got = np.zeros(des.size)
    for j, s in enumerate(sup):
        left = cap[s]
        weight = cap[des] * allow[s, des_home]
        if first[j]:
            mine = des_home == home[s]
            want = float(cap[des][mine].sum())
            if want > 0.0:
                give = min(left, want)
                got[mine] += give * cap[des][mine] / want
                left -= give
            weight = np.where(mine, 0.0, weight)
        total = weight.sum()
        if total > 0:
            got += left * weight / total
    return got


def split_ref(cap: F8, des: I8, des_home: I8, sup: I8, allow: F8) -> F8:
    """What the designers get of one upstream good from its suppliers ``sup``: each splits
    what it makes by the designers' capacity times what it may send to their home, and the
    suppliers' parts are added in their order."""
    weight = cap[des][None, :] * allow[sup][:, des_home]
    total = weight.sum(axis=1)
    live = total > 0
    got = np.zeros(des.size)
    # one row at a time: a sum over the rows may pair them up, which rounds otherwise
    for row in cap[sup][live, None] * weight[live] / total[live, None]:
        got += row
    return np.asarray(got)


@numba.njit(cache=True)
def designer_output(
    cap: F8, des: I8, des_home: I8, rows: I8, offsets: I8, allow: F8, first: B1, home: I8
) -> F8:
    """:func:`designer_output_ref`, compiled; for fewer than eight designers (a sum over them
    is then numpy's left-to-right one)."""
    n_d = des.size
    out = np.empty(n_d)
    for d in range(n_d):
        out[d] = cap[des[d]]
    got = np.empty(n_d)
    for g in range(offsets.size - 1):
        if offsets[g + 1] == offsets[g]:
            continue
        for d in range(n_d):
            got[d] = 0.0
        for i in range(offsets[g], offsets[g + 1]):
            s = rows[i]
            left = cap[s]
            total = 0.0
            if first[i]:
                # its home's designers first, up to their capacity; the rest split over the
                # others (their weights added to the total in order, as numpy sums fewer than
                # eight; the home's zeros add nothing)
                want = 0.0
                for d in range(n_d):
                    if des_home[d] == home[s]:
                        want += cap[des[d]]
                if want > 0.0:
                    give = left if left <= want else want
                    for d in range(n_d):
                        if des_home[d] == home[s]:
                            got[d] += give * cap[des[d]] / want
                    left -= give
                for d in range(n_d):
                    if des_home[d] != home[s]:
                        total += cap[des[d]] * allow[s, des_home[d]]
                if total > 0:
                    for d in range(n_d):
                        if des_home[d] != home[s]:
                            got[d] += left * (cap[des[d]] * allow[s, des_home[d]]) / total
                continue
            for d in range(n_d):
                total += cap[des[d]] * allow[s, des_home[d]]
            if total > 0:
                for d in range(n_d):
                    got[d] += cap[s] * (cap[des[d]] * allow[s, des_home[d]]) / total
        for d in range(n_d):
            out[d] = min(out[d], got[d])
    return out


def designer_costs_ref(
    cap: F8, des: I8, home: I8, rows: I8, offsets: I8, allow: F8, costs: F8
) -> F8:
    """Capital cost per H100e of each designer's accelerators: its own row's cost plus, for
    each other stage, the costs of the rows it draws on, weighted by their capacity and what
    they may send to its home (by what they may send alone where none has capacity yet)."""
    out = costs[des].copy()
    for g in range(offsets.size - 1):
        sel = rows[offsets[g] : offsets[g + 1]]
        if not sel.size:
            continue
        may = allow[sel][:, home]
        weight = cap[sel][:, None] * may
        total = weight.sum(axis=0)
        weight = np.where(total > 0, weight, may)
        total = weight.sum(axis=0)
        share = np.divide(weight, total, out=np.zeros_like(weight), where=total > 0)
        out += (costs[sel][:, None] * share).sum(axis=0)
    return np.asarray(out)


@numba.njit(cache=True)
def designer_costs(cap: F8, des: I8, home: I8, rows: I8, offsets: I8, allow: F8, costs: F8) -> F8:
    """:func:`designer_costs_ref`, compiled."""
    n_d = des.size
    out = np.empty(n_d)
    for d in range(n_d):
        out[d] = costs[des[d]]
    for g in range(offsets.size - 1):
        lo, hi = offsets[g], offsets[g + 1]
        if hi == lo:
            continue
        for d in range(n_d):
            h = home[d]
            total = 0.0
            for i in range(lo, hi):
                total += cap[rows[i]] * allow[rows[i], h]
            use_cap = total > 0
            total = 0.0
            for i in range(lo, hi):
                total += cap[rows[i]] * allow[rows[i], h] if use_cap else allow[rows[i], h]
            added = 0.0
            for i in range(lo, hi):
                weight = cap[rows[i]] * allow[rows[i], h] if use_cap else allow[rows[i], h]
                share = weight / total if total > 0 else 0.0
                added += costs[rows[i]] * share
            out[d] += added
    return out
