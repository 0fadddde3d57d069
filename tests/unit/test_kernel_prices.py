"""The prices' kernels against their numpy twins, to the bit: on every call a run of the small
scenario makes (a control and a fab outage move quotes, premia and fleets) and on random
inputs of the sizes the world hands them compiled (fewer than eight designers)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosim.kernels import prices as kp
from tests.kernel_calls import calls_of


def _same(a: Any, b: Any) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y)
        # equal to the bit, zeros' signs included
        assert np.array_equal(np.signbit(x), np.signbit(y))


@pytest.fixture(scope="module")
def captured() -> dict[str, list[tuple[Any, ...]]]:
    """The arguments of every call of the kernels in a third of a year of the small run."""
    return calls_of(kp, ["smooth", "update"], ["horizon_years=0.35"])


def test_smooth_equals_its_twin_on_a_run(captured: dict[str, list[tuple[Any, ...]]]) -> None:
    assert len(captured["smooth"]) > 100
    for args in captured["smooth"]:
        _same(kp.smooth(*args), kp.smooth_ref(*args))


def test_update_equals_its_twin_on_a_run(captured: dict[str, list[tuple[Any, ...]]]) -> None:
    calls = captured["update"]
    assert len(calls) > 100
    # the run reaches what the kernel branches on: a blocked flow, a tight fleet
    assert any((args[5] < 1.0).any() for args in calls)
    assert any((args[-1] > 1.0).any() for args in calls)
    for args in calls:
        _same(kp.update(*args), kp.update_ref(*args))


def _update_args(seed: int, n_d: int, n_p: int) -> tuple[Any, ...]:
    rng = np.random.default_rng(seed)
    n_r, n_s = 9, n_d + 6
    weights = rng.uniform(0.0, 1e5, (n_r, n_d)) * (rng.random((n_r, n_d)) > 0.3)
    weights[rng.random(n_r) < 0.2] = 0.0  # a region waiting for nothing, selling to nobody
    allow = rng.uniform(-0.1, 1.1, (n_s, n_r))  # clipped to [0, 1]
    allow[rng.random(allow.shape) < 0.4] = 1.0
    shares = rng.dirichlet(np.ones(n_p + 1), n_r)
    shares[0, 0] = 0.95  # above the markup's cap
    own_cost = rng.uniform(2e3, 9e3, n_r)
    spread0 = rng.uniform(0.0, 1.0, n_r)
    spread0[rng.random(n_r) < 0.3] = 1.0
    return (
        float(rng.uniform(0.5, 1.5)),
        rng.uniform(0.9, 3.0, n_d),
        rng.uniform(1e3, 4e4, n_d),
        float(rng.uniform(1e3, 4e4)),
        float(rng.uniform(1e4, 4e4)),
        allow,
        rng.permutation(n_s)[:n_d].astype(np.int64),
        float(rng.uniform(0.0, 1.0)),
        weights,
        rng.uniform(0.2, 0.8, n_r),
        own_cost,
        own_cost * rng.uniform(0.1, 0.5, n_r),
        rng.integers(0, n_r, n_p).astype(np.int64),
        shares,
        rng.dirichlet(np.ones(n_p + 1), n_r)[:, :n_p].copy(),
        rng.uniform(0.0, 1.0, n_r),
        spread0,
        float(rng.uniform(0.0, 1.0)),
        rng.uniform(0.3, 0.95, n_p),
        rng.uniform(1.0, 4.0, n_p),
        rng.uniform(0.8, 1.5, n_r),
        np.where(rng.random((n_r, n_p)) < 0.2, 1.5, 1.0),
        rng.uniform(1.0, 2.0, (n_r, n_p)),
    )


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_d=st.integers(1, 7), n_p=st.integers(1, 12))
def test_update_equals_its_twin(seed: int, n_d: int, n_p: int) -> None:
    _same(kp.update(*_update_args(seed, n_d, n_p)), kp.update_ref(*_update_args(seed, n_d, n_p)))


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_d=st.integers(1, 7), n_p=st.integers(1, 12))
def test_smooth_equals_its_twin(seed: int, n_d: int, n_p: int) -> None:
    rng = np.random.default_rng(seed)
    fleet = rng.uniform(0.0, 1e5, (9, n_p)) * (rng.random((9, n_p)) > 0.2)  # no fleet: 1
    args = (
        float(np.exp(-rng.uniform(0.0, 3.0) / 30.0)),
        rng.uniform(30.0, 700.0, n_d),
        rng.uniform(30.0, 730.0, n_d),
        rng.uniform(1.0, 3.0, (9, n_p)),
        fleet * rng.uniform(0.5, 2.0, (9, n_p)),
        fleet,
    )
    _same(kp.smooth(*args), kp.smooth_ref(*args))
