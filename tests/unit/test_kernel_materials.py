"""The material deliveries' step kernel against its numpy twin, to the bit: on every call a
run of the small scenario makes, and on random worlds (suppliers down, fabs down, NaN shares
at risk)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosim.kernels import materials as km
from ecosim.kernels.materials import MAX_SUPPLIERS, deliver_step, deliver_step_ref
from tests.kernel_calls import calls_of


def _same(args: tuple[Any, ...]) -> None:
    """Both on copies of ``args``: the same deliveries, written in place (the last one)."""
    fast = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    slow = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    deliver_step(*fast)
    deliver_step_ref(*slow)
    assert fast[-1].tobytes() == slow[-1].tobytes()


@pytest.fixture(scope="module")
def captured() -> list[tuple[Any, ...]]:
    """The arguments of the calls half a year of the small run makes."""
    calls = calls_of(km, ["deliver_step"], ["horizon_years=0.5"])["deliver_step"]
    assert calls
    return calls


def test_deliver_step_on_a_run(captured: list[tuple[Any, ...]]) -> None:
    assert any(args[-1].any() for args in captured)  # material was delivered
    for args in captured:
        _same(args)


def _world(seed: int, n_m: int, n_f: int, n_r: int) -> tuple[Any, ...]:
    rng = np.random.default_rng(seed)
    n = n_m + n_f + 2
    rows = rng.permutation(n)
    mats, fabs = rows[:n_m].astype(np.int64), rows[n_m : n_m + n_f].astype(np.int64)
    nominal = rng.uniform(0.0, 1e6, n) * (rng.random(n) < 0.8)
    capacity = nominal * rng.uniform(0.0, 1.0, n) * (rng.random() < 0.8)
    at_risk = np.where(rng.random(n) < 0.3, np.nan, rng.uniform(0.0, 1.0, n))
    return (
        nominal,
        capacity,
        rng.uniform(0.0, 1e4, n),
        rng.choice([0.0, 0.3, 1.0], n) * rng.uniform(0.5, 1.0, n),
        at_risk,
        rng.integers(0, n_r, n).astype(np.int64),
        rng.uniform(0.0, 1.0, (n, n_r)) * (rng.random((n, n_r)) < 0.8),
        mats,
        fabs,
        float(rng.choice([0.5, 1.0, 7.0])),
        rng.uniform(0.0, 1.0, (n_m, n_r)),
        rng.uniform(0.0, 3.0, n) * (rng.random(n) < 0.5),
        rng.uniform(0.0, 1e5, (n_r, n_m)),
    )


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_m=st.integers(0, MAX_SUPPLIERS),
    n_f=st.integers(0, 20),
    n_r=st.integers(1, 9),
)
def test_deliver_step_equals_its_twin(seed: int, n_m: int, n_f: int, n_r: int) -> None:
    _same(_world(seed, n_m, n_f, n_r))
