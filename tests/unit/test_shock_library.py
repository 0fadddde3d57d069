"""The shock library (``scenarios/today.yaml``): every family at a sourced or reasoned rate, and
severities drawn per occurrence without moving when shocks happen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ecosim import load_scenario
from ecosim.core.rng import Streams
from ecosim.errors import InputError
from ecosim.scenario.models import SHOCK_SPECS
from ecosim.world.shocks import occurrences
from tests.conftest import SMALL

TODAY = Path(__file__).resolve().parents[2] / "scenarios" / "today.yaml"
#: A fact id of calibration/facts.csv (C1, H5, ...) or the word that marks a judgement.
_SOURCED = re.compile(r"\b([A-Z]{1,2}\d+)\b|ASSUMPTION")


def test_today_draws_every_shock_family_at_a_rate() -> None:
    s = load_scenario(TODAY).scenario
    assert {spec.type for spec in s.shocks} == set(SHOCK_SPECS)
    for spec in s.shocks:
        assert spec.start is None and spec.rate_per_year, spec.id


def test_every_rate_of_today_says_where_it_comes_from() -> None:
    lines = TODAY.read_text().splitlines()
    rates = [i for i, line in enumerate(lines) if "rate_per_year:" in line]
    assert len(rates) == len(load_scenario(TODAY).scenario.shocks)
    for i in rates:
        said = lines[i].partition("#")[2]
        assert _SOURCED.search(said), f"line {i + 1}: the rate gives no fact id or ASSUMPTION"


SURGE = (
    "shocks=[{id: s, type: demand_surge, regions: [TW], factor: 1.5, rate_per_year: 6.0,"
    " duration: {kind: lognormal, median_days: 20, sigma: 0.5}%s}]"
)


def _occurrences(severity: str) -> list[tuple[float, float, float]]:
    s = load_scenario(SMALL, [SURGE % severity]).scenario
    occ = occurrences(s.shocks[0], s, Streams(s.seed))
    return [(o.start, o.end, o.severity) for o in occ]


def test_a_severity_moves_neither_the_timing_nor_the_durations() -> None:
    plain = _occurrences("")
    drawn = _occurrences(", severity: {kind: uniform, low: 0.5, high: 2.0}")
    assert len(plain) > 3
    assert [(a, b) for a, b, _ in plain] == [(a, b) for a, b, _ in drawn]
    assert all(f == 1.0 for _, _, f in plain)
    factors = [f for _, _, f in drawn]
    assert all(0.5 <= f <= 2.0 for f in factors) and len(set(factors)) == len(factors)


def test_a_severity_scales_the_magnitude_within_its_range() -> None:
    s = load_scenario(
        SMALL,
        [
            "shocks=[{id: o, type: outage, regions: [TW], capacity_loss: 0.6,"
            " site_recovery_median_days: 1, site_recovery_sigma: 0.5, start: 2025-02-01,"
            " duration: {kind: fixed, days: 1}},"
            " {id: s, type: demand_surge, regions: [TW], factor: 1.5, start: 2025-02-01,"
            " duration: {kind: fixed, days: 1}}]"
        ],
    ).scenario
    outage, surge = s.shocks
    assert outage.scaled(0.5).capacity_loss == pytest.approx(0.3)  # type: ignore[attr-defined]
    assert outage.scaled(3.0).capacity_loss == 1.0  # type: ignore[attr-defined]
    # a surge scales its excess over normal demand
    assert surge.scaled(2.0).factor == pytest.approx(2.0)  # type: ignore[attr-defined]
    assert surge.scaled(1.0) is surge


def test_a_severity_on_a_shock_without_magnitude_is_refused() -> None:
    ruling = (
        "shocks=[{id: r, type: data_transfer_ruling, regions: [TW], jurisdictions: [US],"
        " sovereign_exempt: false, start: 2025-02-01, duration: {kind: fixed, days: 10},"
        " severity: {kind: uniform, low: 0.5, high: 2.0}}]"
    )
    with pytest.raises(InputError, match="no magnitude"):
        load_scenario(SMALL, [ruling])
