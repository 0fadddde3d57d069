"""What the build projects pay for their sites while they are built: compiled.

Every step pays each project's share of the capex that is not chips over the step
(:func:`ecosim.world.projects.pay_construction` states the rule): a dozen numpy calls over the
whole book of projects, which grows through a run, so the calls cost more than the arithmetic.
:func:`pay_construction_ref` is the same in numpy, as the world computed it before.

The kernel repeats numpy's arithmetic element by element in numpy's order: the product is taken
left to right and then divided, and each region's spending is added to in the projects' order,
as ``numpy.add.at`` does. Tests hold the two equal to the bit.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["pay_construction", "pay_construction_ref"]

F8 = NDArray[np.float64]
I8 = NDArray[np.int64]


@numba.njit(cache=True, error_model="numpy")
def pay_construction(
    quantity: F8,
    decided: F8,
    done: F8,
    region: I8,
    capex: F8,
    chip_share: F8,
    price_trend: float,
    t0: float,
    t1: float,
    spent: F8,
    paid: F8,
) -> None:
    """Pay each project's non-chip capex over ``[t0, t1)``: add it to its region's ``spent``
    and to its own ``paid``, in place (see :func:`pay_construction_ref`)."""
    for i in range(quantity.size):
        # numpy.minimum / maximum / clip, NaN-propagating as numpy's are
        end = done[i]
        hi = end if (end < t1 or end != end) else t1
        start = decided[i]
        lo = start if (start > t0 or start != start) else t0
        overlap = hi - lo
        if overlap < 0.0:
            overlap = 0.0
        length = end - start
        if not (length >= 1e-9 or length != length):
            length = 1e-9
        r = region[i]
        rest = 1.0 - chip_share[r]
        value = quantity[i] * capex[r] * rest * price_trend * overlap / length
        spent[r] += value
        paid[i] += value


def pay_construction_ref(
    quantity: F8,
    decided: F8,
    done: F8,
    region: I8,
    capex: F8,
    chip_share: F8,
    price_trend: float,
    t0: float,
    t1: float,
    spent: F8,
    paid: F8,
) -> None:
    """:func:`pay_construction` in numpy: over ``[t0, t1)`` each project pays
    ``quantity * capex * (1 - chip_share) * price_trend * overlap / length`` of its region's
    rates, ``overlap`` being the days of its construction in the interval and ``length`` its
    construction's (at least 1e-9)."""
    overlap = np.clip(np.minimum(done, t1) - np.maximum(decided, t0), 0.0, None)
    length = np.maximum(done - decided, 1e-9)
    rest = 1.0 - chip_share[region]
    value = quantity * capex[region] * rest * price_trend * overlap / length
    np.add.at(spent, region, value)
    paid += value
