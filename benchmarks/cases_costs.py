"""Benchmark cases for the costs' kernels at the size of the baseline world.

Nine regions and nineteen providers, some levers pulled, as each recorded sample reads them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from _bench import Case, repeated_call_case

from ecosim.kernels.costs import cost_items, cost_items_ref, cost_totals, cost_totals_ref

CALLS = 200
N_R, N_P = 9, 19


def _items_args(seed: int = 0) -> tuple[Any, ...]:
    rng = np.random.default_rng(seed)

    def lever() -> np.ndarray:
        return np.where(rng.random(N_R) < 0.3, rng.uniform(0.0, 1.0, N_R), 0.0)

    return (
        rng.uniform(1e8, 1e11, N_R),
        rng.uniform(1e3, 1e6, N_R),
        rng.uniform(500.0, 2000.0, N_R),
        0.9,
        rng.uniform(0.0, 1e5, (N_R, N_P)),
        rng.uniform(0.5, 4.0, (N_R, N_P)),
        8760.0,
        np.zeros(N_R),
        rng.uniform(2e4, 5e4, N_R),
        rng.uniform(0.9, 1.2, N_R),
        np.full(N_R, 5.0),
        np.ones(N_R),
        np.zeros(N_R),
        np.zeros(N_R),
        np.zeros(N_R),
        0.1,
        lever(),
        0.15,
        lever(),
        0.2,
        lever(),
        0.1,
        lever(),
        5e6,
        lever() * 1e3,
        5e4,
        lever(),
        5e8,
        2e5,
    )


def cases() -> list[Case]:
    """Return the costs' benchmark cases: a sample's call, 200 times each."""
    items = cost_items_ref(*_items_args())
    spent = np.random.default_rng(1).uniform(0.0, 1e9, N_R)
    return [
        repeated_call_case(
            "costs.cost_items", cost_items, cost_items_ref, _items_args(), CALLS, 5.0
        ),
        # three sums and a cash flow: the twin is a handful of numpy calls, the call's own cost
        # is most of the kernel's
        repeated_call_case(
            "costs.cost_totals",
            cost_totals,
            cost_totals_ref,
            (items, spent, 1 / 365.25),
            CALLS,
            2.5,
        ),
    ]
