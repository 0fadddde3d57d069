"""Federated and multi-site training, and what alliances share beyond compute.

Federated training (``federated_learning``) pays a communication overhead on the share of
training it covers, uses the training part of data that may not move, and trains runs larger
than one site, over a region's own sites and its federation partners'. Alliances share data
(within what rulings allow), models and specialists.
"""

from __future__ import annotations

import numpy as np
import pytest

from ecosim import load_scenario
from ecosim.core.rng import Streams
from ecosim.world import alliances, capability, costs, federated, layers, talent, workloads
from ecosim.world.build import build_world
from ecosim.world.shocks import impose_active, make_shock
from ecosim.world.state import World
from tests.conftest import SMALL

#: TW and the US list each other as partners, interoperable.
PARTNERS = (
    "regions.TW.levers.alliance=[US]",
    "regions.US.levers.alliance=[TW]",
    "regions.TW.levers.interoperability={US: 0.9}",
    "regions.US.levers.interoperability={TW: 0.9}",
)


def _world(*overrides: str) -> World:
    s = load_scenario(SMALL, list(overrides)).scenario
    return build_world(s, Streams(s.seed))


def _sites(w: World, region: str, t: float = 0.0) -> tuple[float, float]:
    """A region's live own capacity and its largest site at day ``t`` (H100e)."""
    reg, cap = w.live_sites(t)
    mine = cap[reg == w.region_index(region)]
    return float(mine.sum()), float(mine.max())


def _omega(w: World, key: str) -> float:
    return float(getattr(w.scenario.uncertainties.capability, key))


# ------------------------------------------------------------------ overhead and larger runs


def test_federated_training_pays_its_overhead_on_the_training_it_covers() -> None:
    plain = _world()
    fed = _world("regions.TW.levers.federated_learning=0.5")
    tw = fed.region_index("TW")
    np.testing.assert_array_equal(federated.capacity_factor(plain, 0.0), 1.0)
    train = float(workloads.training_share(fed, 0.0)[tw])
    assert 0.2 < train < 1.0
    omega = _omega(fed, "multisite_comm_overhead")
    assert omega == pytest.approx(1 / 0.96 - 1, abs=1e-3)  # INTELLECT-1 within the US
    share = 0.5 * train
    assert federated.compute_share(fed, 0.0)[tw] == pytest.approx(share)
    lost = share * omega / (1 + omega)
    assert federated.capacity_factor(fed, 0.0)[tw] == pytest.approx(1.0 - lost)
    # the lever's cost is that compute at what the region spends on compute
    own, cloud = costs.spend(fed)
    item = costs.LEVER_COST_ITEMS.index("federated_learning")
    assert costs.lever_costs(fed)[tw, item] == pytest.approx((own[tw] + cloud[tw]) * lost)
    assert costs.lever_costs(plain)[tw, item] == 0.0


def test_a_federated_run_spans_the_region_s_sites_at_the_overhead() -> None:
    plain = _world()
    us = plain.region_index("US")
    for _ in range(10):
        plain.add_site(us, 50_000.0, 0.5, 1e9, 50_000.0)
    one_site = capability.largest_run(plain, 1.0)[us]
    # without federated training a run fits one site, however many sites there are
    assert capability.largest_run_multisite(plain, 1.0)[us] == one_site
    fed = _world("regions.US.levers.federated_learning=0.5")
    for _ in range(10):
        fed.add_site(us, 50_000.0, 0.5, 1e9, 50_000.0)
    total, largest = _sites(fed, "US", 1.0)
    omega = _omega(fed, "multisite_comm_overhead")
    h100e = (largest + 0.5 * (total - largest)) / (1 + omega)
    run = capability.largest_run_multisite(fed, 1.0)[us]
    assert run == pytest.approx(capability.run_flop(fed, np.array([h100e]))[0])
    assert run > 1.5 * one_site
    # the frontier lag is the federated run's: the US leads, so another region's lag grows
    assert capability.frontier_lag(fed, 1.0)[us] == 0.0


def test_federated_training_shortens_the_frontier_lag_of_a_region_behind() -> None:
    setup = ("regions.TW.compute.largest_site_h100e=2000",)
    plain = _world(*setup)
    fed = _world(*setup, "regions.TW.levers.federated_learning=1.0")
    tw = plain.region_index("TW")
    lag_plain = capability.frontier_lag(plain, 0.0)[tw]
    lag_fed = capability.frontier_lag(fed, 0.0)[tw]
    assert lag_plain > 0.0
    assert lag_fed < lag_plain - 1.0


def test_allies_federate_one_run_across_regions_at_the_intercontinental_overhead() -> None:
    fed = ("regions.TW.levers.federated_learning=0.4", "regions.US.levers.federated_learning=0.2")
    w = _world(*PARTNERS, *fed)
    tw, us = w.region_index("TW"), w.region_index("US")
    assert alliances.federation(w)[tw, us] and alliances.federation(w)[us, tw]
    omega = _omega(w, "crossregion_comm_overhead")
    assert omega == pytest.approx(1 / 0.83 - 1, abs=1e-3)  # INTELLECT-1 over three continents
    assert federated.overhead(w)[tw] == omega
    tw_total, tw_largest = _sites(w, "TW")
    us_total, _ = _sites(w, "US")
    # TW's run: its largest site, 0.4 of its other sites, and the smaller share (0.2) of the
    # US's sites
    h100e = (tw_largest + 0.4 * (tw_total - tw_largest) + 0.2 * us_total) / (1 + omega)
    run = capability.largest_run_multisite(w, 0.0)[tw]
    assert run == pytest.approx(capability.run_flop(w, np.array([h100e]))[0])
    alone = _world(*fed)
    assert federated.overhead(alone)[tw] == _omega(alone, "multisite_comm_overhead")
    assert run > 10 * capability.largest_run_multisite(alone, 0.0)[tw]


@pytest.mark.parametrize(
    "change",
    [
        "regions.US.levers.interoperability={TW: 0.3}",  # stacks too far apart
        "regions.US.levers.alliance=[]",  # TW lists the US, the US does not list TW
        "regions.US.levers.alliance_sharing=[data, models, talent]",  # no compute shared
        "regions.US.levers.federated_learning=0.0",  # the US does not train federated
    ],
)
def test_a_partner_joins_a_run_only_if_both_federate_and_their_stacks_meet(change: str) -> None:
    fed = ("regions.TW.levers.federated_learning=0.4", "regions.US.levers.federated_learning=0.2")
    w = _world(*PARTNERS, *fed, change)
    tw = w.region_index("TW")
    assert not federated.joined(w)[tw].any()
    assert federated.overhead(w)[tw] == _omega(w, "multisite_comm_overhead")


# ------------------------------------------------------------------ data


#: A ruling makes TW's data held by US-jurisdiction providers unlawful to use.
RULING = (
    "shocks=[{id: ruling, type: data_transfer_ruling, regions: [TW], jurisdictions: [US],"
    " start: 2025-01-20, duration: {kind: permanent}}]"
)


def _ruled(w: World) -> None:
    """Impose the scenario's ruling on the world now."""
    impose_active(w, [make_shock(w.scenario.shocks[0], w.scenario)], w.t)


def test_federated_training_recovers_only_the_training_part_of_ruled_data() -> None:
    none = _world(RULING, "regions.TW.data.replica_share=0.0")
    full = _world(
        RULING, "regions.TW.data.replica_share=0.0", "regions.TW.levers.federated_learning=1"
    )
    tw = none.region_index("TW")
    before = layers.data_service(none)[tw]
    _ruled(none)
    _ruled(full)
    lost = before - layers.data_service(none)[tw]
    assert lost > 0.1
    train = float(workloads.training_share(full, full.t)[tw])
    # inference on data that may not move is not trained, so it stays lost
    recovered = layers.data_service(full)[tw] - layers.data_service(none)[tw]
    assert recovered == pytest.approx(lost * train)


def test_partners_sharing_data_hold_it_lawfully_until_a_ruling() -> None:
    def abroad(*overrides: str) -> World:
        w = _world(RULING, *PARTNERS, "regions.TW.data.replica_share=0.0", *overrides)
        tw = w.region_index("TW")
        w.prov_present[tw, w.prov_home != tw] = False  # US providers hold TW's data abroad
        return w

    alone = abroad("regions.TW.levers.alliance_sharing=[compute]")
    shared = abroad()
    tw = alone.region_index("TW")
    assert layers.data_service(shared)[tw] > layers.data_service(alone)[tw] + 0.05
    # a ruling against the partner's jurisdiction overrides the agreement
    _ruled(shared)
    _ruled(alone)
    assert layers.data_service(shared)[tw] == pytest.approx(layers.data_service(alone)[tw])


# ------------------------------------------------------------------ models and talent


def test_partners_sharing_models_use_the_newer_of_their_own_models() -> None:
    w = _world(*PARTNERS)
    tw, us = w.region_index("TW"), w.region_index("US")
    w.own_lag = np.array([0.0, 12.0, 30.0])
    assert layers.model_lags(w)[tw, 0] == 0.0
    assert layers.model_lags(w)[w.region_index("CN"), 0] == 12.0
    alone = _world(*PARTNERS, "regions.TW.levers.alliance_sharing=[compute, data, talent]")
    alone.own_lag = w.own_lag.copy()
    assert layers.model_lags(alone)[tw, 0] == 30.0
    assert layers.models_service(w, 0.0)[tw] >= layers.models_service(alone, 0.0)[tw]
    assert layers.model_lags(w)[us, 0] == 0.0


def test_partners_lend_specialists_from_their_surplus_only() -> None:
    short = "regions.TW.operations.staff_fte=30"
    w = _world(*PARTNERS, short)
    alone = _world(*PARTNERS, short, "regions.US.levers.alliance_sharing=[compute]")
    tw, us = w.region_index("TW"), w.region_index("US")
    ops, models = talent.staff_needed(w)
    need = ops + models
    assert w.talent[tw] < need[tw] and w.talent[us] > need[us]
    lent = talent.borrowed(w, need)
    share = w.scenario.uncertainties.levers.alliance_share
    offer = share * 0.9 * (w.talent[us] - need[us])
    assert lent[tw] == pytest.approx(min(need[tw] - w.talent[tw], offer))
    assert lent[us] == 0.0
    assert talent.sufficiency(w)[tw] > talent.sufficiency(alone)[tw]
    assert talent.sufficiency(w)[us] == talent.sufficiency(alone)[us]
    # what the region pays for them shows in the alliance's cost
    item = costs.LEVER_COST_ITEMS.index("alliance")
    fee = w.scenario.uncertainties.levers.specialist_usd_per_year
    assert costs.lever_costs(w)[tw, item] == pytest.approx(lent[tw] * fee)


def test_the_frontier_follows_federated_training_switched_on_in_a_run() -> None:
    """The lag each close sets is that of the runs as they are now: the runs kept between
    closes are dropped when the federated shares, the partners or the live sites change."""
    w = _world(*PARTNERS)
    tw = w.region_index("TW")
    capability.update_frontier(w, 1.0)
    np.testing.assert_array_equal(w.own_lag, capability.frontier_lag(w, 1.0))
    before = w.own_lag.copy()
    w.params.federated[tw] = 0.5  # as a dated action sets the lever, in place
    capability.update_frontier(w, 2.0)
    runs = capability.largest_run_multisite(w, 2.0)
    np.testing.assert_array_equal(w.own_lag, capability.frontier_lag(w, 2.0, runs))
    assert w.own_lag[tw] < before[tw]  # a larger run, over TW's sites and the US's
    w.add_site(tw, 1e6, 2.5, 1e9, 50_000.0)
    capability.update_frontier(w, 3.0)
    np.testing.assert_array_equal(w.own_lag, capability.frontier_lag(w, 3.0))
    assert w.own_lag[tw] == 0.0
