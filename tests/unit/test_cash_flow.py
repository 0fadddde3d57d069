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
    ds = ecosim.simulate(ecosim.load_scenario(SMALL, ["recording.interval_days=30"]))
    assert ds["capex_spent"].attrs["units"] == "USD"
    assert ds["cash_flow"].attrs["units"] == "USD/yr" and ds["cost"].attrs["units"] == "USD/yr"
    paid = ds["capex_spent"].sum("time")
    builds = [str(r) for r in ds.region.values if float(paid.sel(region=r)) > 0.0]
    assert builds, "no region builds in the small world"
    for r in builds:
        # a growing region pays for capacity before it is live, so its cash runs ahead
        cash = float(ds["cash_flow"].sel(region=r).isel(time=slice(1, None)).mean())
        cost = float(ds["cost"].sel(region=r).isel(time=slice(1, None)).mean())
        assert cash > cost, r
