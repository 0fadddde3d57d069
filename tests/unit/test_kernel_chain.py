"""The chain kernels against their numpy twins, to the bit, on random chains of the sizes the
world hands them compiled (fewer than eight rows per good and eight designers)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosim.kernels.chain import (
    designer_costs,
    designer_costs_ref,
    designer_output,
    designer_output_ref,
)


def _chain(seed: int, n_designers: int, n_goods: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_regions = 3  # few: designers and suppliers often share a home
    per_good = rng.integers(0, 8, n_goods)  # a good may have no supplier in the scenario
    n_rows = n_designers + int(per_good.sum())
    cap = rng.uniform(0.0, 5e4, n_rows) * (rng.random(n_rows) > 0.15)  # some rows idle
    allow = rng.uniform(0.0, 1.0, (n_rows, n_regions))
    allow[rng.random(allow.shape) < 0.3] = 0.0  # controls: flows that may not go
    allow[rng.random(allow.shape) < 0.3] = 1.0
    offsets = np.zeros(n_goods + 1, dtype=np.int64)
    offsets[1:] = n_designers + np.cumsum(per_good)
    offsets[0] = n_designers
    return {
        "cap": cap,
        "des": np.arange(n_designers, dtype=np.int64),
        "home": rng.integers(0, n_regions, n_designers).astype(np.int64),
        "rows": np.arange(n_designers, n_rows, dtype=np.int64),
        "offsets": offsets - n_designers,
        "allow": allow,
        "costs": rng.uniform(1e3, 4e4, n_rows),
        # rows that serve their home's designers first (a control cuts their home off from
        # abroad), and each row's home: often a designer's, so that some have one to serve
        "first": rng.random(n_rows - n_designers) < 0.4,
        "row_home": rng.integers(0, 3, n_rows).astype(np.int64),
    }


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_designers=st.integers(1, 7), n_goods=st.integers(1, 5))
def test_designer_output_equals_its_twin(seed: int, n_designers: int, n_goods: int) -> None:
    c = _chain(seed, n_designers, n_goods)
    args = (c["cap"], c["des"], c["home"], c["rows"], c["offsets"], c["allow"])
    marks = (c["first"], c["row_home"])
    got = designer_output(*args, *marks)
    np.testing.assert_array_equal(got, designer_output_ref(*args, *marks))
    # with no row marked, every supplier splits by capacity alone
    none = (np.zeros_like(c["first"]), c["row_home"])
    np.testing.assert_array_equal(designer_output(*args, *none), designer_output_ref(*args, *none))


def test_a_supplier_marked_first_serves_its_homes_designers_first() -> None:
    # two designers, one at home with the supplier (region 1), one abroad ten times larger;
    # the supplier makes 30 of the good, which both may buy in full
    cap = np.array([10.0, 100.0, 30.0])
    des = np.array([0, 1], dtype=np.int64)
    des_home = np.array([1, 0], dtype=np.int64)
    rows = np.array([2], dtype=np.int64)
    offsets = np.array([0, 1], dtype=np.int64)
    allow = np.ones((3, 2))
    home = np.array([1, 0, 1], dtype=np.int64)
    args = (cap, des, des_home, rows, offsets, allow)
    split = designer_output_ref(*args, np.array([False]), home)
    first = designer_output_ref(*args, np.array([True]), home)
    np.testing.assert_allclose(split, [30.0 * 10 / 110, 30.0 * 100 / 110])
    np.testing.assert_allclose(first, [10.0, 20.0])  # its own up to capacity, the rest abroad
    np.testing.assert_array_equal(designer_output(*args, np.array([True]), home), first)


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_designers=st.integers(1, 12), n_goods=st.integers(1, 5))
def test_designer_costs_equals_its_twin(seed: int, n_designers: int, n_goods: int) -> None:
    c = _chain(seed, n_designers, n_goods)
    args = (c["cap"], c["des"], c["home"], c["rows"], c["offsets"], c["allow"], c["costs"])
    got = designer_costs(*args)
    np.testing.assert_array_equal(got, designer_costs_ref(*args))
    assert np.all(got >= c["costs"][c["des"]])  # a designer pays at least its own stage
