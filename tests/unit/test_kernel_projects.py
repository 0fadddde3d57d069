"""The build projects' construction payments against their numpy twin, to the bit: on every
call a run of the small scenario with regions building makes, and on random books."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosim.kernels import projects as kp
from ecosim.kernels.projects import pay_construction, pay_construction_ref
from tests.kernel_calls import calls_of


def _pay(fn: Any, args: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray]:
    """What ``fn`` leaves in copies of the spending and paid arrays (its last two)."""
    spent, paid = args[-2].copy(), args[-1].copy()
    fn(*args[:-2], spent, paid)
    return spent, paid


def _same(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> None:
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape
        assert x.tobytes() == y.tobytes()  # zeros' signs and NaNs too


@pytest.fixture(scope="module")
def captured() -> list[tuple[Any, ...]]:
    """The arguments of the calls a year of the small run makes, its projects' books among
    them."""
    calls = calls_of(kp, ["pay_construction"], ["horizon_years=1"])["pay_construction"]
    assert calls, "the run built nothing"
    return calls


def test_pay_construction_on_a_run(captured: list[tuple[Any, ...]]) -> None:
    assert any(args[0].size > 1 for args in captured)
    for args in captured:
        _same(_pay(pay_construction, args), _pay(pay_construction_ref, args))


def _book(seed: int, n: int, n_r: int) -> tuple[Any, ...]:
    rng = np.random.default_rng(seed)
    decided = rng.uniform(-100.0, 400.0, n)
    done = decided + rng.choice([0.0, 1e-10, 30.0, 365.0], n) * rng.random(n)
    t0 = float(rng.uniform(-50.0, 300.0))
    t1 = t0 + float(rng.choice([0.0, 1.0, 7.0, 45.0]))
    return (
        rng.uniform(0.0, 1e4, n),
        decided,
        done,
        rng.integers(0, n_r, n).astype(np.int64),
        rng.uniform(1e4, 5e4, n_r),
        rng.uniform(0.3, 0.9, n_r),
        float(rng.uniform(0.5, 1.5)),
        t0,
        t1,
        rng.uniform(0.0, 1e9, n_r),
        rng.uniform(0.0, 1e8, n),
    )


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 60), n_r=st.integers(1, 12))
def test_pay_construction_equals_its_twin(seed: int, n: int, n_r: int) -> None:
    args = _book(seed, n, n_r)
    _same(_pay(pay_construction, args), _pay(pay_construction_ref, args))


def test_pay_construction_pays_the_overlap() -> None:
    """A project decided at day 0 and built by day 100 pays a tenth of its non-chip capex
    over days 10 to 20, and nothing over a step before its decision or after its build."""
    quantity, decided, done = np.array([2.0]), np.array([0.0]), np.array([100.0])
    region = np.zeros(1, dtype=np.int64)
    capex, chip_share = np.array([1000.0]), np.array([0.6])
    for t0, t1, want in ((10.0, 20.0, 2.0 * 1000.0 * 0.4 * 1.5 / 10.0), (-5.0, 0.0, 0.0)):
        spent, paid = np.zeros(1), np.zeros(1)
        args = (quantity, decided, done, region, capex, chip_share, 1.5, t0, t1, spent, paid)
        pay_construction(*args)
        np.testing.assert_allclose(spent, [want])
        np.testing.assert_allclose(paid, [want])
