"""Benchmark case for the allocation kernel at the size of the baseline world.

Nine regions, four workloads (inference local), short capacity in some regions and scarce
local capacity in others, as after a cloud cut-off: the rationing's every branch is taken.
"""

from __future__ import annotations

import numpy as np
from _bench import Case, repeated_call_case

from ecosim.kernels.allocation import allocate, allocate_ref

N_REGIONS = 9
CALLS = 200


def _inputs(seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    need = rng.uniform(1e3, 1e6, (N_REGIONS, 4))
    weight = np.array([0.5, 1.0, 1.5, 2.0])
    total = need.sum(axis=1) * rng.uniform(0.6, 1.3, N_REGIONS)
    local = total * rng.uniform(0.1, 0.9, N_REGIONS)
    local_only = np.array([False, False, False, True])
    return total, local, need, weight, local_only


def cases() -> list[Case]:
    """Return the allocation benchmark case: a step's call, 200 times."""
    return [repeated_call_case("allocation.allocate", allocate, allocate_ref, _inputs(), CALLS)]
