"""The lane-cut kernel against its reference twin, and against the arrivals it stands for."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosim.kernels.arrivals import cut_lanes, cut_lanes_ref


def _lanes(seed: int, n_lanes: int, per_lane: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted times per lane, some with repeated values, and each lane's first pending column."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, per_lane + 1, n_lanes)
    # rounded to tenths so that times equal to the cut occur
    t = np.concatenate([np.sort(np.round(rng.uniform(0, 10, c), 1)) for c in counts])
    end = np.cumsum(counts).astype(np.int64)
    begin = end - counts
    taken = begin + (rng.random(n_lanes) * (counts + 1)).astype(np.int64).clip(0, counts)
    return t, taken, end


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_lanes=st.integers(1, 40),
    per_lane=st.integers(0, 50),
    t1=st.floats(-1.0, 11.0).map(lambda x: round(x, 1)),
)
def test_kernel_equals_its_twin(seed: int, n_lanes: int, per_lane: int, t1: float) -> None:
    t, taken, end = _lanes(seed, n_lanes, per_lane)
    fast, ref = np.empty_like(taken), np.empty_like(taken)
    n_fast = cut_lanes(t, taken, end, t1, fast)
    n_ref = cut_lanes_ref(t, taken, end, t1, ref)
    np.testing.assert_array_equal(fast, ref)
    assert n_fast == n_ref == int((fast - taken).sum())


@pytest.mark.parametrize("fn", [cut_lanes, cut_lanes_ref])
def test_cut_takes_exactly_the_pending_arrivals_before_the_day(fn: object) -> None:
    # lane 0: two taken already, then 3.0 and 4.0 before 5.0; 5.0 itself stays
    # lane 1: nothing pending; lane 2: all before
    t = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 0.5, 0.7])
    taken = np.array([2, 7, 7], dtype=np.int64)
    end = np.array([7, 7, 9], dtype=np.int64)
    upto = np.empty(3, dtype=np.int64)
    assert callable(fn)
    n = fn(t, taken, end, 5.0, upto)
    np.testing.assert_array_equal(upto, [4, 7, 9])
    assert n == 4
