"""Sums in numpy's order, for kernels whose results must equal numpy's to the bit.

numpy's ``add.reduce`` of a contiguous float64 row adds fewer than eight values left to right,
up to 128 with eight accumulators combined pairwise, and a longer row as the sum of two halves
(the first a multiple of eight long), then adds the result to its identity, ``0.0``. A plain
loop rounds differently, so every kernel that stands in for a numpy sum uses these.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from ecosim.kernels.plain import plain_int

__all__ = ["pairwise_sum", "row_sum"]

#: Rows longer than this numpy splits in two halves (its ``PW_BLOCKSIZE``).
_BLOCK = 128
#: Room for the halves still to sum: two tasks a level, and a level halves a row, so 128 is
#: ample for any row an array can hold.
_STACK = 128


@numba.njit(cache=True)
def _block_sum(a: NDArray[np.float64], lo: int, n: int) -> float:
    """numpy's pairwise sum of ``a[lo:lo + n]`` for ``n <= _BLOCK``, where it does not split."""
    if n < 8:
        res = -0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0 = a[lo]
    r1 = a[lo + 1]
    r2 = a[lo + 2]
    r3 = a[lo + 3]
    r4 = a[lo + 4]
    r5 = a[lo + 5]
    r6 = a[lo + 6]
    r7 = a[lo + 7]
    i = lo + 8
    stop = lo + n - n % 8
    while i < stop:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < lo + n:
        res += a[i]
        i += 1
    return res


@numba.njit(cache=True, inline="always")
def pairwise_sum(a: NDArray[np.float64], lo: int, n: int) -> float:
    """Sum ``a[lo:lo + n]`` as numpy's pairwise summation of a contiguous row does.

    Below eight values a left-to-right loop from ``-0.0``; up to ``_BLOCK`` eight running sums
    over strides of eight, combined in a tree, then the rest left to right; beyond that the sum
    of the two halves' sums, the first half a multiple of eight long. numpy's reduction adds
    the result to its identity, ``0.0``, which callers do.

    Inlined into the kernel that calls it, which hands :func:`_pairwise` its bounds as plain
    integers: a kernel's constant bound (``0``, a named number of columns) would otherwise
    compile the sums once more for each constant, a few tenths of a second each on a fresh
    cache.
    """
    return _pairwise(a, plain_int(lo), plain_int(n))


@numba.njit(cache=True)
def _pairwise(a: NDArray[np.float64], lo: int, n: int) -> float:
    """:func:`pairwise_sum`, compiled once.

    The halves are walked with a stack of their own rather than by recursion: Numba's cache
    does not load a recursive function back safely. Rows of up to about four blocks, the
    common ones, are split without it (:func:`_halves_sum`): the stack's four arrays cost more
    to allocate than such a row to sum.
    """
    if n <= _BLOCK:
        return _block_sum(a, lo, n)
    half = n // 2
    half -= half % 8
    return _halves_sum(a, lo, half) + _halves_sum(a, lo + half, n - half)


@numba.njit(cache=True)
def _halves_sum(a: NDArray[np.float64], lo: int, n: int) -> float:
    """:func:`pairwise_sum` of a half: a block, two blocks, or longer on the stack."""
    if n <= _BLOCK:
        return _block_sum(a, lo, n)
    half = n // 2
    half -= half % 8
    if n - half <= _BLOCK:
        return _block_sum(a, lo, half) + _block_sum(a, lo + half, n - half)
    return _stack_sum(a, lo, n)


@numba.njit(cache=True)
def _stack_sum(a: NDArray[np.float64], lo: int, n: int) -> float:
    """:func:`pairwise_sum` of a row longer than :data:`_BLOCK`, its halves on a stack."""
    # Tasks: a range to sum (kind 0), or adding the last two sums (kind 1), in post-order.
    task_lo = np.empty(_STACK, dtype=np.int64)
    task_n = np.empty(_STACK, dtype=np.int64)
    task_kind = np.empty(_STACK, dtype=np.int64)
    sums = np.empty(_STACK)
    n_tasks = 1
    n_sums = 0
    task_lo[0] = lo
    task_n[0] = n
    task_kind[0] = 0
    while n_tasks > 0:
        n_tasks -= 1
        t_lo = task_lo[n_tasks]
        t_n = task_n[n_tasks]
        if task_kind[n_tasks] == 1:
            n_sums -= 1
            sums[n_sums - 1] = sums[n_sums - 1] + sums[n_sums]
        elif t_n <= _BLOCK:
            sums[n_sums] = _block_sum(a, t_lo, t_n)
            n_sums += 1
        else:
            half = t_n // 2
            half -= half % 8
            # pushed in reverse: the first half is summed first, then the second, then added
            task_kind[n_tasks] = 1
            task_lo[n_tasks + 1] = t_lo + half
            task_n[n_tasks + 1] = t_n - half
            task_kind[n_tasks + 1] = 0
            task_lo[n_tasks + 2] = t_lo
            task_n[n_tasks + 2] = half
            task_kind[n_tasks + 2] = 0
            n_tasks += 3
    return sums[0]


@numba.njit(cache=True, inline="always")
def row_sum(a: NDArray[np.float64], lo: int, hi: int) -> float:
    """``a[lo:hi].sum()`` of a contiguous run, as numpy computes it, signed zero included.

    Inlined, as :func:`pairwise_sum` is (which hands its bounds on as plain integers), so
    that constant bounds compile no sums of their own.
    """
    return 0.0 + pairwise_sum(a, lo, hi - lo)
