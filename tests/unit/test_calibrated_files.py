"""Calibrated-value files: named by a scenario's ``calibration:``, applied under its own values."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ecosim.calibrate.fit import nest
from ecosim.errors import InputError
from ecosim.scenario.calibrated import as_overrides, calibrated_values, is_calibrated_file
from ecosim.scenario.loader import load_scenario
from tests.conftest import BASELINE

PROV = "#| provenance:\n#|   written_by: ecosim calibrate\n"


def _cal(path: Path, body: dict[str, object], extends: str | None = None) -> Path:
    data = dict(body)
    if extends:
        data["extends"] = extends
    path.write_text(PROV + yaml.safe_dump(data), encoding="utf-8")
    return path


def _scenario(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(f"extends: {BASELINE}\nname: s\n{text}", encoding="utf-8")
    return p


def test_the_baseline_runs_with_the_shipped_calibration() -> None:
    text = BASELINE.read_text(encoding="utf-8")
    assert "calibration:" in text
    shipped = (BASELINE.parent / text.split("calibration:")[1].split()[0]).resolve()
    assert is_calibrated_file(shipped)
    s = load_scenario(BASELINE).scenario
    values = dict((".".join(k), v) for k, v in calibrated_values(shipped))
    assert s.uncertainties.market.reselect_share == values["uncertainties.market.reselect_share"]


def test_values_sit_under_the_files_and_under_set(tmp_path: Path) -> None:
    cal = _cal(
        tmp_path / "c.yaml",
        {"regions": {"EU": {"cloud": {"sovereignty_pref": 0.11, "switching_cost": 3.3}}}},
    )
    p = _scenario(
        tmp_path, f"calibration: {cal.name}\nregions:\n  EU:\n    cloud: {{switching_cost: 1.7}}\n"
    )
    eu = load_scenario(p).scenario.regions["EU"].cloud
    assert eu.sovereignty_pref == 0.11  # from the calibration
    assert eu.switching_cost == 1.7  # the file's own value wins
    eu = load_scenario(p, ["regions.EU.cloud.sovereignty_pref=0.5"]).scenario.regions["EU"].cloud
    assert eu.sovereignty_pref == 0.5


def test_a_value_for_a_removed_region_or_absent_shock_is_left_out(tmp_path: Path) -> None:
    cal = _cal(
        tmp_path / "c.yaml",
        {
            "regions": {"JP": {"cloud": {"sovereignty_pref": 0.9}}},
            "shocks": {"no_such_shock": {"factor": 2.0}, "quake": {"capacity_loss": 0.25}},
        },
    )
    p = _scenario(
        tmp_path,
        f"calibration: {cal.name}\nregions: {{JP: null}}\nshocks:\n"
        "  - {id: quake, type: fab_disruption, suppliers: [tsmc], start: 2026-01-01,\n"
        "     duration: {kind: fixed, days: 30}}\n",
    )
    s = load_scenario(p).scenario
    assert "JP" not in s.regions
    (quake,) = s.shocks
    assert quake.capacity_loss == 0.25  # shocks are addressed by id


def test_a_shock_value_the_file_sets_wins_over_the_calibration(tmp_path: Path) -> None:
    cal = _cal(tmp_path / "c.yaml", {"shocks": {"taiwan_fab": {"capacity_loss": 0.25}}})
    s = load_scenario(_scenario(tmp_path, f"calibration: {cal.name}\n")).scenario
    fab = next(x for x in s.shocks if x.id == "taiwan_fab")
    assert fab.capacity_loss == 0.6  # set in scenarios/baseline.yaml


def test_a_chain_of_calibrated_files_applies_oldest_first(tmp_path: Path) -> None:
    first = _cal(tmp_path / "a.yaml", {"uncertainties": {"market": {"reselect_share": 0.2}}})
    second = _cal(
        tmp_path / "b.yaml",
        {"regions": {"EU": {"cloud": {"sovereignty_pref": 0.3}}}},
        extends=first.name,
    )
    third = _cal(
        tmp_path / "c.yaml",
        {"uncertainties": {"market": {"reselect_share": 0.05}}},
        extends=second.name,
    )
    got = as_overrides(calibrated_values(third))
    assert got == [
        "uncertainties.market.reselect_share=0.2",
        "regions.EU.cloud.sovereignty_pref=0.3",
        "uncertainties.market.reselect_share=0.05",
    ]
    # a chain stops at a scenario file: what a calibration was fitted against is no value source
    (tmp_path / "plain.yaml").write_text("name: plain\nseed: 3\n", encoding="utf-8")
    fourth = _cal(tmp_path / "d.yaml", {"seed": 9}, extends="plain.yaml")
    assert as_overrides(calibrated_values(fourth)) == ["seed=9"]


def test_a_missing_calibration_names_the_scenario_file_and_key(tmp_path: Path) -> None:
    p = _scenario(tmp_path, "calibration: nowhere.yaml\n")
    with pytest.raises(InputError) as exc:
        load_scenario(p)
    assert exc.value.source == str(p) and exc.value.path == ["calibration"]
    assert "nowhere.yaml" in exc.value.found


def test_a_calibration_that_is_not_a_file_name_is_an_input_error(tmp_path: Path) -> None:
    p = _scenario(tmp_path, "calibration: [a, b]\n")
    with pytest.raises(InputError) as exc:
        load_scenario(p)
    assert exc.value.path == ["calibration"] and "file name" in exc.value.expected


def test_fitted_shock_values_are_written_keyed_by_id() -> None:
    tree = nest({"shocks.pandemic.factor": 1.4, "uncertainties.market.reselect_share": 0.1})
    assert tree == {
        "shocks": {"pandemic": {"factor": 1.4}},
        "uncertainties": {"market": {"reselect_share": 0.1}},
    }
