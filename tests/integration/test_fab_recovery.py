"""A struck fab comes back along its cause's recovery curve, not on the day the shock ends."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ecosim
from ecosim.core.rng import Streams
from ecosim.engine.simulation import Simulation
from tests.conftest import SMALL

#: TSMC loses 60 % from 1 February for 30 days, to the restart.
STRUCK = (
    "shocks=[{{id: struck, type: fab_disruption, suppliers: [tsmc], capacity_loss: 0.6,"
    " cause: {cause}, start: 2025-02-01, duration: {{kind: fixed, days: 30}}}}]"
)
START = 31.0  # 2025-02-01, days from the small world's start
RESTART = START + 30.0


def _lost(cause: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Day and TSMC's share of capacity lost after each step, and the cause's recovery days."""
    s = ecosim.load_scenario(SMALL, [STRUCK.format(cause=cause), "horizon_years=0.4"]).scenario
    sim = Simulation(s, Streams(s.seed))
    tsmc = sim.world.chip.index("tsmc")
    days: list[float] = []
    lost: list[float] = []

    def observe(step: int, w: Any, jobs: Any, flows: Any) -> None:
        days.append(w.t)
        lost.append(float(w.chip_disruption[tsmc]))

    sim.run(observe)
    recovery = float(getattr(s.uncertainties.supply.fab_recovery_days, cause))
    return np.array(days), np.array(lost), recovery


def test_a_burnt_line_climbs_back_over_its_recovery_time() -> None:
    days, lost, recovery = _lost("fire")
    assert recovery == 68.0  # Renesas Naka, 2021: restart to 100 % (V5.renesas_fire_ramp_days)
    assert np.all(lost[(days > START) & (days <= RESTART)] == pytest.approx(0.6))
    after = lost[days > RESTART]
    # no output comes back at once: a day after the restart most of the loss remains
    assert after[0] > 0.5
    # it falls step by step, never rises, and is gone once the recovery time has passed
    assert np.all(np.diff(after) <= 1e-12)
    half = lost[np.searchsorted(days, RESTART + recovery / 2.0)]
    assert 0.25 <= half <= 0.35
    assert np.all(lost[days > RESTART + recovery] == 0.0)
    assert np.all(lost[days < START] == 0.0)


def test_each_cause_takes_its_own_time() -> None:
    gone = {}
    for cause in ("earthquake", "power", "fire", "other"):
        days, lost, recovery = _lost(cause)
        gone[cause] = float(days[np.flatnonzero(lost > 0)[-1]]) - RESTART
        assert gone[cause] <= recovery + 1.0
    # a quake's line is back in days, a power cut's in weeks, a fire's in months; a drought
    # or a blockade (other) ends with its cause
    assert gone["other"] <= 1.0 < gone["earthquake"] < gone["power"] < gone["fire"]
