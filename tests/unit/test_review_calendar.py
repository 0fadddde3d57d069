"""Regions review procurement on their own calendars, fixed by their names."""

from __future__ import annotations

from typing import Any

import pytest

from ecosim import load_scenario
from ecosim.core.rng import Streams
from ecosim.engine import simulation
from ecosim.engine.simulation import Simulation, review_phase
from ecosim.world import policy
from tests.conftest import SMALL


def test_phases_are_stable_spread_and_in_the_unit_interval() -> None:
    names = ["US", "EU", "CN", "JP", "KR", "TW", "UK", "IN", "RoW"]
    phases = [review_phase(n) for n in names]
    assert all(0.0 <= p < 1.0 for p in phases)
    assert len(set(phases)) == len(names)
    # fixed by the name alone: the same in every process and whatever else is in the scenario
    assert review_phase("US") == 0.872 and review_phase("EU") == 0.412


def test_each_region_first_decides_at_its_phase(monkeypatch: pytest.MonkeyPatch) -> None:
    s = load_scenario(SMALL, ["horizon_years=0.5"]).scenario
    seen: dict[int, float] = {}
    decide = policy.decide

    def spy(w: Any, r: int, t: float, *args: Any, **kwargs: Any) -> Any:
        if t >= 0.0:  # the reviews of the run, not those before it (policy.warm_decisions)
            seen.setdefault(r, float(t))
        return decide(w, r, t, *args, **kwargs)

    monkeypatch.setattr(simulation.policy, "decide", spy)
    sim = Simulation(s, Streams(s.seed))
    sim.run(None)
    for r, name in enumerate(sim.world.regions):
        interval = s.regions[name].policy.decision_interval_days
        assert seen[r] == review_phase(name) * interval
