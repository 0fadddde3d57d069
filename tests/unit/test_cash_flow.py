"""Capital is paid when it is spent: chips on delivery, the rest of a site while it is built."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ecosim
from ecosim.core.rng import Streams
from ecosim.world import projects
from ecosim.world.build import build_world

SMALL = Path(__file__).resolve().parents[1] / "scenarios" / "small.yaml"


def test_a_site_is_paid_for_while_it_is_built() -> None:
    s = ecosim.load_scenario(SMALL).scenario
    w = build_world(s, Streams(s.seed))
    r = w.region_index("TW")
    index = w.projects.open(r, 1000.0, 10.0, 110.0)
    # servers, network and the facility at the price of the run's start (the trend of
    # prices per H100e; the clock does not move here)
    rest = 1000.0 * w.params.capex[r] * (1.0 - w.params.chip_share[r]) * w.price_trend
    projects.pay_construction(w, 0.0, 10.0)  # before the decision: nothing
    assert projects.hand_over_capex(w)[r] == 0.0
    projects.pay_construction(w, 10.0, 60.0)  # half of the construction
    assert projects.hand_over_capex(w)[r] == pytest.approx(0.5 * rest)
    projects.pay_construction(w, 60.0, 200.0)  # the other half, and nothing after the end
    assert projects.hand_over_capex(w)[r] == pytest.approx(0.5 * rest)
    assert not w.projects.finished[index]  # paid in full before it serves anything
    assert np.all(projects.hand_over_capex(w) == 0.0)  # handed over once


def test_cash_flow_runs_ahead_of_the_annualised_cost_while_a_region_builds() -> None:
    # no region builds before March, so none has a build under way at the start
    # (policy.warm_decisions) and each has months before any spending to measure from
    shares = {"US": 0.3, "CN": 0.55, "TW": 0.4}
    later = ", ".join(f"regions.{r}.levers.build_share: {v}" for r, v in shares.items())
    flags = [f"regions.{r}.levers.build_share=0" for r in shares]
    flags += ["recording.interval_days=30", f"actions=[{{date: 2025-03-01, set: {{{later}}}}}]"]
    ds = ecosim.simulate(ecosim.load_scenario(SMALL, flags))
    assert ds["capex_spent"].attrs["units"] == "USD"
    assert ds["cash_flow"].attrs["units"] == "USD/yr" and ds["cost"].attrs["units"] == "USD/yr"
    years = 30.0 / 365.25
    checked = 0
    for r in ds.region.values:
        spent = ds["capex_spent"].sel(region=r).values[1:]
        ahead = (ds["cash_flow"] - ds["cost"]).sel(region=r).values[1:]
        own = ds["capacity_own"].sel(region=r).values[1:]
        # months a site is being paid for while no new capacity is live yet: the annualised
        # cost holds only the live sites, the cash flow also what is being built
        building = (spent > 0) & (own <= own[0] * (1.0 + 1e-9))
        if not building.any() or spent[0] > 0:
            continue
        checked += 1
        # cash minus cost rises from before any spending by at least most of what is paid
        # (the depreciation of the older sites shrinks meanwhile, which only adds to it)
        rise = ahead[building] - ahead[0]
        assert (rise >= 0.9 * spent[building] / years).all(), str(r)
    assert checked, "no region builds in the small world"


def test_a_build_under_way_at_the_start_paid_what_it_built_before_it() -> None:
    s = ecosim.load_scenario(SMALL).scenario
    w = build_world(s, Streams(s.seed))
    r = w.region_index("TW")
    # decided 100 days before the run, procurement over on day 100, the site ready on day 500
    index = w.projects.open(r, 1000.0, -100.0, 500.0)
    projects.settle_before_start(w, index, 100.0)
    rest = 1000.0 * w.params.capex[r] * (1.0 - w.params.chip_share[r]) * w.price_trend
    # a sixth of its construction fell before the run (the run pays the rest as it goes) ...
    assert w.projects.paid[index] == pytest.approx(rest * 100.0 / 600.0)
    # ... and its chips, ordered after its procurement, are still to come
    assert w.projects.delivered[index] == 0.0
    assert np.all(projects.hand_over_capex(w) == 0.0)  # paid before the run, not in it
