"""Benchmark cases for the prices' kernels at the size of the baseline world.

Nine regions, nineteen providers, four designers among twenty-four chip rows, a control on
part of the flows and some fleets short of what their customers want: what each world step's
close reads.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from _bench import Case, repeated_call_case

from ecosim.kernels.prices import smooth, smooth_ref, update, update_ref

CALLS = 200
N_R, N_P, N_D, N_S = 9, 19, 4, 24


def _update_args(seed: int = 0) -> tuple[Any, ...]:
    rng = np.random.default_rng(seed)
    allow = np.where(rng.random((N_S, N_R)) < 0.1, 0.25, 1.0)
    own_cost = rng.uniform(2e3, 9e3, N_R)
    return (
        0.8,
        rng.uniform(1.0, 2.0, N_D),
        rng.uniform(1e3, 4e4, N_D),
        2e4,
        2.5e4,
        allow,
        np.arange(N_D, dtype=np.int64),
        0.3,
        rng.uniform(0.0, 1e5, (N_R, N_D)),
        rng.uniform(0.2, 0.8, N_R),
        own_cost,
        own_cost * 0.3,
        rng.integers(0, N_R, N_P).astype(np.int64),
        rng.dirichlet(np.ones(N_P + 1), N_R),
        rng.dirichlet(np.ones(N_P + 1), N_R)[:, :N_P].copy(),
        rng.uniform(0.0, 0.5, N_R),
        rng.uniform(0.0, 0.5, N_R),
        0.5,
        rng.uniform(0.3, 0.95, N_P),
        rng.uniform(1.0, 4.0, N_P),
        rng.uniform(0.8, 1.5, N_R),
        np.ones((N_R, N_P)),
        rng.uniform(1.0, 1.2, (N_R, N_P)),
    )


def _smooth_args(seed: int = 0) -> tuple[Any, ...]:
    rng = np.random.default_rng(seed)
    fleet = rng.uniform(0.0, 1e5, (N_R, N_P)) * (rng.random((N_R, N_P)) > 0.3)
    return (
        float(np.exp(-1.0 / 30.0)),
        rng.uniform(30.0, 200.0, N_D),
        rng.uniform(30.0, 200.0, N_D),
        rng.uniform(1.0, 1.5, (N_R, N_P)),
        fleet * rng.uniform(0.8, 1.2, (N_R, N_P)),
        fleet,
    )


def cases() -> list[Case]:
    """Return the prices' benchmark cases: a step's call, 200 times each."""
    return [
        repeated_call_case("prices.smooth", smooth, smooth_ref, _smooth_args(), CALLS, 5.0),
        repeated_call_case("prices.update", update, update_ref, _update_args(), CALLS, 5.0),
    ]
