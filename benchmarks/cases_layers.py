"""Benchmark cases for the layer kernels at the size of the baseline world.

Nine regions and nineteen cloud providers, as the baseline has: the layer services read at
every refresh, the specialists' need (twice a step and by the recorder), the talent's step,
what its logarithms and exponentials take, and migration, the model-source mix, the portable
share and the coupling's clipping of each step and the frontier lag (over three years of
daily history) of each close.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from _bench import Case, repeated_call_case

from ecosim.kernels import layers as k

CALLS = 200
N_R, N_P = 9, 19


def _services_args(seed: int = 0) -> tuple[Any, ...]:
    rng = np.random.default_rng(seed)
    shares = rng.exponential(1.0, (N_R, N_P + 1))
    shares /= shares.sum(axis=1, keepdims=True)
    r = N_R
    return (
        rng.uniform(0.8, 1.0, r),
        shares,
        rng.integers(0, N_R, N_P).astype(np.int64),
        rng.random((N_R, N_P)) < 0.4,
        (rng.random((N_R, N_P)) > 0.1).astype(np.uint8),
        rng.random((N_R, N_P)) < 0.1,
        np.zeros((N_R, N_P)),
        np.zeros(r),
        np.zeros((N_R, N_R), dtype=bool),
        np.zeros((N_R, N_R), dtype=bool),
        rng.uniform(0.0, 0.5, r),
        rng.uniform(0.0, 0.3, r),
        rng.uniform(0.0, 0.3, r),
        rng.uniform(0.0, 0.4, r),
        rng.uniform(0.0, 0.5, r),
        rng.uniform(0.0, 0.5, r),
        np.ones(r),
        np.zeros(r),
        np.zeros(r),
        rng.uniform(0.0, 20.0, r),
        rng.uniform(0.0, 20.0, r),
        rng.uniform(0.0, 20.0, r),
        rng.dirichlet(np.ones(3), r),
        np.ones(r),
        np.ones(r),
        rng.uniform(0.5, 1.0, r),
        12.0,
        0.5,
    )


def _flat(fn: Any) -> Any:
    """``fn`` with its arrays joined into one, for the cases' bit-for-bit check."""
    return lambda *args: np.concatenate([np.ravel(a) for a in fn(*args)])


def cases() -> list[Case]:
    """Return the layer benchmark cases: a step's call, 200 times each.

    The targets of the small kernels are lower: their twins are a handful of numpy calls, so
    the kernels' own dispatch is a good part of what is left.
    """
    rng = np.random.default_rng(1)
    own0 = rng.uniform(1e3, 5e4, N_R)
    need = (
        rng.uniform(0.0, 1.5, N_R) ** 0.6,
        rng.uniform(0.0, 5.0, N_R),
        own0,
        rng.dirichlet(np.ones(3), N_R),
        rng.uniform(0.0, 0.5, N_R),
        rng.uniform(0.0, 2e3, N_R),
        np.zeros(N_R),
    )
    needed = rng.uniform(100.0, 4e3, N_R)
    models = (
        rng.uniform(0.0, 30.0, N_R),
        np.ones(N_R),
        (1.0, 12.0, 365.25),
        rng.dirichlet(np.ones(3), N_R),
        rng.uniform(0.0, 0.6, N_R),
        np.zeros(N_R),
        np.exp(-rng.uniform(0.0, 0.01, N_R)),
        np.ones(N_R),
        np.exp(-rng.uniform(0.0, 0.1, N_R)),
    )
    intake = (
        rng.uniform(100.0, 2e3, N_R),
        np.zeros(N_R),
        np.exp(rng.uniform(-0.5, 0.5, N_R)),
        np.zeros(N_R),
        20.0,
    )
    grown = (
        rng.uniform(100.0, 4e4, N_R),
        (np.log(rng.uniform(0.2, 1.5, N_R)), rng.normal(0.0, 1.0, N_R), 0.5, 0.5),
        0.05 / 365.25,
        intake,
        np.exp(-rng.uniform(0.0, 0.001, N_R)),
        1.0,
        365.25,
    )
    terms = (
        rng.uniform(1e3, 1e6, N_R),
        rng.uniform(100.0, 4e4, N_R),
        400.0,
        rng.uniform(3.0, 6.0, N_R),
        rng.normal(0.0, 0.05, N_R),
        rng.uniform(0.0, 0.1, N_R),
        1.0,
        365.25,
    )
    return [
        repeated_call_case(
            "layers.step_talent", k.step_talent, k.step_talent_ref, grown, CALLS, 5.0
        ),
        repeated_call_case(
            "layers.talent_terms",
            k.talent_terms,
            k.talent_terms_ref,
            terms,
            CALLS,
            2.0,
        ),
        repeated_call_case(
            "layers.porting_exponent",
            k.porting_exponent,
            k.porting_exponent_ref,
            (rng.uniform(100.0, 800.0, N_R), 1.0),
            CALLS,
            1.5,
        ),
        repeated_call_case(
            "layers.move_portable",
            k.move_portable,
            k.move_portable_ref,
            (rng.uniform(0.0, 0.5, N_R), rng.uniform(0.0, 0.6, N_R), np.exp(-rng.random(N_R))),
            CALLS,
            1.5,
        ),
        repeated_call_case(
            "layers.coupling_target",
            k.coupling_target,
            k.coupling_target_ref,
            (rng.uniform(-0.1, 1.1, (N_R, 5)), rng.uniform(0.0, 0.3, (N_R, 5))),
            CALLS,
            1.5,
        ),
        repeated_call_case(
            "layers.coupling_relax",
            k.coupling_relax,
            k.coupling_relax_ref,
            (rng.uniform(0.0, 1.0, (N_R, 5)), rng.uniform(-0.2, 0.2, (N_R, 5))),
            CALLS,
            2.0,
        ),
        repeated_call_case(
            "layers.layer_services", k.layer_services, k.layer_services_ref, _services_args()
        ),
        repeated_call_case(
            "layers.staff_need", _flat(k.staff_need), _flat(k.staff_need_ref), need, CALLS, 1.5
        ),
        repeated_call_case(
            "layers.sufficiency",
            k.sufficiency,
            k.sufficiency_ref,
            (needed, rng.uniform(0.0, 4e3, N_R), np.zeros(N_R)),
            CALLS,
            3.0,
        ),
        repeated_call_case(
            "layers.migration",
            k.migration,
            k.migration_ref,
            (rng.normal(0.0, 1.0, N_R), rng.uniform(100.0, 4e4, N_R), 0.05 / 365.25),
            CALLS,
            5.0,
        ),
        repeated_call_case(
            "layers.move_models", _flat(k.move_models), _flat(k.move_models_ref), models, CALLS, 3.0
        ),
    ]
