"""The supply chain's per-step arithmetic: filling the order book, and the split of orders
over designers fitted to demand and output: compiled.

Both run every world step or every burst of orders and are loops of scalar arithmetic, or of
numpy calls on arrays of four to twenty elements, so the calls cost more than the arithmetic.
The rules are :func:`ecosim.world.supply.step_supply`'s and
:func:`ecosim.world.supply.part_splits`' (documented there); the ``*_ref`` functions are the
same in plain Python and numpy. The kernels repeat their arithmetic in their order -- a sum
over a row of fewer than eight values adds them left to right, and a sum over the rows of a
(rows, columns) array adds the rows one after another, as numpy does -- and tests hold them
equal to the bit.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["fill_orders", "fill_orders_ref", "fit_split", "fit_split_ref"]

F8 = NDArray[np.float64]
I8 = NDArray[np.int64]
B1 = NDArray[np.bool_]


def fill_orders_ref(
    budgets: F8,
    designers: I8,
    quota: F8,
    quota_used: F8,
    by_provider: B1,
    buyer: I8,
    designer: I8,
    quantity: F8,
    remaining: F8,
    open_: B1,
    n: int,
    prov_home: I8,
    backlog: F8,
    delivered_to: F8,
    fleet_designer: F8,
) -> tuple[F8, I8]:
    """Fill the first ``n`` orders of the book, first in, first out, at each designer ``k``
    up to its ``budgets[k]`` H100e; a buyer past its country's quota waits and the next one
    in line is served.

    Writes what is filled into ``remaining`` and ``open_`` (the book's), ``quota_used``,
    ``backlog``, ``delivered_to`` and ``fleet_designer``.

    Returns
    -------
    tuple of numpy.ndarray
        H100e each designer made, and the orders filled, in the order filled.
    """
    produced = np.zeros(designers.size)
    filled: list[int] = []
    for k in range(designers.size):
        budget = float(budgets[k])
        if budget <= 1e-12:
            continue
        queue = np.flatnonzero(open_[:n] & (designer[:n] == k))
        s = int(designers[k])
        at = 0
        while at < queue.size and budget > 1e-12:
            i = int(queue[at])
            b = int(buyer[i])
            home = int(prov_home[b]) if by_provider[i] else b
            room = quota[s, home] - quota_used[s, home]
            take = min(float(remaining[i]), budget, max(room, 0.0))
            if take <= 0.0:
                at += 1
                continue
            remaining[i] -= take
            budget -= take
            produced[k] += take
            backlog[k] -= take
            quota_used[s, home] += take
            delivered_to[home, k] += take
            fleet_designer[home, k] += take
            if remaining[i] <= 1e-9 * max(float(quantity[i]), 1.0):
                open_[i] = False
                at += 1
                filled.append(i)
    return produced, np.array(filled, dtype=np.int64)


@numba.njit(cache=True)
def fill_orders(
    budgets: F8,
    designers: I8,
    quota: F8,
    quota_used: F8,
    by_provider: B1,
    buyer: I8,
    designer: I8,
    quantity: F8,
    remaining: F8,
    open_: B1,
    n: int,
    prov_home: I8,
    backlog: F8,
    delivered_to: F8,
    fleet_designer: F8,
) -> tuple[F8, I8]:
    """:func:`fill_orders_ref`, compiled."""
    produced = np.zeros(designers.size)
    filled = np.empty(n, dtype=np.int64)
    n_filled = 0
    queue = np.empty(n, dtype=np.int64)
    for k in range(designers.size):
        budget = budgets[k]
        if budget <= 1e-12:
            continue
        size = 0
        for i in range(n):
            if open_[i] and designer[i] == k:
                queue[size] = i
                size += 1
        s = designers[k]
        at = 0
        while at < size and budget > 1e-12:
            i = queue[at]
            b = buyer[i]
            home = prov_home[b] if by_provider[i] else b
            room = quota[s, home] - quota_used[s, home]
            # Python's min and max: the first of equal values, as the twin takes them
            take = remaining[i]
            if budget < take:
                take = budget
            free = 0.0 if room < 0.0 else room
            if free < take:
                take = free
            if take <= 0.0:
                at += 1
                continue
            remaining[i] -= take
            budget -= take
            produced[k] += take
            backlog[k] -= take
            quota_used[s, home] += take
            delivered_to[home, k] += take
            fleet_designer[home, k] += take
            q = quantity[i]
            if remaining[i] <= 1e-9 * (1.0 if q < 1.0 else q):
                open_[i] = False
                at += 1
                filled[n_filled] = i
                n_filled += 1
    return produced, filled[:n_filled].copy()


def fit_split_ref(x: F8, rows: F8, target: F8, tol: float) -> F8:
    """Scale ``x`` (parts by designers) until its row sums are ``rows`` and its column sums
    ``target`` (Sinkhorn; 200 sweeps at most), stopping once every row is within ``tol``."""
    x = x.copy()
    for _ in range(200):
        r = x.sum(axis=1)
        x *= np.divide(rows, r, out=np.zeros_like(r), where=r > 0)[:, None]
        c = x.sum(axis=0)
        x *= np.divide(target, c, out=np.ones_like(c), where=c > 0)[None, :]
        if float(np.abs(x.sum(axis=1) - rows).max()) <= tol:
            break
    return x


@numba.njit(cache=True)
def fit_split(x: F8, rows: F8, target: F8, tol: float) -> F8:
    """:func:`fit_split_ref`, compiled; for two to seven designers (a row's sum is then
    numpy's left-to-right one, and a column's adds the rows one after another: with one
    designer numpy sums the column pairwise)."""
    x = x.copy()
    n_r, n_c = x.shape
    c = np.empty(n_c)
    for _ in range(200):
        for i in range(n_r):
            r = 0.0
            for j in range(n_c):
                r += x[i, j]
            f = rows[i] / r if r > 0 else 0.0
            for j in range(n_c):
                x[i, j] *= f
        # the rows added one after another, as numpy sums a C-ordered array over axis 0
        for j in range(n_c):
            c[j] = x[0, j]
        for i in range(1, n_r):
            for j in range(n_c):
                c[j] += x[i, j]
        for j in range(n_c):
            f = target[j] / c[j] if c[j] > 0 else 1.0
            for i in range(n_r):
                x[i, j] *= f
        worst = 0.0
        for i in range(n_r):
            r = 0.0
            for j in range(n_c):
                r += x[i, j]
            gap = abs(r - rows[i])
            if gap > worst or gap != gap:
                worst = gap
        if worst <= tol:
            break
    return x
