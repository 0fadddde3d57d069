"""The engine schedules and can be stopped cleanly between two world steps."""

from __future__ import annotations

from pathlib import Path

import pytest

import ecosim
from ecosim.core.rng import Streams
from ecosim.engine.simulation import Simulation
from ecosim.errors import RunStopped
from ecosim.world.jobs import JobFlow
from ecosim.world.state import World
from ecosim.world.step import StepFlows

SMALL = Path(__file__).resolve().parents[1] / "scenarios" / "small.yaml"


def test_a_stop_request_ends_the_run_after_the_step_it_answers() -> None:
    s = ecosim.load_scenario(SMALL, ["horizon_years=0.25"]).scenario
    sim = Simulation(s, Streams(s.seed))
    seen: list[float] = []

    def observe(i: int, w: World, jobs: JobFlow, flows: StepFlows) -> None:
        seen.append(w.t)

    sim.run(observe, stop=lambda: len(seen) > 10)
    assert sim.stopped_at == 10.0
    assert seen == [float(d) for d in range(11)]
    assert sim.world.t == 10.0 and sim.env.now == 10.0


def test_a_run_that_is_never_stopped_reaches_its_horizon() -> None:
    s = ecosim.load_scenario(SMALL, ["horizon_years=0.1"]).scenario
    sim = Simulation(s, Streams(s.seed))
    sim.run(stop=lambda: False)
    assert sim.stopped_at is None
    assert sim.world.t == sim.steps[-1] == 36.0


def test_simulate_says_where_a_stopped_run_ended() -> None:
    loaded = ecosim.load_scenario(SMALL, ["horizon_years=0.25"])
    calls = iter(range(10_000))
    with pytest.raises(RunStopped, match="stopped at day 4") as caught:
        ecosim.simulate(loaded, stop=lambda: next(calls) >= 4)
    assert caught.value.day == 4.0
