"""Shocks as they bite and levers as they act, on short runs of the small world."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from ecosim import load_scenario, simulate
from ecosim.core.rng import Streams
from ecosim.engine.simulation import Simulation
from ecosim.world import layers
from ecosim.world.build import build_world
from ecosim.world.shocks import impose_active, make_shock
from tests.conftest import SMALL

SHORT = "horizon_years=0.6"


def _run(*overrides: str) -> xr.Dataset:
    return simulate(load_scenario(SMALL, [SHORT, *overrides]))


def _rl(ds: xr.Dataset, region: str, layer: str) -> float:
    return float(ds["resilience_loss"].sel(region=region, layer=layer))


CONTROL = (
    "shocks=[{{id: ctl, type: export_control, imposers: [US], targets: [CN], goods: [accelerator],"
    " start: 2025-03-01, duration: {{kind: permanent}}{extra}}}]"
)


def test_an_announced_control_raises_the_targets_orders_before_it_bites() -> None:
    spec = CONTROL.format(extra=", announce_days: 45, stockpile_months: 6")
    s = load_scenario(SMALL, [SHORT, spec]).scenario
    sim = Simulation(s, Streams(s.seed))
    plain = Simulation(
        load_scenario(SMALL, [SHORT, CONTROL.format(extra="")]).scenario, Streams(s.seed)
    )
    for x in (sim, plain):
        x.env.process(x._steps(None, None, None))
        for occ in x.occurrences:
            x.env.process(x._shock(occ))
        x.env.run(until=58.0)  # the day before the control starts
    cn = sim.world.region_index("CN")
    rushed = sim.world.projects.quantity[sim.world.projects.region == cn].sum()
    calm = plain.world.projects.quantity[plain.world.projects.region == cn].sum()
    assert rushed > calm


def test_compliant_goods_keep_flowing_and_leakage_grows() -> None:
    s = load_scenario(SMALL, [CONTROL.format(extra=", compliant_share: 0.2")]).scenario
    w = build_world(s, Streams(s.seed))
    shock = make_shock(s.shocks[0])
    impose_active(w, [shock], 0.0)
    nvidia, cn = w.chip.index("nvidia"), w.region_index("CN")
    first = w.allow[nvidia, cn]
    assert first >= 0.2
    impose_active(w, [shock], 730.0)
    assert w.allow[nvidia, cn] > first  # leakage through third countries builds up
    assert w.allow[nvidia, cn] < 1.0


def test_the_cloud_loophole_softens_a_control() -> None:
    open_ = _run(CONTROL.format(extra=""))
    closed = _run(CONTROL.format(extra=", controls_cloud: true"))
    cn = "CN"
    assert _rl(closed, cn, "compute") >= _rl(open_, cn, "compute")
    # with the loophole closed, CN customers cannot sign with US providers
    us_providers = ["aws", "azure", "gcp", "oracle"]
    late = dict(time=slice("2025-06-01", None), region=cn, provider=us_providers)
    assert (
        float(closed["market_share"].sel(**late).sum("provider").max())
        <= float(open_["market_share"].sel(**late).sum("provider").max()) + 1e-12
    )


def test_a_tool_control_wears_fabs_down_over_years() -> None:
    s = load_scenario(
        SMALL,
        [
            "regions.EU={}",
            "shocks=[{id: tools, type: export_control, imposers: [EU], targets: [CN],"
            " goods: [lithography], compliant_share: 0.0, leakage_max_share: 0.0,"
            " target_response: 0.0, start: 2025-02-01, duration: {kind: permanent}}]",
        ],
    ).scenario
    w = build_world(s, Streams(s.seed))
    impose_active(w, [make_shock(s.shocks[0])], 0.0)
    smic = w.chip.index("smic")
    from ecosim.world import supply

    before = w.chip_capacity(0.0)[smic]
    supply.step_supply(w, 0.0, 90.0, lambda o: None)
    quarter = w.chip_capacity(0.0)[smic] / before
    supply.step_supply(w, 90.0, 3 * 365.0, lambda o: None)
    years = w.chip_capacity(0.0)[smic] / before
    assert 0.9 < quarter < 1.0
    assert years < 0.8


CUT = (
    "shocks=[{{id: cut, type: cloud_cutoff, providers: [aws, azure, gcp, oracle, us_others],"
    " regions: [{region}], grade: withdrawal, start: 2025-03-01,"
    " duration: {{kind: fixed, days: 120}}}}]"
)


def test_a_cutoff_leaves_regions_without_contracts_untouched() -> None:
    ds = _run(CUT.format(region="CN"))
    assert _rl(ds, "CN", "compute") > 0.0
    assert (
        float(ds["resilience_loss"].sel(region="US").sum())
        < 0.05 * float(ds["resilience_loss"].sel(region="CN").sum()) + 1e-9
    )


def test_multi_cloud_shortens_the_switching_window() -> None:
    single = _run(CUT.format(region="TW"), "regions.TW.levers.multi_cloud=0.0")
    spread = _run(CUT.format(region="TW"), "regions.TW.levers.multi_cloud=0.8")
    assert _rl(spread, "TW", "compute") < _rl(single, "TW", "compute")
    assert _rl(spread, "TW", "data") < _rl(single, "TW", "data")
    late = dict(region="TW", time=slice("2025-04-01", None))
    assert float(spread["lever_cost"].sel(**late).mean()) > float(
        single["lever_cost"].sel(**late).mean()
    )


def test_data_transfer_ruling_is_covered_by_replicas_or_federated_learning() -> None:
    def data_service(*levers: str) -> float:
        s = load_scenario(
            SMALL,
            [
                "shocks=[{id: r, type: data_transfer_ruling, regions: [TW], jurisdictions: [US],"
                " start: 2025-02-01, duration: {kind: permanent}}]",
                *levers,
            ],
        ).scenario
        w = build_world(s, Streams(s.seed))
        impose_active(w, [make_shock(s.shocks[0])], 0.0)
        return float(layers.data_service(w)[w.region_index("TW")])

    bare = data_service("regions.TW.data.replica_share=0.0")
    assert bare < 0.8
    assert data_service("regions.TW.data.replica_share=0.9") > bare + 0.2
    assert (
        data_service("regions.TW.data.replica_share=0.0", "regions.TW.levers.federated_learning=1")
        > bare + 0.2
    )


def test_a_licence_change_hurts_proprietary_stacks_more() -> None:
    change = (
        "shocks=[{id: lic, type: licence_change, regions: [TW], stacks: [cuda],"
        " start: 2025-03-01, duration: {kind: permanent}}]"
    )
    locked = _run(change, "regions.TW.levers.open_stack_share=0.05")
    portable = _run(change, "regions.TW.levers.open_stack_share=0.7")
    assert _rl(locked, "TW", "software") > 2 * _rl(portable, "TW", "software")


def test_open_weight_mirrors_keep_models_after_a_licence_change() -> None:
    change = (
        "shocks=[{id: lic, type: licence_change, regions: [TW], open_weights: true,"
        " start: 2025-03-01, duration: {kind: permanent}}]"
    )
    none = _run(change, "regions.TW.levers.open_weights_mirror=0.0")
    full = _run(change, "regions.TW.levers.open_weights_mirror=1.0")
    assert _rl(full, "TW", "models") < _rl(none, "TW", "models")


def test_an_owned_control_costs_its_imposer() -> None:
    ds = _run(CONTROL.format(extra=", imposer_cost_usd_per_h100e: 20000"))
    cost = ds["control_cost"].sel(region="US")
    assert float(cost.isel(time=-1)) > 0.0
    assert float(ds["control_cost"].sel(region="TW").isel(time=-1)) == 0.0


@pytest.mark.parametrize(
    ("lever", "low", "high", "variable", "direction"),
    [
        ("talent_programme", 0.0, 1.0, "talent", +1),
        ("stockpile_h100e", 0.0, 2.0e5, "lever_cost", +1),
        ("open_stack_share", 0.1, 0.6, "lever_cost", +1),
    ],
)
def test_levers_move_outcomes_and_costs_their_way(
    lever: str, low: float, high: float, variable: str, direction: int
) -> None:
    a = simulate(load_scenario(SMALL, ["horizon_years=0.3", f"regions.TW.levers.{lever}={low}"]))
    b = simulate(load_scenario(SMALL, ["horizon_years=0.3", f"regions.TW.levers.{lever}={high}"]))
    va = float(a[variable].sel(region="TW").isel(time=-1))
    vb = float(b[variable].sel(region="TW").isel(time=-1))
    assert np.sign(vb - va) == direction


def test_a_dated_action_changes_a_lever_from_its_date() -> None:
    s = load_scenario(
        SMALL,
        [
            "horizon_years=0.3",
            "actions=[{date: 2025-02-01, set: {regions.TW.levers.talent_programme: 1.0}}]",
        ],
    )
    ds = simulate(s)
    base = simulate(load_scenario(SMALL, ["horizon_years=0.3"]))
    before = dict(region="TW", time="2025-01-20")
    after = dict(region="TW", time=slice("2025-03-01", None))
    assert float(ds["lever_cost"].sel(**before)) == float(base["lever_cost"].sel(**before))
    assert float(ds["lever_cost"].sel(**after).mean()) > float(
        base["lever_cost"].sel(**after).mean()
    )


def test_ai_factories_add_sites_when_due() -> None:
    batch = (
        "regions.TW.levers.ai_factories="
        "[{count: 2, size_h100e: 3000, start: 2025-01-15, lead_time_days: 30}]"
    )
    ds = simulate(
        load_scenario(SMALL, ["horizon_years=0.5", batch, "regions.TW.levers.build_share=0"])
    )
    base = simulate(load_scenario(SMALL, ["horizon_years=0.5", "regions.TW.levers.build_share=0"]))
    late = dict(region="TW", time="2025-06-01")
    assert float(ds["capacity_own"].sel(**late)) > float(base["capacity_own"].sel(**late)) + 5000


def test_alliance_partners_lend_spare_capacity() -> None:
    cut = CUT.format(region="TW")
    alone = _run(cut)
    allied = _run(
        cut, "regions.TW.levers.alliance=[US]", "regions.TW.levers.interoperability={US: 1.0}"
    )
    assert float(allied["borrowed"].sel(region="TW").max()) > 0.0
    assert _rl(allied, "TW", "compute") < _rl(alone, "TW", "compute")


def test_a_country_quota_caps_yearly_deliveries() -> None:
    quota = 20_000.0
    spec = CONTROL.format(
        extra=f", compliant_share: 1.0, leakage_max_share: 0.0, quota_h100e_per_year: {quota}"
    )
    capped = _run(spec)
    free = _run(CONTROL.format(extra=", compliant_share: 1.0, leakage_max_share: 0.0"))
    us_designers = ["nvidia", "amd", "google_tpu"]
    after = dict(region="CN", supplier=us_designers, time=slice("2025-03-01", "2025-12-31"))
    per_designer = capped["deliveries"].sel(**after).sum("time")
    assert float(per_designer.max()) <= quota * (1 + 1e-9)
    assert float(free["deliveries"].sel(**after).sum()) > float(per_designer.sum())
