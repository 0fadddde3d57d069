"""New chip-making capacity: nothing before construction ends, region-specific times and costs,
sites abroad, the control response, the market's builds and a region's domestic chain."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from ecosim import load_scenario
from ecosim.core.rng import Streams
from ecosim.scenario.models import Scenario
from ecosim.world import capacity
from ecosim.world.build import build_world
from ecosim.world.shocks import impose_active, make_shock
from ecosim.world.state import World
from tests.conftest import BASELINE

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = yaml.safe_load((ROOT / "calibration" / "defaults.yaml").read_text(encoding="utf-8"))
BUILD = DEFAULTS["scenario"]["uncertainties"]["supply"]["build"]
EU_CHAIN = (
    "regions.EU.levers.domestic_chain={start: 2025-01-01, cover_share: 1.0, "
    "goods: [accelerator, wafer, hbm, packaging, lithography, materials], "
    "stop_imports: 2025-06-01}"
)


def _world(*overrides: str) -> World:
    s = load_scenario(BASELINE, list(overrides)).scenario
    return build_world(s, Streams(s.seed))


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(BASELINE).scenario


def test_a_build_gives_nothing_before_its_construction_ends() -> None:
    w = _world()
    smic = w.chip.index("smic")
    before = w.chip_nominal(0.0)[smic]
    capacity.launch(w, smic, 1.0e6, 0.0, capacity.MARKET)
    online = float(w.build_online[-1])
    ramp = float(w.build_ramp[-1])
    assert online == pytest.approx(BUILD["wafer"]["construction_days"]["CN"]["value"])
    # the row's own trend, without the build, at the same days
    bare = _world()
    for day, share in (
        (1.0, 0.0),
        (online - 1.0, 0.0),
        (online + ramp / 2, 0.5),
        (online + ramp, 1.0),
    ):
        added = w.chip_nominal(day)[smic] - bare.chip_nominal(day)[smic]
        assert added == pytest.approx(share * 1.0e6, abs=1e-6), day
    assert w.chip_nominal(0.0)[smic] == before
    # its cost is its size at the region's capex per unit, at the trend's level then
    per_unit = BUILD["wafer"]["capex_usd_per_h100e_year"]["CN"]["value"]
    assert w.build_capex[-1] == pytest.approx(1.0e6 * per_unit * w.price_trend)


def test_construction_times_and_capex_are_the_calibrated_ones_of_each_region(
    scenario: Scenario,
) -> None:
    days = BUILD["wafer"]["construction_days"]
    for region in ("TW", "KR", "JP", "US", "CN", "EU"):
        want = days[region]["value"]
        assert capacity.construction_days(scenario, "wafer", region) == want
        assert "fact" in days[region]  # every regional time cites a construction record
    # a region with no figure of its own takes the default
    assert capacity.construction_days(scenario, "wafer", "UK") == days["default"]["value"]
    # a first fab in the US took longer and cost more per unit than one in Taiwan
    assert capacity.construction_days(scenario, "wafer", "US") > capacity.construction_days(
        scenario, "wafer", "TW"
    )
    assert capacity.capex_per_unit(scenario, "wafer", "US") > capacity.capex_per_unit(
        scenario, "wafer", "TW"
    )


def test_the_sweep_handles_scale_every_construction_time_and_capex() -> None:
    s = load_scenario(
        BASELINE,
        [
            "uncertainties.supply.build.construction_scale=1.5",
            "uncertainties.supply.build.capex_scale=2.0",
        ],
    ).scenario
    base = load_scenario(BASELINE).scenario
    for good in ("wafer", "hbm", "packaging"):
        for region in ("US", "EU", "CN"):
            assert capacity.construction_days(s, good, region) == pytest.approx(
                1.5 * capacity.construction_days(base, good, region)
            )
            assert capacity.capex_per_unit(s, good, region) == pytest.approx(
                2.0 * capacity.capex_per_unit(base, good, region)
            )


def test_a_site_abroad_moves_its_firms_capacity_there_once_it_produces() -> None:
    w = _world()
    home, site = w.chip.index("tsmc"), w.chip.index("tsmc@US")
    assert w.chip_home[site] == w.region_index("US")
    assert w.chip_owner[site] == home
    online = float(w.build_online[w.build_row == site][0])
    ramp = float(w.build_ramp[w.build_row == site][0])
    assert w.chip_nominal(online - 1.0)[site] == 0.0
    after = w.chip_nominal(online + ramp)
    assert after[site] == pytest.approx(3.1e6)
    # the firm's total follows its growth either way: the site says where, not how much
    total = after[home] + after[site]
    w.build_size[w.build_row == site] = 0.0
    assert w.chip_nominal(online + ramp)[home] == pytest.approx(total)


def test_a_fab_disruption_strikes_a_suppliers_sites_unless_limited_to_regions() -> None:
    w = _world()
    home, site = w.chip.index("tsmc"), w.chip.index("tsmc@US")
    spec = next(x for x in w.scenario.shocks if x.id == "taiwan_fab")
    everywhere = spec.model_copy(update={"regions": []})
    impose_active(w, [make_shock(everywhere, w.scenario)], 0.0)
    assert w.chip_disruption[home] == pytest.approx(0.6)
    assert w.chip_disruption[site] == pytest.approx(0.6)
    impose_active(w, [make_shock(spec, w.scenario)], 0.0)  # the baseline's: regions [TW]
    assert w.chip_disruption[home] == pytest.approx(0.6)
    assert w.chip_disruption[site] == 0.0


def test_an_export_control_binds_a_firms_site_in_the_imposers_territory() -> None:
    w = _world()
    cn = w.region_index("CN")
    home, site = w.chip.index("tsmc"), w.chip.index("tsmc@US")
    spec = next(x for x in w.scenario.shocks if x.id == "us_chip_controls")
    wafers = spec.model_copy(update={"goods": ["wafer"], "extra_suppliers": []})
    impose_active(w, [make_shock(wafers)], 0.0)
    assert w.allow[site, cn] == pytest.approx(wafers.compliant_share)
    assert w.allow[home, cn] == 1.0
    named = wafers.model_copy(update={"extra_suppliers": ["tsmc"]})
    impose_active(w, [make_shock(named)], 0.0)
    assert w.allow[home, cn] == pytest.approx(named.compliant_share)


def test_a_control_response_builds_once_and_produces_after_construction() -> None:
    w = _world()
    cn = w.region_index("CN")
    capacity.respond_to_control(w, [cn], 1.0, 0.0)
    rows = w.build_row[w.build_source == capacity.CONTROL]
    assert {str(w.chip_good[s]) for s in rows} <= set(capacity.MARKET_GOODS)
    assert all(int(w.chip_home[s]) == cn for s in rows)
    huawei = w.chip.index("huawei_ascend")
    i = int(np.flatnonzero((w.build_row == huawei) & (w.build_source == capacity.CONTROL))[0])
    assert w.build_size[i] == pytest.approx(w.chip_nominal(0.0)[huawei])
    assert w.build_online[i] == pytest.approx(
        BUILD["accelerator"]["construction_days"]["CN"]["value"]
    )
    launched = float(w.build_size[w.build_source == capacity.CONTROL].sum())
    capacity.respond_to_control(w, [cn], 1.0, 0.0)  # a second control adds nothing more
    assert float(w.build_size[w.build_source == capacity.CONTROL].sum()) == pytest.approx(launched)


def test_the_market_builds_where_it_binds_only_while_quotes_stay_long() -> None:
    w = _world()
    cap = w.chip_capacity(0.0)
    w.throughput = cap.copy()  # every row at full use
    w.quote_ema = w.chip_cycle[w.designers] * 1.0  # no queue
    capacity.review_market(w, 0.0)
    assert not (w.build_source == capacity.MARKET).any()
    w.quote_ema = w.chip_cycle[w.designers] * 3.0
    w.throughput[w.chip.index("tsmc")] = 0.5 * cap[w.chip.index("tsmc")]  # not binding
    capacity.review_market(w, 0.0)
    built = w.build_row[w.build_source == capacity.MARKET]
    assert w.chip.index("tsmc_cowos") in built
    assert w.chip.index("tsmc") not in built
    b = w.scenario.uncertainties.supply.build
    i = int(np.flatnonzero(built == w.chip.index("tsmc_cowos"))[0])
    want = b.market_response_per_year * np.log(3.0 / b.market_trigger) * b.review_days / 365.25
    assert w.build_size[w.build_source == capacity.MARKET][i] == pytest.approx(
        want * w.chip_nominal(0.0)[w.chip.index("tsmc_cowos")]
    )


def test_a_domestic_chain_adds_its_missing_stages_and_builds_to_its_purchases() -> None:
    w = _world(EU_CHAIN)
    eu = w.region_index("EU")
    for good in ("accelerator", "wafer", "hbm", "packaging", "materials"):
        row = w.chip.index(f"{good}@EU")
        assert w.chip_home[row] == eu and w.chip_cap0[row] == 0.0
    assert "lithography@EU" not in w.chip  # ASML is in the EU already
    # the programme's designer sells at home only
    k = int(np.flatnonzero(w.designers == w.chip.index("accelerator@EU"))[0])
    assert w.sells[k].sum() == 1.0 and w.sells[k, eu] == 1.0
    capacity.review_chain(w, eu, 0.0)
    wafer = w.chip.index("wafer@EU")
    size = float(w.build_size[w.build_row == wafer].sum())
    days = capacity.construction_days(w.scenario, "wafer", "EU")
    ready = days + w.scenario.uncertainties.supply.build.wafer.ramp_days
    assert size == pytest.approx(capacity.purchases(w, eu, ready))
    assert w.chip_nominal(days - 1.0)[wafer] == 0.0
    n = w.build_row.size
    capacity.review_chain(w, eu, 0.0)  # the gap is closed: nothing more at once
    assert w.build_row.size == n


def test_stopping_imports_leaves_a_region_only_its_own_rows() -> None:
    w = _world(EU_CHAIN)
    eu = w.region_index("EU")
    capacity.stop_imports(w, eu)
    impose_active(w, [], 0.0)
    home = w.chip_home == eu
    assert np.all(w.allow[home, eu] == 1.0)
    assert np.all(w.allow[~home, eu] == 0.0)
    # other regions still buy from everyone, the EU's suppliers included
    us = w.region_index("US")
    assert np.all(w.allow[:, us] == 1.0)


def test_purchases_at_the_start_are_the_designers_output() -> None:
    w = _world()
    total = sum(capacity.purchases(w, r, 0.0) for r in range(w.n_regions))
    assert total == pytest.approx(w.chip_nominal(0.0)[w.designers].sum())
