"""Each layer's service follows its own state (the five-layer model)."""

from __future__ import annotations

import numpy as np
import pytest

from ecosim import load_scenario
from ecosim.core.rng import Streams
from ecosim.scenario.models import LAYERS
from ecosim.world import capability, layers, talent
from ecosim.world.build import build_world
from ecosim.world.shocks import impose_active, make_shock
from ecosim.world.state import World
from tests.conftest import SMALL

MODELS, COMPUTE = LAYERS.index("models"), LAYERS.index("compute")


def _world(*overrides: str) -> World:
    s = load_scenario(SMALL, list(overrides)).scenario
    return build_world(s, Streams(s.seed))


def _cut_us_providers(w: World, region: str) -> None:
    r = w.region_index(region)
    for p in range(len(w.providers)):
        if w.prov_home[p] == w.region_index("US"):
            w.can_stay[r, p] = 0


def test_losing_foreign_held_data_lowers_data_service_unless_replicated() -> None:
    plain = _world()
    before = layers.data_service(plain)[plain.region_index("TW")]
    _cut_us_providers(plain, "TW")
    after = layers.data_service(plain)[plain.region_index("TW")]
    assert after < before - 0.1
    replicated = _world("regions.TW.data.replica_share=1.0")
    ref = layers.data_service(replicated)[replicated.region_index("TW")]
    _cut_us_providers(replicated, "TW")
    assert layers.data_service(replicated)[replicated.region_index("TW")] == pytest.approx(ref)


def test_data_locations_sum_to_one_and_follow_presence() -> None:
    w = _world()
    loc = layers.data_location(w)
    np.testing.assert_allclose(loc.sum(axis=1), 1.0)
    assert np.all(loc >= 0)
    tw = w.region_index("TW")
    assert loc[tw, layers.DATA_LOCATIONS.index("foreign_provider")] > 0.3
    # take the US providers out of Taiwan: that data is now held abroad
    w.prov_present[tw, w.prov_home != tw] = False
    assert layers.data_location(w)[tw, layers.DATA_LOCATIONS.index("abroad")] > 0.3


def test_a_sovereign_offering_lowers_but_does_not_remove_exposure() -> None:
    plain = _world()
    sovereign = _world(
        "suppliers.aws.sovereign_regions=[TW]",
        "suppliers.azure.sovereign_regions=[TW]",
        "suppliers.gcp.sovereign_regions=[TW]",
        "suppliers.oracle.sovereign_regions=[TW]",
    )
    data = LAYERS.index("data")
    tw = plain.region_index("TW")
    a = layers.exposure(plain)[tw, data]
    b = layers.exposure(sovereign)[tw, data]
    assert 0.0 < b < a
    assert layers.exposure(plain)[plain.region_index("US"), data] == 0.0


def _porting_after(open_share: float, days: float) -> float:
    w = _world(
        f"regions.CN.levers.open_stack_share={open_share}",
        "shocks=[{id: s, type: export_control, imposers: [US], targets: [CN], goods: [stack],"
        " start: 2025-02-01, duration: {kind: permanent}}]",
    )
    shock = make_shock(w.scenario.shocks[0])
    impose_active(w, [shock], 0.0)
    shock.on_start(w, 0.0)
    layers.step_porting(w, days)
    return float(layers.software_service(w)[w.region_index("CN")])


def test_open_stacks_recover_software_faster_after_a_vendor_loss() -> None:
    assert _porting_after(0.1, 0.0) < _porting_after(0.7, 0.0)  # less to port
    assert _porting_after(0.1, 90.0) < _porting_after(0.7, 90.0)
    gap_closed_low = _porting_after(0.1, 90.0) - _porting_after(0.1, 0.0)
    lost_low = 1.0 - _porting_after(0.1, 0.0)
    gap_closed_high = _porting_after(0.7, 90.0) - _porting_after(0.7, 0.0)
    lost_high = 1.0 - _porting_after(0.7, 0.0)
    assert gap_closed_high / lost_high > gap_closed_low / lost_low  # and ports faster


def test_open_weights_keep_models_available_while_the_frontier_moves_away() -> None:
    w = _world(
        "regions.TW.models.own_share=0.2",
        "regions.TW.models.open_weights_share=0.7",
        "regions.TW.models.foreign_api_share=0.1",
    )
    tw = w.region_index("TW")
    w.own_lag[:] = 0.0
    near = layers.models_service(w, 0.0)[tw]
    w.own_lag[:] = 200.0  # own models far behind: no longer useful
    far = layers.models_service(w, 0.0)[tw]
    assert far < near
    assert far >= 0.7  # the open weights held locally still serve


def test_direct_models_service_does_not_take_the_compute_loss_again() -> None:
    # Own models need own compute through the coupling matrix; if the direct path applied the
    # compute loss as well, the models column would move with compute here.
    w = _world()
    full = layers.direct_service(w, 0.0, np.ones(w.n_regions))
    half = layers.direct_service(w, 0.0, np.full(w.n_regions, 0.5))
    np.testing.assert_array_equal(full[:, MODELS], half[:, MODELS])
    assert np.all(half[:, COMPUTE] == 0.5)


def _talent_after(days: int, **pay: float) -> np.ndarray:
    overrides = [f"regions.{r}.operations.pay_index={v}" for r, v in pay.items()]
    w = _world(*overrides)
    capacity = w.own_cap + 1.0
    for day in range(days):
        talent.step_talent(w, float(day), 1.0, capacity)
    return w.talent.copy()


def test_higher_pay_draws_talent_over_years_not_days() -> None:
    tw = 2  # US, CN, TW

    def gain(days: int) -> float:
        return float(_talent_after(days, TW=1.5)[tw] / _talent_after(days)[tw] - 1.0)

    day, month, years = gain(1), gain(30), gain(3 * 365)
    assert 0.0 < day < 0.002
    assert month < 0.05
    assert years > 0.2
    assert years > 10 * month


def test_more_compute_per_researcher_draws_talent() -> None:
    w = _world()
    a = w.talent.copy()
    rich = w.own_cap.copy()
    rich[2] *= 50.0
    for day in range(3 * 365):
        talent.step_talent(w, float(day), 1.0, rich)
    v = _world()
    for day in range(3 * 365):
        talent.step_talent(v, float(day), 1.0, v.own_cap)
    assert w.talent[2] > v.talent[2] > 0 and a[2] > 0


def test_largest_run_grows_with_a_bigger_site_not_with_more_sites() -> None:
    w = _world()
    us = w.region_index("US")
    base = capability.largest_run(w, 1.0)[us]
    spread = _world()
    for _ in range(10):
        spread.add_site(us, 50_000.0, 0.5, 1e9, 50_000.0)
    assert capability.largest_run(spread, 1.0)[us] == base
    big = _world()
    big.add_site(us, 500_000.0, 0.5, 1e9, 50_000.0)
    assert capability.largest_run(big, 1.0)[us] > base


def test_frontier_lag_is_zero_for_the_leader_and_grows_for_the_rest() -> None:
    w = _world()
    capability.update_frontier(w, 0.0)
    lag0 = w.own_lag.copy()
    us = w.region_index("US")
    w.add_site(us, 5e6, 100.0, 1e9, 50_000.0)
    capability.update_frontier(w, 200.0)
    assert w.own_lag[us] == 0.0
    others = [r for r in range(w.n_regions) if r != us]
    assert np.all(w.own_lag[others] > lag0[others])


def test_the_frontier_lag_is_a_gap_in_capability_not_in_calendar_time() -> None:
    """A region's lag is its gap to the frontier in doublings at the historical pace: it does
    not grow while no run does (the time since the frontier was that size would: a month
    every month), and a tenth of the frontier is log2(10) doublings behind."""
    w = _world()
    capability.update_frontier(w, 0.0)
    start = w.own_lag.copy()
    capability.update_frontier(w, 365.0)
    np.testing.assert_array_equal(w.own_lag, start)
    c = w.scenario.uncertainties.capability
    runs = capability.largest_run_multisite(w, 365.0)
    frontier = max(float(runs.max()), c.frontier_flop_start)
    np.testing.assert_allclose(
        w.own_lag, np.log2(frontier / runs) * c.frontier_doubling_months, rtol=1e-12
    )
    tenth = capability.frontier_lag(w, 365.0, np.array([frontier / 10.0, frontier]))
    np.testing.assert_allclose(tenth, [np.log2(10.0) * c.frontier_doubling_months, 0.0])
    # the frontier is never below the largest run asked about: a run above it leads, at 0
    above = capability.frontier_lag(w, 365.0, np.array([frontier, 2.0 * frontier]))
    np.testing.assert_allclose(above, [c.frontier_doubling_months, 0.0])


def test_direct_service_is_the_layers_numpy_services_to_the_bit() -> None:
    w = _world()
    rng = np.random.default_rng(7)
    n, n_p = w.n_regions, len(w.providers)
    service = rng.uniform(0.5, 1.0, n)
    np.testing.assert_array_equal(
        layers.direct_service(w, w.t, service), layers.direct_service_ref(w, w.t, service)
    )
    # a disturbed world: withdrawals, rulings, compulsions, partners, lags and a backlog
    _cut_us_providers(w, "TW")
    w.transfer_blocked[:] = rng.random((n, n_p)) < 0.3
    w.compromised[:] = rng.random((n, n_p)) * (rng.random((n, n_p)) < 0.3)
    w.displaced_share[:] = rng.uniform(0.0, 0.2, n)
    w.alliance[:] = rng.random((n, n)) < 0.6
    w.alliance_scope[:] = True
    w.own_lag = rng.uniform(0.0, 30.0, n)
    w.open_lag = rng.uniform(0.0, 30.0, n)
    w.porting_backlog[:] = rng.uniform(0.0, 0.5, n)
    w.talent = w.talent * 0.5
    np.testing.assert_array_equal(
        layers.direct_service(w, w.t, service), layers.direct_service_ref(w, w.t, service)
    )
