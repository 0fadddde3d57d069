"""AI factories as the programme runs them: compute to user classes, expertise, training."""

from __future__ import annotations

import numpy as np
import pytest

from ecosim import load_scenario
from ecosim.core.rng import Streams
from ecosim.core.units import DAYS_PER_YEAR
from ecosim.world import programmes, talent
from ecosim.world.build import build_world
from ecosim.world.state import World
from tests.conftest import SMALL


def _world(*overrides: str) -> World:
    s = load_scenario(SMALL, list(overrides)).scenario
    return build_world(s, Streams(s.seed))


def _open_factories(w: World, r: int, count: int, size: float, day: float) -> None:
    for _ in range(count):
        w.add_site(r, size, day, day + 5 * DAYS_PER_YEAR, 50_000.0, factory=True)


def test_factories_allocate_compute_to_user_classes() -> None:
    w = _world()
    us = w.region_index("US")
    _open_factories(w, us, 3, 5000.0, 100.0)
    assert np.all(programmes.factory_users(w, 50.0) == 0.0)  # none open yet
    users = programmes.factory_users(w, 200.0)
    shares = w.scenario.uncertainties.ai_factories.user_shares
    np.testing.assert_allclose(
        users[us], 15_000.0 * np.array([shares.research, shares.industry, shares.startups])
    )
    assert users.sum() == pytest.approx(15_000.0)
    w.own_available[us] = 0.5  # an outage takes half the region's own sites down
    np.testing.assert_allclose(programmes.factory_users(w, 200.0)[us].sum(), 7_500.0)
    # ordinary sites are not factories
    w.add_site(us, 9_000.0, 0.0, 3000.0, 50_000.0)
    np.testing.assert_allclose(programmes.factory_capacity(w, 200.0)[us], 15_000.0)


def test_factories_bring_expertise_and_their_own_operators() -> None:
    w = _world()
    us = w.region_index("US")
    w.t = 200.0
    w.own_cap = w.own_capacity(w.t)
    ops0, models0 = talent.staff_needed(w)
    _open_factories(w, us, 4, 5000.0, 100.0)
    w.own_cap = w.own_capacity(w.t)  # the factories' capacity is the region's own
    ops, models = talent.staff_needed(w)
    np.testing.assert_allclose(ops, ops0)  # operators come with the factories
    prog = w.scenario.uncertainties.ai_factories
    relief = 4 * prog.support_staff * prog.staff_leverage
    assert relief > 0
    np.testing.assert_allclose(models[us], max(models0[us] - relief, 0.0))
    others = np.arange(w.n_regions) != us
    np.testing.assert_allclose(models[others], models0[others])


def test_factories_train_specialists_after_a_lag() -> None:
    w = _world()
    us = w.region_index("US")
    prog = w.scenario.uncertainties.ai_factories
    assert prog.training_years * DAYS_PER_YEAR < 400.0
    early, late = talent.graduates(w, 300.0), talent.graduates(w, 500.0)
    _open_factories(w, us, 2, 5000.0, 100.0)
    # nobody trained yet a few months after opening; a year on, the trainees come out
    np.testing.assert_array_equal(talent.graduates(w, 300.0), early)
    added = talent.graduates(w, 500.0) - late
    per_day = 2 * prog.trainees_per_year / DAYS_PER_YEAR
    np.testing.assert_allclose(added, np.where(np.arange(w.n_regions) == us, per_day, 0.0))
