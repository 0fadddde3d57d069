"""The layer kernels against their numpy twins, to the bit: on the inputs a run of the small
scenario hands them, and on random worlds of fewer and more than eight providers (numpy sums
a row of eight or more pairwise)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ecosim
from ecosim.kernels import layers as kernels
from ecosim.world import step as world_step
from tests.kernel_calls import calls_of

ROOT = Path(__file__).resolve().parents[2]
#: The kernels a step calls (the migration's is called inside step_talent's)
KERNELS = (
    "layer_services",
    "staff_ratio",
    "staff_need",
    "sufficiency",
    "move_models",
    "talent_terms",
    "step_talent",
    "porting_exponent",
    "move_portable",
)


def _equal(got: Any, want: Any) -> None:
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)
    else:
        np.testing.assert_array_equal(got, want)


#: The coupling's kernels, called from ecosim.world.coupling
COUPLING_KERNELS = ("coupling_target", "coupling_relax")


@pytest.fixture(scope="module")
def captured() -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    """The arguments of each kernel's calls in a short run of the small scenario (and twin)."""
    calls: dict[str, list[tuple[Any, ...]]] = {name: [] for name in KERNELS}

    def spy(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def called(*args: Any) -> Any:
            if len(calls[name]) < 400:
                calls[name].append(copy.deepcopy(args))
            return fn(*args)

        return called

    with pytest.MonkeyPatch.context() as mp:
        for name in KERNELS:
            mp.setattr(kernels, name, spy(name, getattr(kernels, name)))
        # the step's kernels called one by one, as its reference twin calls them
        mp.setattr(world_step, "COMPILED", False)
        scenario = ecosim.load_scenario(ROOT / "tests/scenarios/small.yaml", ["horizon_years=0.5"])
        ecosim.simulate(scenario)
    yield calls


@pytest.mark.parametrize("name", KERNELS)
def test_kernel_equals_its_twin_on_a_run_s_inputs(
    captured: dict[str, list[tuple[Any, ...]]], name: str
) -> None:
    calls = captured[name]
    assert calls, f"the run never called {name}"
    fast, ref = getattr(kernels, name), getattr(kernels, f"{name}_ref")
    for args in calls:
        _equal(fast(*args), ref(*args))


def _layer_args(seed: int, n_r: int, n_p: int) -> tuple[Any, ...]:
    rng = np.random.default_rng(seed)
    shares = rng.exponential(1.0, (n_r, n_p + 1)) * (rng.random((n_r, n_p + 1)) > 0.2)
    shares /= np.maximum(shares.sum(axis=1, keepdims=True), 1e-12)

    def some(shape: tuple[int, ...], p: float) -> np.ndarray:
        return np.asarray(rng.random(shape) < p)

    def frac(shape: tuple[int, ...], zero: float = 0.3) -> np.ndarray:
        return np.asarray(rng.random(shape) * (rng.random(shape) > zero))

    r = (n_r,)
    return (
        rng.uniform(0.0, 1.2, n_r),  # compute service, sometimes above one: clipped
        shares,
        rng.integers(0, n_r, n_p).astype(np.int64),
        some((n_r, n_p), 0.4),
        (rng.random((n_r, n_p)) > 0.2).astype(np.uint8),
        some((n_r, n_p), 0.2),
        frac((n_r, n_p), 0.7),
        frac(r, 0.5),
        some((n_r, n_r), 0.3),
        some((n_r, n_r), 0.3),
        frac(r),  # own_infra
        frac(r),  # multi_cloud
        frac(r),  # replica
        frac(r),  # must_stay_local
        frac(r),  # mirror
        frac(r),  # managed_foreign
        1.0 - frac(r, 0.7),  # own_available
        frac(r, 0.6),  # porting_backlog
        frac(r, 0.6),  # federated share
        rng.uniform(0.0, 40.0, n_r),
        rng.uniform(0.0, 40.0, n_r),
        rng.uniform(0.0, 40.0, n_r),
        rng.dirichlet(np.ones(3), n_r),
        1.0 - frac(r, 0.6),  # open_access
        1.0 - frac(r, 0.6),  # api_access
        rng.uniform(0.0, 1.0, n_r),
        float(rng.uniform(3.0, 30.0)),
        float(rng.uniform(0.0, 1.0)),
    )


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_r=st.integers(1, 12), n_p=st.integers(1, 26))
def test_layer_services_equal_their_twin(seed: int, n_r: int, n_p: int) -> None:
    args = _layer_args(seed, n_r, n_p)
    got = kernels.layer_services(*args)
    _equal(got, kernels.layer_services_ref(*args))
    assert np.all((got >= 0.0) & (got <= 1.0))


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_r=st.integers(1, 12))
def test_staff_kernels_equal_their_twins(seed: int, n_r: int) -> None:
    rng = np.random.default_rng(seed)
    own0 = rng.uniform(0.0, 5e4, n_r) * (rng.random(n_r) > 0.2)
    ratio_args = (
        rng.uniform(0.0, 8e4, n_r),
        rng.uniform(0.0, 1e4, n_r) * (rng.random(n_r) > 0.5),
        rng.uniform(0.0, 1.0, n_r),
        own0,
    )
    ratio = kernels.staff_ratio(*ratio_args)
    _equal(ratio, kernels.staff_ratio_ref(*ratio_args))
    need_args = (
        ratio**0.6,
        rng.uniform(0.0, 5.0, n_r),
        own0,
        rng.dirichlet(np.ones(3), n_r),
        rng.uniform(0.0, 0.5, n_r),
        rng.uniform(0.0, 2e3, n_r),
        rng.uniform(0.0, 500.0, n_r) * (rng.random(n_r) > 0.5),
    )
    ops, models = kernels.staff_need(*need_args)
    _equal((ops, models), kernels.staff_need_ref(*need_args))
    needed = (ops + models) * (rng.random(n_r) > 0.2)
    suff_args = (needed, rng.uniform(0.0, 3e3, n_r), rng.uniform(0.0, 200.0, n_r))
    _equal(kernels.sufficiency(*suff_args), kernels.sufficiency_ref(*suff_args))


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_r=st.integers(1, 20))
def test_migration_equals_its_twin(seed: int, n_r: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.normal(0.0, 1.0, n_r)
    talent = rng.uniform(-10.0, 5e4, n_r)  # a stock may be read below zero: clipped
    rate = float(rng.uniform(0.0, 0.01))
    _equal(kernels.migration(a, talent, rate), kernels.migration_ref(a, talent, rate))


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_r=st.integers(1, 12), dt=st.floats(1e-3, 400.0))
def test_move_models_equals_its_twin(seed: int, n_r: int, dt: float) -> None:
    rng = np.random.default_rng(seed)
    args = (
        rng.uniform(0.0, 30.0, n_r),
        rng.uniform(0.0, 1.0, n_r) * (rng.random(n_r) > 0.5),
        (dt, 12.0, 365.25),
        rng.dirichlet(np.ones(3), n_r),
        rng.uniform(0.0, 0.6, n_r),
        rng.uniform(0.0, 0.8, n_r) * (rng.random(n_r) > 0.5),
        np.exp(-rng.uniform(0.0, 3.0, n_r)),
        rng.uniform(0.0, 1.0, n_r) * (rng.random(n_r) > 0.5),
        np.exp(-rng.uniform(0.0, 3.0, n_r)),
    )
    lag, mix = kernels.move_models(*args)
    _equal((lag, mix), kernels.move_models_ref(*args))
    np.testing.assert_allclose(mix.sum(axis=1), 1.0)


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_r=st.integers(1, 20), dt=st.floats(1e-3, 400.0))
def test_step_talent_equals_its_twin(seed: int, n_r: int, dt: float) -> None:
    rng = np.random.default_rng(seed)
    pull = (
        np.log(rng.uniform(0.2, 1.5, n_r)),
        rng.normal(0.0, 1.0, n_r),
        float(rng.uniform(0.0, 2.0)),
        float(rng.uniform(0.0, 2.0)),
    )
    intake = (
        rng.uniform(0.0, 2e3, n_r),
        rng.uniform(0.0, 0.5, n_r) * (rng.random(n_r) > 0.5),
        np.exp(rng.uniform(-0.5, 0.5, n_r)),
        rng.integers(0, 4, n_r).astype(np.float64) * (rng.random(n_r) > 0.7),
        float(rng.uniform(0.0, 100.0)),
    )
    args = (
        rng.uniform(0.0, 5e4, n_r),
        pull,
        float(rng.uniform(0.0, 0.01)),
        intake,
        np.exp(-rng.uniform(0.0, 0.2, n_r)),
        dt,
        365.25,
    )
    _equal(kernels.step_talent(*args), kernels.step_talent_ref(*args))


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_r=st.integers(1, 20),
    t0=st.floats(-400.0, 1e4),
    dt=st.floats(1e-3, 400.0),
)
def test_talent_terms_equal_their_twin(seed: int, n_r: int, t0: float, dt: float) -> None:
    rng = np.random.default_rng(seed)
    args = (
        rng.uniform(0.0, 1e6, n_r) * (rng.random(n_r) > 0.2),  # no capacity: 1e-9 per head
        rng.uniform(-10.0, 5e4, n_r),  # a stock below one specialist counts as one
        t0,
        rng.uniform(0.0, 8.0, n_r),
        rng.normal(0.0, 0.1, n_r),
        rng.uniform(0.0, 0.2, n_r) * (rng.random(n_r) > 0.2),
        dt,
        365.25,
    )
    _equal(kernels.talent_terms(*args), kernels.talent_terms_ref(*args))


@pytest.fixture(scope="module")
def coupling_calls() -> dict[str, list[tuple[Any, ...]]]:
    """The arguments of the coupling kernels' calls in a run of the small scenario (and twin)."""
    return calls_of(kernels, COUPLING_KERNELS, ["horizon_years=0.5"])


@pytest.mark.parametrize("name", COUPLING_KERNELS)
def test_coupling_kernel_equals_its_twin_on_a_run_s_inputs(
    coupling_calls: dict[str, list[tuple[Any, ...]]], name: str
) -> None:
    calls = coupling_calls[name]
    assert calls, f"the run never called {name}"
    fast, ref = getattr(kernels, name), getattr(kernels, f"{name}_ref")
    for args in calls:
        _equal(fast(*args), ref(*args))


#: Values where a clip's edges show: signed zeros, the bounds, just beyond them, NaN
_EDGES = np.array([-0.0, 0.0, 1.0, -1e-300, 1.0 + 2e-16, np.nan, np.inf, -np.inf, 0.5])


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_r=st.integers(1, 12), n_l=st.integers(1, 6))
def test_coupling_kernels_equal_their_twins(seed: int, n_r: int, n_l: int) -> None:
    rng = np.random.default_rng(seed)
    shape = (n_r, n_l)
    x = rng.uniform(-0.3, 1.3, shape)
    edge = rng.random(shape) < 0.2
    x[edge] = rng.choice(_EDGES, int(edge.sum()))
    q = rng.uniform(0.0, 1.0, shape)
    _equal(kernels.coupling_target(x, q), kernels.coupling_target_ref(x, q))
    moved = rng.uniform(-1.2, 1.2, shape)
    moved[edge] = rng.choice(_EDGES, int(edge.sum()))
    star = np.clip(x, 0.0, 1.0)
    _equal(kernels.coupling_relax(star, moved), kernels.coupling_relax_ref(star, moved))
    _equal(kernels.coupling_relax(-star, star), kernels.coupling_relax_ref(-star, star))


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_r=st.integers(1, 20), dt=st.floats(1e-3, 400.0))
def test_porting_kernels_equal_their_twins(seed: int, n_r: int, dt: float) -> None:
    rng = np.random.default_rng(seed)
    days = rng.uniform(0.0, 2000.0, n_r) * (rng.random(n_r) > 0.2)  # zero: 1e-9 days
    _equal(kernels.porting_exponent(days, dt), kernels.porting_exponent_ref(days, dt))
    args = (
        rng.uniform(0.0, 1.0, n_r),
        rng.uniform(0.0, 1.0, n_r) * (rng.random(n_r) > 0.3),
        np.exp(kernels.porting_exponent_ref(days, dt)),
    )
    _equal(kernels.move_portable(*args), kernels.move_portable_ref(*args))
