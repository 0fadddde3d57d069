"""The allocation kernel against its numpy twin, to the bit, on random and edge-case worlds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosim.kernels.allocation import _kinks, allocate, allocate_ref


def _both(
    total: np.ndarray,
    local: np.ndarray,
    need: np.ndarray,
    weight: np.ndarray,
    local_only: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    return (
        allocate(total, local, need, weight, local_only),
        allocate_ref(total, local, need, weight, local_only),
    )


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_w=st.integers(1, 7),
    short=st.floats(0.0, 1.5),
    zeros=st.booleans(),
)
def test_kernel_equals_its_twin_to_the_bit(seed: int, n_w: int, short: float, zeros: bool) -> None:
    rng = np.random.default_rng(seed)
    n_r = 9
    need = rng.uniform(0.0, 100.0, (n_r, n_w)) * np.exp(rng.normal(0.0, 2.0, (n_r, n_w)))
    if zeros:  # regions or workloads asking nothing
        need[rng.random((n_r, n_w)) < 0.3] = 0.0
        need[0] = 0.0
    # a few distinct priorities, some equal, as the workloads' weights are
    weight = rng.choice([0.5, 1.0, 1.5, 2.0, 3.0], n_w)
    total = need.sum(axis=1) * short * rng.uniform(0.5, 1.5, n_r)
    local = total * rng.uniform(0.0, 1.2, n_r)  # sometimes above the total: clipped
    local_only = rng.random(n_w) < 0.4
    fast, ref = _both(total, local, need, weight, local_only)
    np.testing.assert_array_equal(fast, ref)


@pytest.mark.parametrize(
    "local_only", [[False, False, False, True], [True, True, True, True], [False] * 4]
)
def test_scarce_local_capacity_takes_the_held_branch(local_only: list[bool]) -> None:
    need = np.array([[10.0, 20.0, 30.0, 40.0], [5.0, 0.0, 0.0, 80.0], [0.0, 0.0, 0.0, 0.0]])
    weight = np.array([0.5, 1.0, 1.5, 2.0])
    total = np.array([90.0, 60.0, 10.0])
    local = np.array([15.0, 20.0, 0.0])  # inference would take more than is in the region
    fast, ref = _both(total, local, need, weight, np.array(local_only))
    np.testing.assert_array_equal(fast, ref)
    if local_only[-1] and not all(local_only):
        assert fast[0, -1] <= local[0] * (1 + 1e-12)  # local work held within the region


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 9), nan=st.booleans())
def test_kinks_are_numpys_unique(seed: int, n: int, nan: bool) -> None:
    # the kinks found once a call: each distinct 1 / weight once, sorted, NaNs as one
    rng = np.random.default_rng(seed)
    weight = rng.choice([0.25, 0.5, 1.0, 1.5, 2.0, np.nan if nan else 3.0], n)
    cols = rng.permutation(n).astype(np.int64)
    inv, kinks = _kinks(weight, cols)
    np.testing.assert_array_equal(inv, 1.0 / weight[cols])
    want = np.unique(1.0 / weight[cols])
    assert kinks.dtype == want.dtype
    assert kinks.tobytes() == want.tobytes()
