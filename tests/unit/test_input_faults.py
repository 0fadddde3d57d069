"""Faulty scenario input that used to crash, pass silently or blame the wrong file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ecosim.errors import InputError, format_path
from ecosim.scenario.loader import load_scenario
from ecosim.scenario.yamlio import MAX_BYTES, MAX_DEPTH, MAX_NODES, load_shipped_yaml, load_yaml

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(f"extends: {SMALL}\n{text}")
    return path


def _error(path: Path, flags: list[str] | None = None) -> InputError:
    with pytest.raises(InputError) as caught:
        load_scenario(path, flags or [])
    return caught.value


def test_an_impossible_date_is_an_input_error_with_its_place(tmp_path: Path) -> None:
    err = _error(_file(tmp_path, "start: 2025-13-45\n"))
    assert "impossible date '2025-13-45'" in err.found and "line 2" in err.found


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    prev = "a"
    for level in "bcdefghi":
        text += f"{level}: &{level} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        prev = level
    err = _error(_file(tmp_path, text))
    assert f"more than {MAX_NODES:,} values" in err.found


def test_anchors_within_the_limit_still_work() -> None:
    data = load_yaml("base: &b {x: 1, y: [1, 2]}\ncopy: *b\n")
    assert data["copy"] == {"x": 1, "y": [1, 2]}


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    depth = 500
    body = "z:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(depth))
    err = _error(_file(tmp_path, body + "  " * (depth + 1) + "1\n"))
    assert f"nesting deeper than {MAX_DEPTH} levels" in err.found


def test_a_huge_file_is_refused_unread(tmp_path: Path) -> None:
    err = _error(_file(tmp_path, "description: '" + "x" * (MAX_BYTES + 10) + "'\n"))
    assert "byte limit" in err.found


@pytest.mark.parametrize(
    ("text", "path", "expected"),
    [
        ("horizon_years: true\n", "horizon_years", "a number"),
        ("recording: {twin: 1}\n", "recording.twin", "true or false"),
        ("regions: {US: 5}\n", "regions.US", "a mapping of the region's settings"),
        ("regions: {US: [1, 2]}\n", "regions.US", "a mapping of the region's settings"),
        ("suppliers: [1]\n", "suppliers", "a dictionary"),
        ("shocks: {a: 1}\n", "shocks", "a list"),
    ],
)
def test_wrong_shapes_and_bools_are_input_errors(
    tmp_path: Path, text: str, path: str, expected: str
) -> None:
    err = _error(_file(tmp_path, text))
    assert err.source == str(tmp_path / "s.yaml")
    assert ".".join(str(p) for p in err.path) == path and expected in err.expected


OUTAGE = "{{id: {id}, type: outage, providers: [aws], capacity_loss: 0.5, start: {when},"
OUTAGE += " duration: {{kind: fixed, days: 3}}}}"


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (f"shocks: [{OUTAGE.format(id='early', when='2024-12-31')}]\n", "shocks.early.start"),
        (
            "actions: [{date: 2024-06-01, set: {regions.US.levers.build_share: 0.5}}]\n",
            "actions[0].date",
        ),
        (
            "regions: {US: {levers: {ai_factories: [{count: 1, size_h100e: 1000,"
            " start: 2024-01-01, lead_time_days: 100}]}}}\n",
            "regions.US.levers.ai_factories[0].start",
        ),
    ],
)
def test_a_date_before_the_start_is_an_input_error(tmp_path: Path, text: str, path: str) -> None:
    err = _error(_file(tmp_path, text))
    assert format_path(err.path) == path
    assert "on or after the scenario's start (2025-01-01)" in err.expected


def test_a_date_after_the_horizon_runs_and_warns(tmp_path: Path) -> None:
    late = OUTAGE.format(id="late", when="2027-01-01")
    loaded = load_scenario(_file(tmp_path, f"shocks: [{late}]\n"))
    assert loaded.warnings == [
        "shock 'late' is dated 2027-01-01, after the horizon (2026-01-01): it does not occur"
    ]


def test_setting_inside_a_removed_region_does_not_bring_it_back() -> None:
    err = _error(SMALL, ["regions.EU.levers.build_share=0.5"])
    assert err.source == "--set" and err.found == "EU" and "regions.EU={}" in err.hint
    # adding it first is how to bring it back
    s = load_scenario(SMALL, ["regions.EU={}", "regions.EU.levers.build_share=0.5"]).scenario
    assert s.regions["EU"].levers.build_share == 0.5


def test_a_reference_to_a_removed_region_names_who_removed_it() -> None:
    err = _error(SMALL, ["regions.US=null"])
    assert err.found == "US" and err.hint == "--set removed region US"


def test_a_shock_without_id_is_blamed_on_the_file_that_gave_the_list(tmp_path: Path) -> None:
    # the child replaces its parent's list of shocks: the parent has no part in the error
    err = _error(
        _file(
            tmp_path,
            "shocks:\n  - {type: outage, providers: [aws], capacity_loss: 0.5,"
            " start: 2025-03-01, duration: {kind: fixed, days: 3}}\n",
        )
    )
    assert err.source == str(tmp_path / "s.yaml") and format_path(err.path) == "shocks[0].id"


def test_an_initial_share_of_a_provider_absent_from_the_region_is_an_input_error(
    tmp_path: Path,
) -> None:
    text = "regions: {TW: {cloud: {initial_shares: {aws: 0.2, alibaba: 0.1}}}}\n"
    err = _error(_file(tmp_path, text))
    assert format_path(err.path) == "regions.TW.cloud.initial_shares.alibaba"
    assert err.expected.startswith("a cloud provider operating in TW (")


def test_a_profile_share_of_a_provider_absent_from_the_world_goes_to_the_others(
    tmp_path: Path,
) -> None:
    # FR starts from the EU profile; the EU is not in this world, so neither are its providers
    path = _file(tmp_path, "regions: {FR: {profile: EU}}\n")
    s = load_scenario(path).scenario
    shares = s.regions["FR"].cloud.initial_shares
    assert not {"ovhcloud", "deutsche_telekom", "eu_others"} & set(shares)
    assert sum(shares.values()) == pytest.approx(1.0)
    # the EU's proportions among the providers that remain are kept
    assert shares["aws"] / shares["azure"] == pytest.approx(0.32 / 0.26)
    # and a provider that operates in the EU operates in a region built from its profile
    assert "FR" in s.suppliers["aws"].present_in  # type: ignore[union-attr]


def test_initial_shares_that_do_not_sum_to_one_are_an_input_error(tmp_path: Path) -> None:
    # US lists aws, azure, gcp, oracle and us_others; raising AWS alone breaks the sum
    err = _error(_file(tmp_path, "regions: {US: {cloud: {initial_shares: {aws: 0.5}}}}\n"))
    assert format_path(err.path) == "regions.US.cloud.initial_shares"
    assert err.expected == "shares summing to 1"
    assert err.found == "a sum of 1.2"


def test_segment_shares_must_name_every_segment(tmp_path: Path) -> None:
    err = _error(
        _file(tmp_path, "uncertainties: {market: {segments: {ai_labs: null}}}\n"),
    )
    assert "segment" in format_path(err.path) or "segment" in str(err)


def test_the_shipped_files_reader_reads_as_the_scenario_reader() -> None:
    # the defaults and every shipped scenario and calibrated file, read both ways
    root = Path(__file__).resolve().parents[2]
    files = [
        root / "calibration" / "defaults.yaml",
        *sorted((root / "calibration" / "calibrated").glob("*.yaml")),
        *sorted((root / "scenarios").rglob("*.yaml")),
    ]
    assert len(files) > 10
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert load_shipped_yaml(text) == load_yaml(text), path.name
    # YAML 1.2 floats and dates as the scenario reader reads them, impossible dates refused
    assert load_shipped_yaml("a: 1e6\nb: 2025-01-02\n") == load_yaml("a: 1e6\nb: 2025-01-02\n")
    assert isinstance(load_shipped_yaml("a: 4.2e-3\n")["a"], float)
    with pytest.raises(yaml.YAMLError, match="impossible date"):
        load_shipped_yaml("start: 2025-13-45\n")


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (
            "regions: {TW: {levers: {alliance: [Atlantis]}}}\n",
            ["regions", "TW", "levers", "alliance"],
        ),
        (
            "regions: {TW: {levers: {interoperability: {Atlantis: 0.5}}}}\n",
            ["regions", "TW", "levers", "interoperability"],
        ),
        (
            "actions: [{date: 2026-01-01, set: {regions.TW.levers.alliance: [Atlantis]}}]\n",
            ["actions", 0, "set", "regions.TW.levers.alliance"],
        ),
    ],
)
def test_a_partner_that_is_no_region_is_refused_where_it_is_named(
    tmp_path: Path, text: str, path: list[str | int]
) -> None:
    # the levers that name partners declare it (Lever(names=REGION)); the loader reads that
    err = _error(_file(tmp_path, text))
    assert err.path == path
    assert err.found == "Atlantis"
    assert err.expected.startswith("a region of this scenario (")
