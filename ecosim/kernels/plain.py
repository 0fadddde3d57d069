"""Integers and booleans that a kernel passes on as variables, not as constants.

A compiled function called from another with a constant argument (``0``, ``True``, a module's
named number) is compiled once more for that constant, which Numba types apart from a plain
``int64`` or ``bool``: the same function then compiles twice or more on a fresh cache (a few
tenths of a second each, as many times as constants and variables meet it) and loads as
many copies from the cache at each start. Passing ``plain_int(0)`` instead hands it the
plain type. Inlined, so the running code is the same.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, inline="always")
def plain_int(x: int) -> int:
    """``x`` typed as a plain ``int64`` where the caller wrote a constant."""
    return int(np.int64(x))


@numba.njit(cache=True, inline="always")
def plain_bool(x: bool) -> bool:
    """``x`` typed as a plain ``bool`` where the caller wrote a constant."""
    return bool(np.bool_(x))
