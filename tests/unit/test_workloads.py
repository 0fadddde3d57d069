"""Workload classes: shares, where each may run, who gets short capacity, and how the compute
layer's service is composed from theirs."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from ecosim import load_scenario
from ecosim.core.rng import Streams
from ecosim.world import workloads
from ecosim.world.build import build_world
from ecosim.world.jobs import JobFlow, JobSource
from ecosim.world.state import World
from ecosim.world.step import workload_capacity
from tests.conftest import SMALL

INF = workloads.INFERENCE
LOCAL = np.array([False, False, False, True])


def _world(*overrides: str) -> World:
    s = load_scenario(SMALL, list(overrides)).scenario
    return build_world(s, Streams(s.seed))


@pytest.mark.parametrize("day", [-60.0, 0.0, 400.0, 3650.0])
def test_shares_sum_to_one(day: float) -> None:
    w = _world()
    s = workloads.shares(w, day)
    assert s.shape == (w.n_regions, len(workloads.WORKLOADS))
    assert np.all(s >= 0.0)
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-12)


def test_inference_grows_with_time_and_with_the_models_a_region_deploys() -> None:
    w = _world()
    us = w.region_index("US")
    assert workloads.inference_share(w, us, 3650.0) > workloads.inference_share(w, us, 0.0)
    # the US runs 0.9 of its model use itself; bought from abroad as APIs, inference goes too
    more = _world("regions.US.models.own_share=0.2", "regions.US.models.foreign_api_share=0.6")
    ratio = workloads.inference_share(more, us, 0.0) / workloads.inference_share(w, us, 0.0)
    np.testing.assert_allclose(ratio, (0.2 + 0.2) / (0.7 + 0.2))
    # the lane demands add up to the region's demand at every day
    t = np.array([0.0, 100.0, 1000.0])
    lanes = sum(workloads.lane_demand(w, us, k, t) for k in range(len(workloads.WORKLOADS)))
    np.testing.assert_allclose(lanes, w.region_demand(us, t), rtol=1e-12)


def _alloc(total: float, local: float, need: list[float], weight: list[float]) -> np.ndarray:
    return workloads.allocate(
        np.array([total]), np.array([local]), np.array([need]), np.array(weight), LOCAL
    )[0]


def test_allocation_in_abundance_gives_every_workload_the_same_headroom() -> None:
    cap = _alloc(120.0, 80.0, [10.0, 20.0, 30.0, 40.0], [0.5, 1.0, 1.5, 2.0])
    np.testing.assert_allclose(cap.sum(), 120.0)
    np.testing.assert_allclose(cap / [10.0, 20.0, 30.0, 40.0], 1.2)


def test_short_capacity_is_rationed_by_weight() -> None:
    need = np.array([10.0, 20.0, 30.0, 40.0])
    # equal weights: everyone the same fraction
    cap = _alloc(70.0, 70.0, list(need), [1.0, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(cap, need * 0.7)
    # weights: the fraction of need is proportional to weight until a workload is served
    cap = _alloc(50.0, 50.0, list(need), [0.5, 1.0, 1.5, 2.0])
    np.testing.assert_allclose(cap.sum(), 50.0)
    frac = cap / need
    np.testing.assert_allclose(frac / [0.5, 1.0, 1.5, 2.0], frac[0] / 0.5)
    assert frac[0] > 0.0  # training never stops for inference
    # with more, the heaviest are served in full and the others share the rest: here
    # inference and fine-tuning, then 20 left for frontier and domain training at lam = 0.8
    cap = _alloc(90.0, 90.0, list(need), [0.5, 1.0, 1.5, 2.0])
    np.testing.assert_allclose(cap, [4.0, 16.0, 30.0, 40.0])


@pytest.mark.parametrize("seed", range(5))
def test_ration_matches_a_bisection(seed: int) -> None:
    rng = np.random.default_rng(seed)
    need = rng.uniform(0.0, 100.0, (6, 4))
    weight = rng.uniform(0.2, 3.0, 4)
    avail = need.sum(axis=1) * rng.uniform(0.05, 1.3, 6)
    got = workloads.ration(avail, need, weight)
    for r in range(6):
        if avail[r] >= need[r].sum():
            np.testing.assert_allclose(got[r], need[r])
            continue
        lo, hi = 0.0, 1.0 / weight.min()
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if np.minimum(need[r], mid * weight * need[r]).sum() < avail[r]:
                lo = mid
            else:
                hi = mid
        np.testing.assert_allclose(got[r], np.minimum(need[r], lo * weight * need[r]), rtol=1e-9)


def test_inference_runs_only_on_capacity_in_the_region() -> None:
    # plenty abroad, little at home: inference gets the home capacity and no more, the
    # training workloads run abroad
    cap = _alloc(200.0, 15.0, [10.0, 20.0, 30.0, 40.0], [0.5, 1.0, 1.5, 2.0])
    np.testing.assert_allclose(cap[INF], 15.0)
    np.testing.assert_allclose(cap.sum(), 200.0)
    np.testing.assert_allclose(cap[:INF] / [10.0, 20.0, 30.0], 185.0 / 60.0)
    # training takes capacity abroad first, leaving the region's to inference
    cap = _alloc(100.0, 40.0, [10.0, 20.0, 30.0, 40.0], [1.0, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(cap[INF], 40.0)
    np.testing.assert_allclose(cap[:INF], [10.0, 20.0, 30.0])


def test_world_inference_capacity_is_within_the_region() -> None:
    w = _world()
    us = w.region_index("US")
    w.prov_present[us, :] = False  # every provider abroad: only own sites are in the region
    w.borrowed[:] = 0.0
    cap = workload_capacity(w)
    overhead = w.scenario.uncertainties.levers.open_stack_overhead * w.params.open_stack[us]
    assert cap[us, INF] <= w.own_cap[us] * (1.0 - overhead) * (1.0 + 1e-12)
    total = (w.own_cap[us] + w.cloud_cap[us].sum()) * (1.0 - overhead)
    np.testing.assert_allclose(cap[us].sum(), total, rtol=1e-12)


def test_run_serves_inference_only_in_region(small_run: xr.Dataset) -> None:
    ds = small_run
    w = _world()  # which providers have data centres where, as the run had it
    here = w.prov_present[:, : len(w.providers)].astype(float)
    cloud_here = (ds.cloud_served.isel(provider=slice(0, len(w.providers))) * here).sum("provider")
    overhead = w.scenario.uncertainties.levers.open_stack_overhead * w.params.open_stack
    local = (ds.capacity_own + cloud_here) * xr.DataArray(1.0 - overhead, dims="region")
    inference = ds.workload_capacity.sel(workload="inference")
    assert bool((inference <= local * (1.0 + 1e-9) + 1e-6).all())
    np.testing.assert_allclose(ds.workload_demand.sum("workload"), ds.demand, rtol=1e-9)
    svc = ds.service_by_workload
    assert float(svc.min()) >= 0.0 and float(svc.max()) <= 1.0
    assert not bool(svc.isnull().any())


def test_compute_service_is_the_demand_weighted_mean_of_the_workloads() -> None:
    w = _world()
    prof = workloads.profiles(w.scenario)
    srcs = [
        JobSource(
            Streams(3).get(f"j{r}{k}"),
            prof[k],
            lambda t, r=r, k=k: workloads.lane_demand(w, r, k, t),
            (0.5, 0.4, 0.1),
        )
        for r in range(w.n_regions)
        for k in range(len(prof))
    ]
    flow = JobFlow(srcs, len(prof), 4096, 14.0)
    need = w.demand[:, None] * workloads.shares(w, 0.0)
    cap = need * np.array([0.5, 0.8, 1.1, 1.3])  # training short, inference ample
    for day in range(60):
        flow.advance(float(day), day + 1.0, cap)
    by_wl = flow.service_by_workload()
    q = flow.ema_requested.reshape(w.n_regions, -1)
    np.testing.assert_allclose(
        flow.compute_service(), (by_wl * q).sum(axis=1) / q.sum(axis=1), rtol=1e-12
    )
    assert np.all(by_wl[:, 0] < by_wl[:, INF])
