"""The live sites' yearly capital cost, kept between the days a site is built or retires."""

from __future__ import annotations

import numpy as np

from ecosim import load_scenario
from ecosim.core.rng import Streams
from ecosim.world.build import build_world
from ecosim.world.state import World
from tests.conftest import SMALL


def _world() -> World:
    s = load_scenario(SMALL).scenario
    return build_world(s, Streams(s.seed))


def _afresh(w: World, t: float) -> np.ndarray:
    """The cost as computed without anything kept."""
    live = (w.site_built <= t) & (w.site_retire > t)
    region = w.site_region[live]
    per_year = w.site_cap[live] * w.site_capex[live] / w.params.life_years[region]
    return np.bincount(region, weights=per_year, minlength=w.n_regions).astype(np.float64)


def test_own_capital_cost_is_the_same_kept_or_afresh() -> None:
    w = _world()
    for t in (0.0, 10.0, 0.0, 500.0):
        np.testing.assert_array_equal(w.own_capital_cost(t), _afresh(w, t))
    # a caller's changes to what it was given do not reach the next caller
    w.own_capital_cost(10.0)[:] = -1.0
    np.testing.assert_array_equal(w.own_capital_cost(10.0), _afresh(w, 10.0))
    # a site added, live from day 100, and a region's site life changed
    w.add_site(0, 1000.0, 100.0, 2000.0, 25_000.0)
    for t in (50.0, 100.0, 150.0, 2500.0):
        np.testing.assert_array_equal(w.own_capital_cost(t), _afresh(w, t))
    w.params.life_years[0] *= 2.0
    np.testing.assert_array_equal(w.own_capital_cost(150.0), _afresh(w, 150.0))
    assert w.own_capital_cost(150.0)[0] > 0.0
