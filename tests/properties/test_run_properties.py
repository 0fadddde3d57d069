"""Properties of whole (short) runs under random levers, seeds and growth."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from ecosim import load_scenario, simulate
from ecosim.testing import assert_invariants, scenario_overrides
from tests.conftest import SMALL

SHORT = ["horizon_years=0.15"]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_overrides(["US", "CN", "TW"]))
def test_every_run_keeps_the_invariants(overrides: list[str]) -> None:
    ds = simulate(load_scenario(SMALL, [*SHORT, *overrides]))
    assert_invariants(ds)
