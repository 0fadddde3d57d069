"""Every historical episode reproduced within its stated tolerance, with the shipped calibration.

An episode that the current model cannot reproduce within an honest tolerance is marked as an
expected failure with the measured gap, never passed by loosening its tolerance. Episodes whose
status names a missing capability are skipped with that reason.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ecosim.calibrate.episodes import EPISODES_DIR, Episode, all_episodes, run_episode

ROOT = Path(__file__).resolve().parents[2]
EPISODES = all_episodes(EPISODES_DIR)
#: Episodes the model does not reproduce yet, with the gap measured.
KNOWN_GAPS: dict[str, str] = {
    "v6_eu_cloud_share": (
        "out of sample, the big three hold 66.8 % of the EU cloud market in mid-2022 (72 ± 4) "
        "and take 69.2 % of 2021's growth (80 ± 10); the fitted A7 points pass (28.2 against "
        "29 ± 2, 16.6 against 15 ± 3) and refitting reselect_share leaves it at 0.039. Both "
        "passed (68.7, 75.1) while an undisturbed market paid 29 % under the chips' price "
        "trend, which made the US providers' chip-heavy costs fall against the European ones; "
        "at the trend the market settles toward its resting split too slowly for the big three"
    ),
}


def _param(e: Episode) -> object:
    marks = []
    if e.name in KNOWN_GAPS:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[e.name]))
    return pytest.param(e, id=e.name, marks=marks)


def test_expected_episodes_exist() -> None:
    names = {e.name for e in EPISODES}
    assert {
        "v1_chip_shortage",
        "v3_export_controls",
        "v4_gallium_germanium",
        "v5_outages",
        "v6_eu_cloud_share",
    } <= names


def test_every_observation_cites_a_fact() -> None:
    with (ROOT / "calibration" / "facts.csv").open(encoding="utf-8", newline="") as fh:
        ids = {row["id"] for row in csv.DictReader(fh)}
    for e in EPISODES:
        missing = [f for f in e.facts() if f not in ids]
        assert not missing, f"{e.name} cites facts not in facts.csv: {missing}"


@pytest.mark.parametrize("episode", [_param(e) for e in EPISODES])
def test_episode_within_tolerance(episode: Episode) -> None:
    if episode.skipped:
        pytest.skip(f"{episode.name}: {episode.spec.status}")
    result, _ = run_episode(episode)
    failed = [
        f"{c.series} {c.label}: observed {c.observed:g}, simulated {c.simulated:.4g} "
        f"(tolerance {c.tolerance:g} {c.units})"
        for c in result.checks
        if not c.passed
    ]
    assert not failed, "; ".join(failed)
