"""The arrival kernels against their reference twins, and against the arrivals they stand for."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosim import load_scenario
from ecosim.core.rng import Streams
from ecosim.core.units import DAYS_PER_YEAR
from ecosim.kernels import arrivals
from ecosim.kernels.arrivals import (
    arrival_times,
    arrival_times_ref,
    block_fields,
    block_fields_ref,
    cut_lanes,
    cut_lanes_ref,
    demand_exponents,
    demand_exponents_ref,
    demand_parts,
    demand_parts_ref,
)
from ecosim.kernels.jobs import N_PRIO
from ecosim.world.build import build_world
from ecosim.world.jobs import BLOCK_DAYS, JobSource
from ecosim.world.workloads import INFERENCE, WORKLOADS, lane_demand, profiles, share
from tests.conftest import SMALL
from tests.kernel_calls import calls_of


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


def _block_draws(
    seed: int, rate: float, n_prio: int = 3
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A block's draws as a source makes them: counts, within, the Pareto factor, the
    durations' spread, the priority draws and cumulative priority shares."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(rate, size=32)
    n = int(counts.sum())
    within = rng.random(n)
    # zero draws now and then: an infinite Pareto factor, capped
    with np.errstate(divide="ignore"):
        grown = np.where(rng.random(n) < 0.02, 0.0, rng.random(n)) ** (-1.0 / 1.3)
    spread = np.exp(1.2 * rng.standard_normal(n))
    u_prio = rng.random(n)
    cum = np.cumsum(rng.dirichlet(np.ones(n_prio)))
    return counts, within, grown, spread, u_prio, cum


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rate=st.sampled_from([0.0, 0.3, 5.0, 40.0]),
    t0=st.sampled_from([-96.0, -1.0, 0.0, 3.5, 1184.0, 3e5]),
    cap=st.sampled_from([1e-4, 0.05, np.inf]),
    patience=st.sampled_from([0.5, np.inf]),
)
def test_block_kernels_equal_their_twins(
    seed: int, rate: float, t0: float, cap: float, patience: float
) -> None:
    counts, within, grown, spread, u_prio, cum = _block_draws(seed, rate)
    times = arrival_times(counts, within, t0)
    np.testing.assert_array_equal(times, arrival_times_ref(counts, within, t0))
    times.sort()
    assert np.all(np.diff(times) >= 0)
    demand = 1e3 * (1.0 + np.abs(times) / 365.0)
    args = (times, grown, 3e-4, cap, demand, 2.5, spread, u_prio, cum, 3, patience, 17)
    real, ints = block_fields(*args)
    want_real, want_ints = block_fields_ref(*args)
    np.testing.assert_array_equal(real, want_real)
    np.testing.assert_array_equal(ints, want_ints)
    assert real.dtype == want_real.dtype and ints.dtype == want_ints.dtype


def test_priority_draws_on_the_shares_edges() -> None:
    # a draw equal to a cumulative share goes to the next priority, as numpy's search on the
    # right does; one at or past the last share takes the highest
    cum = np.array([0.5, 0.9, 1.0])
    u = np.array([0.0, 0.5, 0.7, 0.9, 0.95, 1.0])
    n = u.size
    one = np.ones(n)
    args = (np.arange(n, dtype=np.float64), one, 1.0, 2.0, one, 1.0, one, u, cum, 3, 1.0, 0)
    np.testing.assert_array_equal(block_fields(*args)[1][0], [0, 1, 1, 2, 2, 2])
    np.testing.assert_array_equal(block_fields_ref(*args)[1][0], [0, 1, 1, 2, 2, 2])


def _draw_block_as_numpy_did(src: JobSource) -> tuple[np.ndarray, np.ndarray]:
    """A source's next block drawn with numpy alone, as it was before its kernels."""
    mix, rng = src.mix, src.rng
    t0 = src.generated_to
    counts = rng.poisson(src.rate, size=BLOCK_DAYS)
    n = int(counts.sum())
    day = np.repeat(np.arange(BLOCK_DAYS, dtype=np.float64), counts)
    within = rng.random(n)
    times = np.sort(t0 + day + within)
    u_size = rng.random(n)
    share = np.minimum(src.xm * u_size ** (-1.0 / mix.size_pareto_alpha), mix.max_job_share)
    dur = mix.duration_median_days * np.exp(mix.duration_sigma * rng.standard_normal(n))
    prio = np.searchsorted(src.priority_cum, rng.random(n), side="right")
    prio = np.minimum(prio, N_PRIO - 1).astype(np.int64)
    real = np.stack([times, share * src.demand_at(times), dur, np.full(n, mix.patience_days)])
    ints = np.stack([prio, src.next_id + np.arange(n, dtype=np.int64)])
    src.next_id += n
    src.generated_to = t0 + BLOCK_DAYS
    return real, ints


@pytest.mark.parametrize("workload", WORKLOADS)
def test_a_run_s_blocks_are_those_numpy_drew(workload: str) -> None:
    # the sources of tests/scenarios/small.yaml, with their lanes' demand
    s = load_scenario(SMALL).scenario
    w = build_world(s, Streams(s.seed))
    k = WORKLOADS.index(workload)
    mix = s.uncertainties.jobs

    def source(r: int) -> JobSource:
        return JobSource(
            Streams(s.seed).get(f"jobs/{r}/{workload}"),
            profiles(s)[k],
            lambda t: lane_demand(w, r, k, t),
            mix.priority_shares,
            -float(mix.warm_up_days),
            mix.arrivals_scale,
        )

    for r in range(w.n_regions):
        fast, ref = source(r), source(r)
        for _ in range(5):
            real, ints = fast.draw_block()
            want_real, want_ints = _draw_block_as_numpy_did(ref)
            np.testing.assert_array_equal(real, want_real)
            np.testing.assert_array_equal(ints, want_ints)
        assert fast.next_id == ref.next_id > 0


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(a.view(np.uint64), b.view(np.uint64))


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.sampled_from([0, 1, 7, 300]),
    start=st.sampled_from([-96.0, 0.0, 1184.0]),
    deployed=st.sampled_from([0.0, 0.35, 1.0]),
    max_share=st.sampled_from([0.1, 0.6, 1.0]),
    inference=st.booleans(),
)
def test_demand_kernels_equal_their_twins(
    seed: int, n: int, start: float, deployed: float, max_share: float, inference: bool
) -> None:
    rng = np.random.default_rng(seed)
    t = np.sort(start + rng.uniform(0.0, 32.0, n))
    tau, adoption = float(rng.uniform(0.5, 6.0)), float(rng.uniform(0.5, 6.0))
    exps = demand_exponents(t, DAYS_PER_YEAR, tau, adoption)
    assert _same_bits(exps, demand_exponents_ref(t, DAYS_PER_YEAR, tau, adoption))
    decay = np.exp(exps)
    args = (
        t,
        decay,
        DAYS_PER_YEAR,
        float(rng.uniform(0.0, 0.4)),
        float(rng.uniform(-1.0, 3.0)),
        0.3,
        float(rng.uniform(-0.3, 0.5)),
        deployed,
        max_share,
        inference,
        float(rng.uniform(0.0, 1.0)),
    )
    assert _same_bits(demand_parts(*args), demand_parts_ref(*args))


def test_demand_kernels_equal_their_twins_on_a_run_s_calls() -> None:
    calls = calls_of(arrivals, ["demand_exponents", "demand_parts"], ["horizon_years=0.3"])
    assert calls["demand_exponents"] and calls["demand_parts"]
    for args in calls["demand_exponents"]:
        assert _same_bits(demand_exponents(*args), demand_exponents_ref(*args))
    for args in calls["demand_parts"]:
        assert _same_bits(demand_parts(*args), demand_parts_ref(*args))


@pytest.mark.parametrize("deployed", [None, 0.0, 1.0, 0.7])
def test_lane_demand_is_region_demand_times_share_to_the_bit(deployed: float | None) -> None:
    # the arithmetic of World.region_demand and workloads.share, which lane_demand does in
    # its kernels: the same bits at a run's arrival times, whatever the deployed share
    s = load_scenario(SMALL).scenario
    w = build_world(s, Streams(s.seed))
    if deployed is not None:
        w.params.own_models[:] = deployed
        w.params.open_models[:] = 0.0
    rng = np.random.default_rng(3)
    for r in range(w.n_regions):
        for k in range(len(WORKLOADS)):
            t = np.sort(rng.uniform(-30.0, 3700.0, 400))
            want = np.asarray(w.region_demand(r, t) * share(w, r, k, t))
            assert _same_bits(lane_demand(w, r, k, t), want)
    t0 = np.array(12.5)
    assert _same_bits(
        lane_demand(w, 0, INFERENCE, t0), w.region_demand(0, t0) * share(w, 0, INFERENCE, t0)
    )
