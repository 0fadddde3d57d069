"""The kernels' sums against numpy's, to the bit and to the sign of zero."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosim.kernels.sums import pairwise_sum, row_sum


def _spread(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values over twelve orders of magnitude, so that the order of additions shows."""
    return rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 6, shape)


@pytest.mark.parametrize("n", [*range(0, 40), 127, 128, 129, 255, 256, 257, 1000, 4099])
def test_row_sums_are_numpy_s(n: int) -> None:
    rng = np.random.default_rng(n)
    rows = _spread(rng, (6, n))
    rows[1] = 0.0
    rows[2] = -0.0
    rows[3, ::3] = 0.0
    want = rows.sum(axis=1)
    got = np.array([row_sum(row, 0, n) for row in rows])
    np.testing.assert_array_equal(got, want)
    assert not np.signbit(got[2])
    # numpy adds the pairwise sum to its identity: the raw sum keeps -0.0
    np.testing.assert_array_equal([0.0 + pairwise_sum(row, 0, n) for row in rows], want)


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300), lo=st.integers(0, 5))
def test_a_run_inside_a_row_is_numpy_s(seed: int, n: int, lo: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1.0, 1.0, lo + n) * 10 ** rng.uniform(-3, 9, lo + n)
    assert row_sum(a, lo, lo + n) == a[lo:].sum()
    rows = a[: (lo + n) // 3 * 3].reshape(-1, 3) if lo + n >= 3 else a[None, :]
    got = [row_sum(np.ascontiguousarray(r), 0, r.size) for r in rows]
    np.testing.assert_array_equal(got, rows.sum(axis=1))
