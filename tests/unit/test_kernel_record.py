"""The recorder's kernels (kernels/record.py) against their numpy twins, to the bit: on every
call a run of the small scenario makes, and on random inputs of the sizes the world hands
them compiled (the two that add into their arguments, the period's sums, leave every array
the same); and the memos beside them (the sites behind the largest runs, the foreign
stacks) against what they keep."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ecosim
from ecosim.core.rng import Streams
from ecosim.kernels import jobs as jk
from ecosim.kernels import record as kr
from ecosim.world import capability, layers, supply
from ecosim.world.build import build_world
from tests.kernel_calls import calls_of

SMALL = Path(__file__).resolve().parents[1] / "scenarios" / "small.yaml"
KERNELS = (
    "concentration",
    "exposure",
    "data_location",
    "capacity_by_region",
    "buyer_lead_times",
    "self_sufficiency_at",
    "committed_capex",
    "designer_dependence",
)
#: The kernels the recorder calls again only when their inputs changed: at the market's rounds
#: (the shares) and when a build starts (the committed capex), each call on new inputs.
KEPT = ("concentration", "data_location", "committed_capex")
#: The kernels that write into their arguments instead of returning.
IN_PLACE = ("add_step_flows", "close_job_period")
#: The kernels that return several arrays.
TUPLED = ("lead_time_readings",)


def _same(a: Any, b: Any) -> None:
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)
    assert np.array_equal(np.signbit(a), np.signbit(b))  # zeros' signs too


@pytest.fixture(scope="module")
def captured() -> dict[str, list[tuple[Any, ...]]]:
    """The arguments of every call of the kernels in a third of a year of the small run, with
    levers that move the exposure (multi-cloud, sovereign cloud, an open stack, federated
    training in Taiwan) and a sovereign offering that is not exposed."""
    levers = {
        "multi_cloud": 1.0,
        "sovereign_cloud_share": 0.3,
        "open_stack_share": 0.5,
        "federated_learning": 0.5,
    }
    overrides = [f"regions.TW.levers.{k}={v}" for k, v in levers.items()]
    return calls_of(kr, KERNELS + IN_PLACE + TUPLED, ["horizon_years=0.35", *overrides])


@pytest.mark.parametrize("name", KERNELS)
def test_kernels_equal_their_twins_on_a_run(
    captured: dict[str, list[tuple[Any, ...]]], name: str
) -> None:
    calls = captured[name]
    assert len(calls) > (2 if name in KEPT else 10)
    kernel, twin = getattr(kr, name), getattr(kr, f"{name}_ref")
    for args in calls:
        _same(kernel(*args), twin(*args))


@pytest.mark.parametrize("name", TUPLED)
def test_tupled_kernels_equal_their_twins_on_a_run(
    captured: dict[str, list[tuple[Any, ...]]], name: str
) -> None:
    calls = captured[name]
    assert len(calls) > 10
    kernel, twin = getattr(kr, name), getattr(kr, f"{name}_ref")
    for args in calls:
        got, want = kernel(*args), twin(*args)
        assert len(got) == len(want)
        for a, b in zip(got, want, strict=True):
            _same(a, b)


def test_lead_time_readings_are_the_supply_chain_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """At every sample of a run the recorder's four lead times in one call are what the world's
    functions give one by one: the designers' quotes, the goods' lead times and caps, and the
    buyers' lead times."""
    readings = supply.lead_time_readings
    seen: list[float] = []

    def checked(
        w: Any, possible: np.ndarray, cap: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        got = readings(w, possible, cap)
        quotes = supply.designer_lead_times(w, w.t, idle_at_cap=True)
        lead, capped = supply.lead_times(w, w.t, quotes)
        want = (quotes, lead, capped, supply.buyer_lead_times(w, quotes))
        for a, b in zip(got, want, strict=True):
            _same(a, b)
        seen.append(float(got[3].max()))
        return got

    monkeypatch.setattr(supply, "lead_time_readings", checked)
    ecosim.simulate(ecosim.load_scenario(SMALL, ["horizon_years=0.35"]))
    assert len(seen) > 100 and max(seen) > 0.0


def _same_in_place(name: str, args: tuple[Any, ...]) -> None:
    """The kernel ``name`` and its twin, each on its own copy of ``args``, leave every array
    the same to the bit."""
    got = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    want = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    assert getattr(kr, name)(*got) is None and getattr(kr, f"{name}_ref")(*want) is None
    for a, b in zip(got, want, strict=True):
        _same(a, b)


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_kernels_equal_their_twins_on_a_run(
    captured: dict[str, list[tuple[Any, ...]]], name: str
) -> None:
    calls = captured[name]
    assert len(calls) > 10
    for args in calls:
        _same_in_place(name, args)


def test_the_run_moves_what_is_recorded(captured: dict[str, list[tuple[Any, ...]]]) -> None:
    """The captured calls are not all zeros: the shares, exposure and capacities move."""
    last = captured["exposure"][-1]
    assert kr.exposure(*last).max() > 0.0
    assert kr.data_location(*captured["data_location"][-1])[:, 1:].max() > 0.0
    assert kr.concentration(*captured["concentration"][-1]).max() > 0.0
    assert kr.capacity_by_region(*captured["capacity_by_region"][-1]).max() > 0.0


def _shares(rng: np.random.Generator, n_r: int, n_p: int) -> np.ndarray:
    s = rng.uniform(0.0, 1.0, (n_r, n_p + 1)) * (rng.random((n_r, n_p + 1)) < 0.7)
    total = s.sum(axis=1, keepdims=True)
    return np.divide(s, total, out=np.zeros_like(s), where=total > 0)


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_r=st.integers(1, 12), n_p=st.integers(0, 40))
def test_concentration_equals_its_twin(seed: int, n_r: int, n_p: int) -> None:
    rng = np.random.default_rng(seed)
    shares = _shares(rng, n_r, n_p)
    tail = rng.random(n_p) < 0.2
    _same(kr.concentration(shares, tail), kr.concentration_ref(shares, tail))


def _exposure_args(seed: int, n_r: int, n_p: int) -> tuple[Any, ...]:
    rng = np.random.default_rng(seed)
    cloud_cap = rng.uniform(0.0, 1e5, (n_r, n_p)) * (rng.random((n_r, n_p)) < 0.6)
    return (
        _shares(rng, n_r, n_p),
        cloud_cap,
        rng.uniform(0.0, 1e5, n_r) * (rng.random(n_r) < 0.7),
        rng.choice([0.0, 0.15, 1.0], (n_r, n_p)),
        rng.integers(0, n_r, n_p),
        rng.uniform(0.0, 1.0, n_r),
        rng.random(n_r) < 0.5,
        rng.uniform(0.0, 1.0, n_r) * (rng.random(n_r) < 0.5),
        rng.dirichlet(np.ones(3), n_r),
        rng.choice([0.0, 1.0], n_r),
        rng.choice([0.0, 1.0], n_r),
        rng.uniform(0.0, 1.0, n_r),
    )


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_r=st.integers(1, 12), n_p=st.integers(0, 40))
def test_exposure_equals_its_twin(seed: int, n_r: int, n_p: int) -> None:
    args = _exposure_args(seed, n_r, n_p)
    _same(kr.exposure(*args), kr.exposure_ref(*args))


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_r=st.integers(1, 12), n_p=st.integers(0, 40))
def test_data_location_equals_its_twin(seed: int, n_r: int, n_p: int) -> None:
    rng = np.random.default_rng(seed)
    args = (
        _shares(rng, n_r, n_p),
        rng.integers(0, n_r, n_p),
        rng.random((n_r, n_p)) < 0.5,
        rng.uniform(0.0, 1.0, n_r),
    )
    _same(kr.data_location(*args), kr.data_location_ref(*args))


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_r=st.integers(1, 12), n_rows=st.integers(0, 60))
def test_capacity_by_region_equals_its_twin(seed: int, n_r: int, n_rows: int) -> None:
    rng = np.random.default_rng(seed)
    cap = rng.uniform(0.0, 1e4, n_rows) * (rng.random(n_rows) < 0.8)
    home = rng.integers(0, n_r, n_rows)
    rows = rng.permutation(n_rows).astype(np.int64)
    cuts = np.sort(rng.integers(0, n_rows + 1, 4))
    offsets = np.concatenate([[0], cuts, [n_rows]]).astype(np.int64)
    args = (cap, home, rows, offsets, n_r, 365.25)
    _same(kr.capacity_by_region(*args), kr.capacity_by_region_ref(*args))


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_r=st.integers(1, 12), n_d=st.integers(0, 7))
def test_buyer_lead_times_equal_their_twin(seed: int, n_r: int, n_d: int) -> None:
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.0, 1e5, (n_r, n_d)) * (rng.random((n_r, n_d)) < 0.6)
    per_designer = np.minimum(rng.uniform(30.0, 900.0, n_d), 730.0)
    _same(
        kr.buyer_lead_times(weights, per_designer, 730.0),
        kr.buyer_lead_times_ref(weights, per_designer, 730.0),
    )


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_r=st.integers(1, 12))
def test_self_sufficiency_equals_its_twin(seed: int, n_r: int) -> None:
    rng = np.random.default_rng(seed)
    cap = rng.uniform(0.0, 1e6, (5, n_r)) * (rng.random((5, n_r)) < 0.8)
    stages = np.array([0, 1, 2, 3], dtype=np.int64)
    bought = rng.uniform(0.0, 1e6, n_r) * (rng.random(n_r) < 0.8)
    _same(kr.self_sufficiency(cap, stages, bought), kr.self_sufficiency_ref(cap, stages, bought))


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_r=st.integers(1, 12))
def test_self_sufficiency_at_equals_its_twin(seed: int, n_r: int) -> None:
    rng = np.random.default_rng(seed)
    cap = rng.uniform(0.0, 1e6, (5, n_r)) * (rng.random((5, n_r)) < 0.8)
    stages = np.array([0, 1, 2, 3], dtype=np.int64)
    # demand that grows, holds or falls (none in some regions), lives of a few years
    now = rng.uniform(0.0, 1e6, n_r) * (rng.random(n_r) < 0.8)
    ahead = now * rng.choice([0.5, 1.0, 1.3], n_r)
    life = rng.uniform(3.0, 7.0, n_r)
    scale = float(rng.uniform(0.5, 3.0))
    args = (cap, stages, now, ahead, life, scale)
    _same(kr.self_sufficiency_at(*args), kr.self_sufficiency_at_ref(*args))


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_r=st.integers(1, 12),
    n_b=st.integers(0, 60),
    only=st.integers(-1, 3),
)
def test_committed_capex_equals_its_twin(seed: int, n_r: int, n_b: int, only: int) -> None:
    rng = np.random.default_rng(seed)
    n_rows = 30
    args = (
        rng.uniform(-100.0, 1000.0, n_b),
        rng.integers(0, 4, n_b),
        rng.integers(0, n_rows, n_b),
        rng.uniform(0.0, 1.0, n_b) * 10 ** rng.uniform(6, 11, n_b),
        rng.integers(0, n_r, n_rows),
        float(rng.uniform(0.0, 900.0)),
        only,
        n_r,
    )
    _same(kr.committed_capex(*args), kr.committed_capex_ref(*args))


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_r=st.integers(1, 12), n_d=st.integers(0, 7))
def test_designer_dependence_equals_its_twin(seed: int, n_r: int, n_d: int) -> None:
    rng = np.random.default_rng(seed)
    # some regions hold nothing (the fallback), some designers sell to none or in part
    fleet = rng.uniform(0.0, 1e6, (n_r, n_d)) * (rng.random((n_r, n_d)) < 0.6)
    fleet *= (rng.random(n_r) < 0.7)[:, None]
    sells = rng.choice([0.0, 0.5, 1.0], (n_d, n_r))
    _same(kr.designer_dependence(fleet, sells), kr.designer_dependence_ref(fleet, sells))


def test_designer_dependence_is_the_supply_chain_rule() -> None:
    """The recorder's compiled reading is supply.designer_dependence of the world it reads."""
    s = ecosim.load_scenario(SMALL).scenario
    w = build_world(s, Streams(s.seed))
    w.fleet_designer[0] = 0.0  # a region holding nothing yet
    w.fleet_designer[1:, 0] += 1e4
    _same(kr.designer_dependence(w.fleet_designer, w.sells), supply.designer_dependence(w))


def _flows(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Flows or sums: zeros of both signs among positive values."""
    values = rng.uniform(0.0, 1e4, shape) * (rng.random(shape) < 0.7)
    return np.where(rng.random(shape) < 0.1, -0.0, values)


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_r=st.integers(1, 12),
    n_w=st.integers(1, 5),
    n_d=st.integers(0, 7),
    n_m=st.integers(0, 9),
)
def test_add_step_flows_equals_its_twin(seed: int, n_r: int, n_w: int, n_d: int, n_m: int) -> None:
    rng = np.random.default_rng(seed)
    shapes = [(n_r, jk.N_OUT), (n_r, n_w, jk.N_OUT), (n_r,), (n_r, n_d), (n_r, n_m), (n_r,)]
    sums = [(n_r, jk.N_OUT), (n_r,), (n_r, n_w), (n_r, n_d), (n_r, n_m), (n_r,)]
    args = tuple(_flows(rng, shape) for shape in [*shapes, *sums])
    _same_in_place("add_step_flows", args)


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_r=st.integers(1, 12))
def test_close_job_period_equals_its_twin(seed: int, n_r: int) -> None:
    rng = np.random.default_rng(seed)
    arrivals = _flows(rng, (n_r,)) * rng.choice([1e-3, 1.0, 10.0], n_r)
    args = (_flows(rng, (n_r, jk.N_OUT)), arrivals, *(rng.random(n_r) for _ in range(5)))
    _same_in_place("close_job_period", args)


def test_memos_keep_what_they_compute() -> None:
    """The sites behind the largest runs and the foreign stacks, asked for again at the same
    state, are what a fresh world computes; a new site is seen."""
    scenario = ecosim.load_scenario(SMALL, ["horizon_years=0.1"]).scenario
    w = build_world(scenario, Streams(scenario.seed))
    fresh = build_world(scenario, Streams(scenario.seed))
    first = capability.largest_run_multisite(w, 0.0)
    _same(capability.largest_run_multisite(w, 0.0), first)
    _same(capability.largest_run_multisite(fresh, 0.0), first)
    _same(layers.exposure(w), layers.exposure(fresh))
    assert w.foreign_stack_memo.value is not fresh.foreign_stack_memo.value
    w.add_site(0, 1e6, 0.0, 1e9, 1.0)
    assert capability.largest_run(w, 0.0)[0] > first[0]
