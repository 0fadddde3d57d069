"""The cloud kernels against their numpy twins, to the bit, on a run's inputs and random ones."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ecosim
from ecosim.kernels import cloud as kc
from ecosim.kernels.cloud import (
    cloud_need,
    cloud_need_ref,
    delivered,
    delivered_ref,
    receive,
    receive_ref,
    wanted,
    wanted_ref,
    workload_capacity,
    workload_capacity_ref,
    workload_shares,
    workload_shares_ref,
)

SMALL = "tests/scenarios/small.yaml"
KERNELS = (
    "wanted",
    "delivered",
    "receive",
    "workload_capacity",
    "workload_shares",
    "cloud_need",
)


@pytest.fixture(scope="module")
def captured() -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    """The arguments of the first calls a run of the small scenario makes to each kernel."""
    calls: dict[str, list[tuple[Any, ...]]] = {name: [] for name in KERNELS}
    originals = {name: getattr(kc, name) for name in KERNELS}

    def capturing(name: str) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            if len(calls[name]) < 300:
                calls[name].append(
                    tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
                )
            return originals[name](*args)

        return call

    with pytest.MonkeyPatch.context() as mp:
        for name in KERNELS:
            mp.setattr(kc, name, capturing(name))
        ecosim.simulate(ecosim.load_scenario(SMALL, ["horizon_years=0.5"]))
    for name in KERNELS:
        assert calls[name], f"the run made no call to {name}"
    yield calls


def test_workload_shares_on_a_run(captured: dict[str, list[tuple[Any, ...]]]) -> None:
    for args in captured["workload_shares"]:
        got, want = workload_shares(*args), workload_shares_ref(*args)
        assert got.tobytes() == want.tobytes()


def test_wanted_on_a_run(captured: dict[str, list[tuple[Any, ...]]]) -> None:
    for args in captured["wanted"]:
        np.testing.assert_array_equal(wanted(*args), wanted_ref(*args))


def test_delivered_on_a_run(captured: dict[str, list[tuple[Any, ...]]]) -> None:
    for args in captured["delivered"]:
        np.testing.assert_array_equal(delivered(*args), delivered_ref(*args))


def _same_bits(got: tuple[np.ndarray, ...], want: tuple[np.ndarray, ...]) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()


def test_cloud_need_on_a_run(captured: dict[str, list[tuple[Any, ...]]]) -> None:
    for args in captured["cloud_need"]:
        _same_bits(cloud_need(*args), cloud_need_ref(*args))


def test_cloud_need_reads_read_only_arrays(captured: dict[str, list[tuple[Any, ...]]]) -> None:
    """The own capacity a run hands over is the world's kept (read-only) array."""
    for args in captured["cloud_need"][:20]:
        held = tuple(a.copy() for a in args)
        for a in held:
            a.setflags(write=False)
        _same_bits(cloud_need(*held), cloud_need_ref(*args))


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_r=st.integers(0, 12))
def test_cloud_need_equals_its_twin(seed: int, n_r: int) -> None:
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0.0, 1e6, n_r) * (rng.random(n_r) < 0.9)
    own = demand * rng.uniform(0.0, 1.5, n_r) * (rng.random(n_r) < 0.8)
    args = (
        demand,
        rng.choice([1.0, 0.0, 1.3, 0.7], n_r),
        own,
        rng.choice([1.0, 0.5, 0.0], n_r),
        rng.uniform(0.0, 0.3, n_r),
    )
    # a NaN now and then, which numpy's maximum keeps
    if n_r and rng.random() < 0.2:
        args[0][int(rng.integers(0, n_r))] = np.nan
    _same_bits(cloud_need(*args), cloud_need_ref(*args))


def _received(fn: Callable[..., None], args: tuple[Any, ...]) -> np.ndarray:
    cap = args[0].copy()
    fn(cap, *args[1:])
    return cap


def test_receive_on_a_run(captured: dict[str, list[tuple[Any, ...]]]) -> None:
    for args in captured["receive"]:
        np.testing.assert_array_equal(_received(receive, args), _received(receive_ref, args))


def test_workload_capacity_on_a_run(captured: dict[str, list[tuple[Any, ...]]]) -> None:
    for args in captured["workload_capacity"]:
        np.testing.assert_array_equal(workload_capacity(*args), workload_capacity_ref(*args))


def _market(rng: np.random.Generator, n_r: int, n_p: int) -> dict[str, Any]:
    shares = rng.random((n_r, n_p + 1)) * (rng.random((n_r, n_p + 1)) < 0.7)
    shares[:, -1] += 1e-3  # no region without workload
    shares[0] = 0.0  # a region wholly on the outside option
    shares[0, -1] = 1.0
    shares /= shares.sum(axis=1, keepdims=True)
    can_join = (rng.random((n_r, n_p)) < 0.8).astype(np.uint8)
    can_join[-1] = 0  # a region no provider takes: its waiting work goes nowhere
    return {
        "shares": shares,
        "need": rng.uniform(0.0, 1e6, n_r) * (rng.random(n_r) < 0.9),
        "rest": float(rng.choice([0.0, 0.05, 0.3])),
        "can_join": can_join,
        "present": rng.random((n_r, n_p)) < 0.6,
        "headroom": rng.uniform(0.0, 0.3, n_p),
        "can_stay": (rng.random((n_r, n_p)) < 0.85).astype(np.uint8),
        "cap": rng.uniform(0.0, 2e5, (n_r, n_p)) * (rng.random((n_r, n_p)) < 0.9),
        "available": rng.choice([1.0, 0.5, 0.0], n_p, p=[0.8, 0.1, 0.1]),
    }


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_r=st.integers(1, 12), n_p=st.integers(0, 30))
def test_wanted_and_delivered_equal_their_twins(seed: int, n_r: int, n_p: int) -> None:
    m = _market(np.random.default_rng(seed), n_r, n_p)
    args = (m["shares"], m["need"], m["rest"], m["can_join"], m["present"], m["headroom"])
    np.testing.assert_array_equal(wanted(*args), wanted_ref(*args))
    args = (m["shares"], m["need"], m["can_stay"], m["cap"], m["available"])
    np.testing.assert_array_equal(delivered(*args), delivered_ref(*args))


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_r=st.integers(1, 12),
    n_p=st.integers(1, 20),
    quantity=st.sampled_from([0.0, 1.0, 1e3, 1e7]),
    wants_none=st.booleans(),
    restricted=st.booleans(),
)
def test_receive_equals_its_twin(
    seed: int, n_r: int, n_p: int, quantity: float, wants_none: bool, restricted: bool
) -> None:
    rng = np.random.default_rng(seed)
    m = _market(rng, n_r, n_p)
    want = wanted_ref(m["shares"], m["need"], m["rest"], m["can_join"], m["present"], m["headroom"])
    p = int(rng.integers(0, n_p))
    if wants_none:  # the left-over goes where the provider is present
        want[:, p] = 0.0
    # where a control keeps the chips out (0), lets a share in, or none binds (1)
    reach = rng.choice([1.0, 0.0, 0.3], n_r, p=[0.6, 0.2, 0.2]) if restricted else np.ones(n_r)
    args = (m["cap"], p, quantity, want, m["present"], reach)
    fast, ref = _received(receive, args), _received(receive_ref, args)
    np.testing.assert_array_equal(fast, ref)


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_p=st.integers(0, 25),
    short=st.floats(0.0, 1.5),
)
def test_workload_capacity_equals_its_twin(seed: int, n_p: int, short: float) -> None:
    rng = np.random.default_rng(seed)
    n_r, n_w = 9, 4
    demand = rng.uniform(0.0, 1e6, n_r)
    shares = rng.dirichlet(np.ones(n_w), n_r)
    cloud_cap = rng.uniform(0.0, 1e5, (n_r, n_p)) * (rng.random((n_r, n_p)) < 0.8)
    own = demand * short * rng.uniform(0.0, 1.0, n_r)
    stack = 1.0 - rng.uniform(0.0, 0.1, n_r)
    args = (
        own,
        cloud_cap,
        rng.uniform(0.0, 1e4, n_r) * (rng.random(n_r) < 0.3),
        stack * (1.0 - rng.uniform(0.0, 0.2, n_r)),
        stack,
        rng.random((n_r, n_p)) < 0.5,
        demand,
        shares,
        np.array([0.5, 1.0, 1.5, 2.0]),
        np.array([False, False, False, True]),
    )
    np.testing.assert_array_equal(workload_capacity(*args), workload_capacity_ref(*args))


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_r=st.integers(1, 12),
    n_t=st.integers(0, 4),
    intensity=st.floats(0.0, 3.0),
    max_share=st.floats(0.0, 1.0),
)
def test_workload_shares_equal_their_twin(
    seed: int, n_r: int, n_t: int, intensity: float, max_share: float
) -> None:
    rng = np.random.default_rng(seed)
    # model shares below zero and above one (clipped), and a NaN now and then
    own = rng.uniform(-0.3, 1.2, n_r)
    open_ = rng.uniform(-0.3, 1.2, n_r)
    own[rng.random(n_r) < 0.1] = np.nan
    split = rng.dirichlet(np.ones(max(n_t, 1)), n_r)[:, :n_t].copy()
    args = (own, open_, intensity, max_share, split)
    got, want = workload_shares(*args), workload_shares_ref(*args)
    assert got.shape == want.shape == (n_r, n_t + 1)
    assert got.tobytes() == want.tobytes()


def test_workload_shares_are_the_worlds_rule() -> None:
    """The twin is the rule :func:`ecosim.world.workloads.shares` states: inference's share is
    the deployed share (own models and open weights, clipped to [0, 1]) times the intensity,
    at most ``max_share``; training takes the rest by its split."""
    own = np.array([0.2, 0.9, -0.1])
    open_ = np.array([0.1, 0.4, 0.0])
    split = np.array([[0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [1.0, 0.0, 0.0]])
    out = workload_shares_ref(own, open_, 0.8, 0.7, split)
    inference = np.array([0.3 * 0.8, 0.7, 0.0])
    np.testing.assert_allclose(out[:, 3], inference)
    np.testing.assert_allclose(out[:, :3], (1.0 - inference)[:, None] * split)
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
