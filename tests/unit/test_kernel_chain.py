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
    n_regions = 9
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
    }


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_designers=st.integers(1, 7), n_goods=st.integers(1, 5))
def test_designer_output_equals_its_twin(seed: int, n_designers: int, n_goods: int) -> None:
    c = _chain(seed, n_designers, n_goods)
    args = (c["cap"], c["des"], c["home"], c["rows"], c["offsets"], c["allow"])
    np.testing.assert_array_equal(designer_output(*args), designer_output_ref(*args))


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_designers=st.integers(1, 12), n_goods=st.integers(1, 5))
def test_designer_costs_equals_its_twin(seed: int, n_designers: int, n_goods: int) -> None:
    c = _chain(seed, n_designers, n_goods)
    args = (c["cap"], c["des"], c["home"], c["rows"], c["offsets"], c["allow"], c["costs"])
    got = designer_costs(*args)
    np.testing.assert_array_equal(got, designer_costs_ref(*args))
    assert np.all(got >= c["costs"][c["des"]])  # a designer pays at least its own stage
