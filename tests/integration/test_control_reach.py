"""An export control binds where chips go, not who buys them.

A provider homed in the imposer (AWS, Azure) cannot carry its designers' chips into the
target past the control: its fleet there is held to the control's allowed share of what its
customers want there (``ecosim.world.cloud.reach``). Without that, US providers' fleets in
China grew six- and sevenfold in the year after the small world's control, to all their
customers wanted, and took 45 % of China's cloud in the ten-year baseline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ecosim
from ecosim.core.rng import Streams
from ecosim.engine.simulation import Simulation
from ecosim.world import cloud
from ecosim.world.state import World

SMALL = Path(__file__).resolve().parents[1] / "scenarios" / "small.yaml"


def _fleets_in_cn(overrides: list[str]) -> tuple[World, list[tuple[float, Any, Any]]]:
    """The small world's run, with the CN fleets of the US-homed providers there and what
    their customers want there, at every step."""
    spec = ecosim.load_scenario(SMALL, overrides).scenario
    sim = Simulation(spec, Streams(spec.seed))
    w = sim.world
    cn, us = w.regions.index("CN"), w.regions.index("US")
    ours = np.flatnonzero((w.prov_home == us) & w.prov_present[cn])
    rows: list[tuple[float, Any, Any]] = []

    def watch(i: int, w: World, *_: object) -> None:
        rows.append((w.t, w.prov_cap[cn, ours].copy(), cloud.wanted(w)[cn, ours].copy()))

    sim.run(watch, None, None)
    return w, rows


@pytest.fixture(scope="module")
def controlled() -> tuple[World, list[tuple[float, Any, Any]]]:
    return _fleets_in_cn([])


def test_us_providers_do_not_carry_chips_into_china_past_the_control(
    controlled: tuple[World, list[tuple[float, Any, Any]]],
) -> None:
    _, rows = controlled
    assert rows[0][1].size == 2  # AWS and Azure operate in China in the small world
    start = next(i for i, (t, _, _) in enumerate(rows) if t >= 59.0)  # the control: 1 March
    _, at_start, want_at_start = rows[start]
    _, at_end, want_at_end = rows[-1]
    # what their customers want in China more than doubles over the year ...
    assert np.all(want_at_end > 2.0 * want_at_start)
    # ... and their fleets there grow by a fraction of it: the chips they may still bring in
    # are the control's compliant and leaked share (on the old rule, 15k -> 106k H100e)
    assert np.all(at_end < 1.25 * at_start), (at_start, at_end)


def test_reach_is_the_destinations_allowance_over_the_homes(
    controlled: tuple[World, list[tuple[float, Any, Any]]],
) -> None:
    w, _ = controlled
    fleets = cloud.reach(w)
    assert fleets is not None  # the control is in force at the end of the run
    cn, us = w.regions.index("CN"), w.regions.index("US")
    aws, alibaba = w.providers.index("aws"), w.providers.index("alibaba")
    nvidia = [w.chip[int(d)] for d in w.designers].index("nvidia")
    allow = w.allow[w.designers[nvidia], cn]
    assert 0.0 < allow < 1.0
    assert fleets.shape == (w.n_regions, len(w.providers), len(w.designers))
    assert fleets[cn, aws, nvidia] == allow  # a US provider in China: the control's share
    assert fleets[us, aws, nvidia] == 1.0  # at home: nothing more than its home allows
    # a Chinese provider's orders already hold the control (route_split): nothing more here
    assert fleets[cn, alibaba, nvidia] == 1.0
    assert np.all((fleets >= 0.0) & (fleets <= 1.0))


def test_without_a_control_nothing_is_held_back() -> None:
    spec = ecosim.load_scenario(SMALL, ["horizon_years=0.1"]).scenario
    sim = Simulation(spec, Streams(spec.seed), with_shocks=False)
    sim.run(lambda *_: None, None, None)
    assert cloud.reach(sim.world) is None
