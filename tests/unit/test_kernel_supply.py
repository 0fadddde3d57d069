"""The supply kernels against their twins, to the bit: on random books and splits, and on
every call a run of the small scenario makes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ecosim
from ecosim.kernels import supply as kernels
from ecosim.world import supply

SMALL = Path(__file__).resolve().parents[1] / "scenarios" / "small.yaml"

#: The arguments of fill_orders it writes into.
WRITTEN = (3, 8, 9, 12, 13, 14)


def _book(seed: int, n_des: int, n_orders: int, quotas: bool) -> tuple[Any, ...]:
    rng = np.random.default_rng(seed)
    n_regions, n_prov, n_rows = 9, 5, n_des + 6
    designers = rng.permutation(n_rows)[:n_des].astype(np.int64)
    quota = np.full((n_rows, n_regions), np.inf)
    if quotas:  # export quotas, some used up, one exactly
        quota[rng.random(quota.shape) < 0.4] = rng.uniform(0.0, 500.0)
    quota_used = np.where(np.isfinite(quota), quota * rng.uniform(0.0, 1.2, quota.shape), 0.0)
    quota[0, 0] = 100.0
    quota_used[0, 0] = quota[0, 0]  # used up exactly
    by_provider = rng.random(n_orders) < 0.6
    buyer = np.where(
        by_provider, rng.integers(0, n_prov, n_orders), rng.integers(0, n_regions, n_orders)
    ).astype(np.int64)
    designer = rng.integers(0, n_des, n_orders).astype(np.int64)
    quantity = rng.uniform(0.0, 300.0, n_orders) * (rng.random(n_orders) > 0.05)
    quantity[rng.random(n_orders) < 0.1] = 0.5  # below one H100e
    remaining = quantity * np.where(rng.random(n_orders) < 0.3, rng.random(n_orders), 1.0)
    open_ = rng.random(n_orders) < 0.8
    # the book's arrays are longer than its orders
    pad = 7

    def padded(a: np.ndarray) -> np.ndarray:
        return np.concatenate([a, np.zeros(pad, dtype=a.dtype)])

    budgets = rng.uniform(0.0, 800.0, n_des) * (rng.random(n_des) > 0.2)
    return (
        budgets,
        designers,
        quota,
        quota_used,
        padded(by_provider),
        padded(buyer),
        padded(designer),
        padded(quantity),
        padded(remaining),
        padded(open_),
        n_orders,
        rng.integers(0, n_regions, n_prov).astype(np.int64),
        rng.uniform(0.0, 1e4, n_des),
        rng.uniform(0.0, 1e4, (n_regions, n_des)),
        rng.uniform(0.0, 1e4, (n_regions, n_des)),
    )


def _fill_both(args: tuple[Any, ...]) -> None:
    """Run both on copies of ``args`` and hold what they return and write equal."""
    fast_args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    ref_args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    produced, filled = kernels.fill_orders(*fast_args)
    produced_ref, filled_ref = kernels.fill_orders_ref(*ref_args)
    np.testing.assert_array_equal(produced, produced_ref)
    np.testing.assert_array_equal(filled, filled_ref)
    for i in WRITTEN:
        np.testing.assert_array_equal(fast_args[i], ref_args[i])


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_des=st.integers(1, 9),
    n_orders=st.integers(0, 120),
    quotas=st.booleans(),
)
def test_fill_orders_equals_its_twin(seed: int, n_des: int, n_orders: int, quotas: bool) -> None:
    _fill_both(_book(seed, n_des, n_orders, quotas))


def _split(seed: int, n_parts: int, n_des: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    eligible = (rng.random((n_parts, n_des)) < 0.7).astype(float)
    possible = rng.uniform(0.0, 5e3, n_des) * (rng.random(n_des) > 0.1)
    rows = rng.uniform(0.0, 1e5, n_parts) * (rng.random(n_parts) > 0.2)
    rows[0] += 1.0  # something is ordered
    x = eligible * possible[None, :]
    target = possible / max(possible.sum(), 1e-300) * rows.sum()
    return x, rows, target


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_parts=st.integers(1, 24), n_des=st.integers(2, 7))
def test_fit_split_equals_its_twin(seed: int, n_parts: int, n_des: int) -> None:
    x, rows, target = _split(seed, n_parts, n_des)
    tol = 1e-10 * float(rows.max())
    np.testing.assert_array_equal(
        kernels.fit_split(x, rows, target, tol), kernels.fit_split_ref(x, rows, target, tol)
    )


def test_fit_split_meets_its_margins() -> None:
    x = np.array([[1.0, 2.0, 1.0], [0.5, 1.0, 1.0], [1.0, 3.0, 1.0]])
    rows = np.array([3.0, 2.0, 1.0])
    target = np.array([1.0, 2.0, 3.0])
    got = kernels.fit_split(x, rows, target, 1e-12)
    np.testing.assert_allclose(got.sum(axis=1), rows, rtol=1e-10)
    np.testing.assert_allclose(got.sum(axis=0), target, rtol=1e-10)


def test_a_run_calls_the_kernels_with_what_their_twins_give(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: Counter[str] = Counter()
    fill, fit = kernels.fill_orders, kernels.fit_split

    def checked_fill(*args: Any) -> tuple[np.ndarray, np.ndarray]:
        ref_args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
        got = fill(*args)
        want = kernels.fill_orders_ref(*ref_args)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
        for i in WRITTEN:
            np.testing.assert_array_equal(args[i], ref_args[i])
        calls["fill"] += 1
        return got

    def checked_fit(*args: Any) -> np.ndarray:
        got = fit(*args)
        np.testing.assert_array_equal(got, kernels.fit_split_ref(*args))
        calls["fit"] += 1
        return np.asarray(got)

    monkeypatch.setattr(supply.supply_kernels, "fill_orders", checked_fill)
    monkeypatch.setattr(supply.supply_kernels, "fit_split", checked_fit)
    ecosim.simulate(ecosim.load_scenario(SMALL, ["horizon_years=1"]))
    assert calls["fill"] > 100
