"""Benchmark cases for the compiled world step against its reference twin, on the baseline.

The baseline's world (nine regions, nineteen providers, four workloads) is run to day 200;
each side then advances its own copy of it by a day at a time, the compiled side with
:meth:`ecosim.world.step.WorldStep._continuous` (one compiled call a step), the reference
with :meth:`~ecosim.world.step.WorldStep._continuous_reference` (each part's own function).
Both run the job queues, which take most of a step's time: the ratio is what the compiled
call buys a step, not a kernel's speed-up over numpy.
"""

from __future__ import annotations

import copy
from pathlib import Path

from _bench import Case

import ecosim
from ecosim.core.rng import Streams
from ecosim.engine.simulation import Simulation
from ecosim.world.step import WorldStep

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
START = 200.0
DAYS = 30


def _world_at_day() -> WorldStep:
    s = ecosim.load_scenario(BASELINE, ["horizon_years=0.6"]).scenario
    sim = Simulation(s, Streams(s.seed))
    sim.run(stop=lambda: sim.world.t >= START)
    return sim.step


def cases() -> list[Case]:
    """The compiled step and its reference over a month of the baseline, a day a step."""
    state: dict[str, WorldStep] = {}

    def setup() -> None:
        base = _world_at_day()
        state["fast"], state["ref"] = copy.deepcopy(base), copy.deepcopy(base)
        advance(state["fast"], compiled=True)
        advance(state["ref"], compiled=False)

    def advance(step: WorldStep, compiled: bool) -> None:
        # each call goes on from where the last left the copy: a month of days further
        for _ in range(DAYS):
            t0 = step.world.t
            if compiled:
                step._continuous(t0, t0 + 1.0)
            else:
                step._continuous_reference(t0, t0 + 1.0)
            step.world.t = t0 + 1.0

    return [
        Case(
            name="step.continuous (a month of the baseline)",
            fast=lambda: advance(state["fast"], compiled=True),
            ref=lambda: advance(state["ref"], compiled=False),
            setup=setup,
            repeats_fast=5,
            repeats_ref=5,
            target=1.1,
        )
    ]
