"""Supply chain: controls block flows but for the compliant share, orders re-route."""

from __future__ import annotations

import numpy as np
import pytest

from ecosim import load_scenario
from ecosim.core.rng import Streams
from ecosim.kernels import chain
from ecosim.scenario.models import UPSTREAM_GOODS
from ecosim.world import supply
from ecosim.world.build import build_world
from ecosim.world.shocks import impose_active, make_shock
from ecosim.world.state import World
from tests.conftest import BASELINE


@pytest.fixture()
def world() -> World:
    s = load_scenario(BASELINE).scenario
    return build_world(s, Streams(s.seed))


def _control(w: World, compliant: float) -> None:
    spec = next(x for x in w.scenario.shocks if x.id == "us_chip_controls")
    spec = spec.model_copy(update={"compliant_share": compliant})
    impose_active(w, [make_shock(spec)], 0.0)


def test_control_sets_the_compliant_share_on_imposer_and_named_suppliers(world: World) -> None:
    _control(world, 0.1)
    cn = world.region_index("CN")
    us = world.region_index("US")
    nvidia, tsmc, smic = (world.chip.index(x) for x in ("nvidia", "tsmc", "smic"))
    assert world.allow[nvidia, cn] == 0.1
    assert world.allow[tsmc, cn] == 1.0  # wafers are not in the control's goods
    assert world.allow[smic, cn] == 1.0
    assert world.allow[nvidia, us] == 1.0


def test_route_split_keeps_only_the_compliant_share_at_blocked_designers(world: World) -> None:
    cn = world.region_index("CN")
    before = supply.route_split(world, cn, 0.0)
    _control(world, 0.1)
    after = supply.route_split(world, cn, 0.0)
    # shares of possible output once the control also cut the blocked designers' inputs
    possible = supply.designer_output(world, 0.0)
    base = supply.base_split(world, cn, possible)
    huawei = list(world.designers).index(world.chip.index("huawei_ascend"))
    nvidia = list(world.designers).index(world.chip.index("nvidia"))
    # the portable part moves to Huawei; the rest runs only on CUDA chips and keeps only the
    # compliant share: the work no compliant chip can run waits
    portable = float(world.portable[cn])
    assert 0.0 < portable < 1.0
    np.testing.assert_allclose(after.sum(), portable + 0.1 * (1.0 - portable))
    np.testing.assert_allclose(after[nvidia], 0.1 * base[nvidia], rtol=1e-12)
    assert after[huawei] > before[huawei]
    world.portable[cn] = 1.0  # all of it ported: every order finds a designer
    np.testing.assert_allclose(supply.route_split(world, cn, 0.0).sum(), 1.0)


def test_reroute_moves_the_blocked_part_and_keeps_the_total(world: World) -> None:
    cn = world.region_index("CN")
    world.portable[cn] = 1.0  # work on portable stacks: a substitute runs all of it
    supply.place_order(world, "region", cn, cn, 1000.0, 0.0)
    _control(world, 0.0)
    supply.reroute_blocked(world, 0.0)
    book = world.orders
    waiting = book.open[: book.n] & ~book.by_provider[: book.n]
    np.testing.assert_allclose(book.remaining[: book.n][waiting].sum(), 1000.0)
    for k in range(world.designers.size):
        s = int(world.designers[k])
        for i in book.queue(k):
            assert world.allow[s, cn] == 1.0 or book.remaining[i] == 0.0


def test_production_fills_orders_first_in_first_out(world: World) -> None:
    us = world.region_index("US")
    n0 = world.orders.n
    supply.place_order(world, "region", us, us, 10.0, 0.0)
    n1 = world.orders.n
    supply.place_order(world, "region", us, us, 1e9, 0.0)
    first, second = set(range(n0, n1)), set(range(n1, world.orders.n))
    done: list[int] = []
    supply.step_supply(world, 0.0, 1.0, done.append)
    assert first and first <= set(done)
    assert not second & set(done)


def test_lead_time_is_capped_and_flagged_under_embargo(world: World) -> None:
    us = world.region_index("US")
    cap = world.scenario.uncertainties.supply.lead_time_cap_days
    # a designer that made nothing in the last step but can produce is not at the cap
    supply.place_order(world, "region", us, us, 1e3, 0.0)
    world.throughput[:] = 0.0
    assert np.all(supply.designer_lead_times(world, 0.0) < cap)
    supply.place_order(world, "region", us, us, 1e6, 0.0)
    # an embargo on every input: no designer can make anything, whatever it made last step
    world.allow[:] = 0.0
    assert supply.designer_output(world, 0.0).sum() == 0.0
    lead, capped = supply.lead_times(world, 0.0)
    assert capped[0]
    assert lead[0] == world.scenario.uncertainties.supply.lead_time_cap_days
    assert np.all(lead >= 0)


def test_fab_disruption_cuts_designer_output(world: World) -> None:
    before = supply.designer_output(world, 0.0).sum()
    spec = next(x for x in world.scenario.shocks if x.id == "taiwan_fab")
    impose_active(world, [make_shock(spec)], 0.0)
    assert supply.designer_output(world, 0.0).sum() < 0.8 * before


def _designer(w: World, name: str) -> int:
    return list(w.designers).index(w.chip.index(name))


def test_designers_sell_only_where_their_sells_to_says(world: World) -> None:
    cn, us, eu = (world.region_index(r) for r in ("CN", "US", "EU"))
    tpu, ascend = _designer(world, "google_tpu"), _designer(world, "huawei_ascend")
    to_cn, to_us, to_eu = (supply.route_split(world, r, 0.0) for r in (cn, us, eu))
    assert to_cn[tpu] == 0.0 and to_eu[tpu] == 0.0 and to_us[tpu] > 0.0
    assert to_us[ascend] == 0.0 and to_eu[ascend] == 0.0 and to_cn[ascend] > 0.0
    for split in (to_cn, to_us, to_eu):
        np.testing.assert_allclose(split.sum(), 1.0, rtol=1e-12)


def test_orders_in_proportion_to_demand_match_each_designers_output(world: World) -> None:
    # the point of weighting by the demand a designer may serve: no designer idles while
    # another's queue grows, when every region orders in proportion to its demand
    possible = supply.designer_output(world, 0.0)
    inflow = sum(
        world.demand[r] * supply.base_split(world, r, possible) for r in range(world.n_regions)
    )
    np.testing.assert_allclose(inflow / inflow.sum(), possible / possible.sum(), rtol=1e-9)


def test_without_sells_to_the_split_is_by_possible_output_exactly(world: World) -> None:
    world.sells[:] = 1.0
    world.native[:] = 1.0  # and every designer runs every region's code
    possible = supply.designer_output(world, 0.0)
    for r in range(world.n_regions):
        assert np.array_equal(supply.base_split(world, r, possible), possible / possible.sum())


def test_a_control_charges_no_lost_sales_for_a_designer_that_never_sold_there(
    world: World,
) -> None:
    cn = world.region_index("CN")
    tpu = _designer(world, "google_tpu")
    possible = supply.designer_output(world, 0.0)
    _control(world, 0.0)
    split = supply.route_split(world, cn, 0.0)
    assert split[tpu] == 0.0
    world.imposer_cost_rate[:] = 1.0
    world.control_cost[:] = 0.0
    supply.place_order(world, "region", cn, cn, 1000.0, 0.0)
    # what the US designers would have sold China: NVIDIA's and AMD's share, never the TPU's
    base = supply.base_split(world, cn, supply.designer_output(world, 0.0))
    us_open = [_designer(world, n) for n in ("nvidia", "amd")]
    lost = 1000.0 * (base[us_open] - split[us_open]).clip(min=0).sum()
    np.testing.assert_allclose(world.control_cost[world.region_index("US")], lost, rtol=1e-9)
    assert possible[tpu] > 0.0


def test_a_controls_target_makes_its_own_chips_inputs_for_its_own_designers(world: World) -> None:
    """Cut off from foreign memory, China's CXMT serves Huawei first: split by capacity alone it
    sent nearly all of its HBM to NVIDIA's far larger capacity, and Huawei assembled at a
    quarter of its capacity under the baseline's controls."""
    ascend = _designer(world, "huawei_ascend")
    cn = world.region_index("CN")
    hbm, wafers = world.rows_of_good("hbm"), world.rows_of_good("wafer")
    cxmt = list(hbm).index(world.chip.index("cxmt"))
    assert not supply.home_first(world, hbm).any()  # no control: a split by capacity
    before = supply.designer_output(world, 0.0)
    spec = next(x for x in world.scenario.shocks if x.id == "us_chip_controls")
    impose_active(world, [make_shock(spec)], 0.0)
    assert world.allow[world.chip.index("sk_hynix"), cn] < 1.0
    # the control's goods are accelerators and memory: CXMT alone serves its home first, and
    # wafers, which the control leaves open, are split by capacity
    assert supply.home_first(world, hbm).tolist() == [i == cxmt for i in range(hbm.size)]
    assert not supply.home_first(world, wafers).any()
    after = supply.designer_output(world, 0.0)
    # split by capacity alone, the same control leaves Huawei 149 H100e a day of its 821
    rows, offsets = world.rows_of_goods(UPSTREAM_GOODS)
    args = (world.chip_capacity(0.0), world.designers, world.chip_home[world.designers])
    by_capacity = chain.designer_output_ref(
        *args, rows, offsets, world.allow, np.zeros(rows.size, dtype=bool), world.chip_home
    )
    assert after[ascend] > 4.0 * by_capacity[ascend], (by_capacity[ascend], after[ascend])
    assert after[ascend] <= before[ascend]  # the control still costs it the foreign memory
    # nobody else gains from the control
    others = np.arange(world.designers.size) != ascend
    assert np.all(after[others] <= before[others])
