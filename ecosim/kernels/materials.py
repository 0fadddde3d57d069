"""What the wafer fabs receive of their restricted material over a step: compiled.

Every step reads each fab's health, what it made and its full use of the material before the
suppliers' deliveries are counted (:func:`ecosim.world.supply._deliver_materials` states the
rule): a dozen numpy calls on a handful of fabs. :func:`deliver_step` does it in one call,
with the deliveries' own kernel (:func:`ecosim.kernels.supply.deliver_materials`);
:func:`deliver_step_ref` is the same in numpy.

Sums are numpy's: the materials suppliers' capacity left to right (the kernel is for fewer than
eight of them, as numpy then adds), the fabs' capacity in numpy's order (:func:`row_sum`).
Tests hold the two equal to the bit.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from ecosim.kernels.costs import MAX_ROW
from ecosim.kernels.sums import row_sum
from ecosim.kernels.supply import (
    deliver_materials,
    deliver_materials_ref,
    materials_health,
    materials_health_ref,
)

__all__ = ["MAX_FABS", "MAX_SUPPLIERS", "deliver_step", "deliver_step_ref"]

F8 = NDArray[np.float64]
I8 = NDArray[np.int64]

#: The most materials suppliers :func:`deliver_step` takes: numpy adds fewer than eight left
#: to right.
MAX_SUPPLIERS = 7
#: The most fabs :func:`deliver_step` takes: those whose capacity :func:`row_sum` adds in
#: numpy's order.
MAX_FABS = MAX_ROW


def deliver_step_ref(
    nominal: F8,
    capacity: F8,
    throughput: F8,
    factor: F8,
    at_risk: F8,
    chip_home: I8,
    allow: F8,
    mats: I8,
    fabs: I8,
    dt: float,
    source: F8,
    bought: F8,
    delivered: F8,
) -> None:
    """Numpy twin of :func:`deliver_step`, with the same parameters."""
    cap = nominal[mats]
    if not mats.size or not fabs.size or cap.sum() <= 0:
        return
    health = materials_health_ref(factor, at_risk)[fabs]
    # with every fab down, the wafer throughput of an earlier step stays in place
    made = throughput[fabs] if capacity[fabs].sum() > 0 else np.zeros(fabs.size)
    use = np.where(health > 0, made / np.maximum(health, 1e-300), 0.0)  # H100e/d
    homes = chip_home[fabs]
    deliver_materials_ref(nominal, allow, mats, fabs, homes, use, dt, source, bought, delivered)


@numba.njit(cache=True)
def deliver_step(
    nominal: F8,
    capacity: F8,
    throughput: F8,
    factor: F8,
    at_risk: F8,
    chip_home: I8,
    allow: F8,
    mats: I8,
    fabs: I8,
    dt: float,
    source: F8,
    bought: F8,
    delivered: F8,
) -> None:
    """Add to ``delivered`` (region, materials supplier) the material each of the ``fabs``
    receives over ``dt`` days, in place.

    A fab's full use of the material is what it made (``throughput``; nothing where every
    fab's ``capacity`` is zero) over its health (``materials_health`` of ``factor`` and
    ``at_risk``); :func:`ecosim.kernels.supply.deliver_materials` spreads it over the
    ``mats`` by their ``nominal`` capacity and adds their ``source`` share of what each fab
    ``bought``. Nothing is delivered where the suppliers have no capacity. For at most
    :data:`MAX_SUPPLIERS` suppliers and :data:`MAX_FABS` fabs.
    """
    n_f = fabs.size
    if mats.size == 0 or n_f == 0:
        return
    total = 0.0
    for m in mats:
        total += nominal[m]
    if total <= 0:
        return
    held = np.empty(n_f)
    for j in range(n_f):
        held[j] = capacity[fabs[j]]
    running = row_sum(held, 0, n_f) > 0
    health = materials_health(factor, at_risk)
    use = np.empty(n_f)
    homes = np.empty(n_f, dtype=np.int64)
    for j in range(n_f):
        s = fabs[j]
        h = health[s]
        made = throughput[s] if running else 0.0
        # numpy.where and numpy.maximum: a NaN health uses nothing
        use[j] = made / (h if h >= 1e-300 else 1e-300) if h > 0 else 0.0
        homes[j] = chip_home[s]
    deliver_materials(nominal, allow, mats, fabs, homes, use, dt, source, bought, delivered)
