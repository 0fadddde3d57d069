"""The real ``ecosim`` command on bad input: exit code 2, one clear line, no traceback, no file.

Each case runs ``python -m ecosim`` in a subprocess from the repository root with the test
session's environment (so the Numba cache the session warmed is the one the child sees). Bad
input is rejected before any simulation starts, so each call takes well under a second or two.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ecosim.scenario.defaults import iter_provenance, load_defaults_raw
from ecosim.scenario.loader import load_scenario
from ecosim.scenario.models import Scenario

ROOT = Path(__file__).resolve().parents[2]
SMALL = "tests/scenarios/small.yaml"
BASELINE = "scenarios/baseline.yaml"
EXIT_BAD_INPUT = 2
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TIMEOUT_S = 60


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def both(self) -> str:
        return self.out + self.err


def ecosim(*args: str | Path, columns: int | None = None) -> Result:
    """Run ``python -m ecosim ARGS`` from the repository root."""
    env = dict(os.environ)
    env["NO_COLOR"] = "1"
    env.pop("FORCE_COLOR", None)
    if columns:
        env["COLUMNS"] = str(columns)
    proc = subprocess.run(
        [sys.executable, "-m", "ecosim", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    return Result(proc.returncode, ANSI.sub("", proc.stdout), ANSI.sub("", proc.stderr))


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- bad input


@dataclass(frozen=True)
class Case:
    """A bad ``ecosim run``: how to build its arguments and what stderr must name."""

    args: Callable[[Path], list[str | Path]]
    #: substrings of stderr; ``{tmp}`` is replaced by the test's folder
    names: tuple[str, ...]


def _file(name: str, text: str) -> Callable[[Path], list[str | Path]]:
    def build(tmp: Path) -> list[str | Path]:
        return ["run", write(tmp, name, text), "--out", tmp / "x.nc"]

    return build


def _small(*extra: str) -> Callable[[Path], list[str | Path]]:
    def build(tmp: Path) -> list[str | Path]:
        return ["run", SMALL, *extra, "--out", tmp / "x.nc"]

    return build


MARS = (
    "name: s\nregions: {US: {}, TW: {}}\nshocks:\n"
    "  - {id: cut, type: cloud_cutoff, providers: [aws], regions: [Mars],\n"
    "     start: 2025-04-01, duration: {kind: permanent}}\n"
)

CASES: dict[str, Case] = {
    "invalid_yaml": Case(
        _file("bad.yaml", "name: s\nregions: {US: {levers: {build_share: [1, }}\n"),
        ("{tmp}/bad.yaml", "<top level>", "expected valid YAML", "line 2, column"),
    ),
    "unknown_key": Case(
        _file("typo.yaml", "name: s\nregions: {US: {levers: {bild_share: 0.5}}}\n"),
        ("{tmp}/typo.yaml", "regions.US.levers.bild_share", "expected a known key", "found"),
    ),
    "out_of_range_set": Case(
        _small("--set", "regions.US.levers.build_share=1.5"),
        ("--set", "regions.US.levers.build_share", "expected a number <= 1", "found 1.5"),
    ),
    "negative_capacity_set": Case(
        _small("--set", "regions.CN.compute.own_h100e=-10"),
        ("--set", "regions.CN.compute.own_h100e", ">= 0", "found -10"),
    ),
    "shock_missing_region": Case(
        _file("mars.yaml", MARS),
        ("{tmp}/mars.yaml", "shocks.cut.regions", "expected a region", "found Mars"),
    ),
    "shock_missing_region_set": Case(
        _small("--set", "shocks.cn_controls.targets=[Atlantis]"),
        ("--set", "shocks.cn_controls", "expected a region", "found Atlantis"),
    ),
    "unknown_shock_id_set": Case(
        _small("--set", "shocks.nope.capacity_loss=0.1"),
        ("--set", "shocks.nope", "fab_quake", "found nope"),
    ),
    "missing_file": Case(
        lambda tmp: ["run", tmp / "nothere.yaml", "--out", tmp / "x.nc"],
        ("{tmp}/nothere.yaml", "expected an existing scenario file", "found no file"),
    ),
    "bad_set_syntax": Case(
        _small("--set", "regions.US.levers.build_share"),
        ("--set", "expected KEY.PATH=VALUE", "found 'regions.US.levers.build_share'"),
    ),
    "non_mapping": Case(
        _file("list.yaml", "- a\n- b\n"),
        ("{tmp}/list.yaml", "<top level>", "expected a mapping", "found list"),
    ),
    "out_is_directory": Case(
        lambda tmp: ["run", SMALL, "--out", tmp],
        ("--out", "expected a file path", "found the directory {tmp}"),
    ),
    "out_wrong_suffix": Case(
        lambda tmp: ["run", SMALL, "--out", tmp / "x.txt"],
        ("--out", "expected a NetCDF file name ending in .nc", "{tmp}/x.txt"),
    ),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_bad_input_exits_2_with_one_clear_line(tmp_path: Path, case: Case) -> None:
    args = case.args(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = ecosim(*args)
    assert result.code == EXIT_BAD_INPUT, result.both
    assert "Traceback" not in result.both
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: "), result.err
    for piece in case.names:
        assert piece.replace("{tmp}", str(tmp_path)) in lines[0], (piece, result.err)
    after = sorted(p.name for p in tmp_path.iterdir())
    assert after == before, "the run wrote files despite bad input"


def test_validate_reports_bad_input_the_same_way(tmp_path: Path) -> None:
    bad = write(tmp_path, "typo.yaml", "name: s\nregions: {US: {levers: {bild_share: 0.5}}}\n")
    result = ecosim("validate", bad)
    assert result.code == EXIT_BAD_INPUT
    assert "Traceback" not in result.both
    assert result.err.strip() == (
        f"error: {bad}: regions.US.levers.bild_share: expected a known key (this one is not "
        "part of the scenario schema; check its spelling), found unknown key 'bild_share'"
    )


def test_unknown_flag_exits_2_without_traceback(tmp_path: Path) -> None:
    result = ecosim("run", SMALL, "--bogus", "--out", tmp_path / "x.nc")
    assert result.code == EXIT_BAD_INPUT
    assert "Traceback" not in result.both
    assert "--bogus" in result.err
    assert list(tmp_path.iterdir()) == []


def test_negative_seed_exits_2_without_traceback(tmp_path: Path) -> None:
    result = ecosim("run", SMALL, "--seed", "-1", "--out", tmp_path / "x.nc")
    assert result.code == EXIT_BAD_INPUT
    assert "Traceback" not in result.both
    assert "--seed" in result.err
    assert list(tmp_path.iterdir()) == []


def test_validate_an_unknown_episode_exits_2() -> None:
    result = ecosim("validate", "--episode", "no_such_episode")
    assert result.code == EXIT_BAD_INPUT
    assert "Traceback" not in result.both
    assert "no_such_episode" in result.err
    assert "episode" in result.err


# --------------------------------------------------------------------------- good input


def test_help_lists_the_commands() -> None:
    result = ecosim("--help")
    assert result.code == 0, result.both
    for command in ("run", "validate", "schema"):
        assert command in result.out


def test_run_help_shows_an_example() -> None:
    result = ecosim("run", "--help", columns=200)
    assert result.code == 0, result.both
    assert "Example" in result.out
    for option in ("--out", "--seed", "--set"):
        assert option in result.out


def test_schema_prints_valid_json() -> None:
    result = ecosim("schema")
    assert result.code == 0, result.both
    schema = json.loads(result.out)
    assert {"regions", "shocks"} <= set(schema["properties"])
    assert schema == json.loads(json.dumps(Scenario.model_json_schema()))


def test_validate_accepts_the_baseline() -> None:
    result = ecosim("validate", BASELINE)
    assert result.code == 0, result.both
    assert "Traceback" not in result.both
    sha = load_scenario(ROOT / BASELINE).sha256
    assert "ok" in result.out and "9 regions" in result.out and "3 shocks" in result.out
    assert sha[:12] in result.out


def test_validate_applies_set_overrides() -> None:
    ok = ecosim("validate", BASELINE, "--set", "seed=7")
    assert ok.code == 0, ok.both
    assert load_scenario(ROOT / BASELINE, ["seed=7"]).sha256[:12] in ok.out
    bad = ecosim("validate", BASELINE, "--set", "regions.EU.levers.build_share=-0.1")
    assert bad.code == EXIT_BAD_INPUT
    assert "--set: regions.EU.levers.build_share" in bad.err


SHARE = re.compile(r"(\d+) of (\d+) default numbers are assumptions \((\d+)%\)")


def test_validate_provenance_lists_assumptions_and_their_share() -> None:
    result = ecosim("validate", "--provenance", columns=400)
    assert result.code == 0, result.both
    assert "Traceback" not in result.both
    assert "Defaults resting on assumptions" in result.out
    assumed = [
        e
        for e in iter_provenance(load_defaults_raw())
        if isinstance(e.value, int | float) and not isinstance(e.value, bool)
        if e.assumption and not e.fact
    ]
    assert assumed
    for entry in (assumed[0], assumed[-1]):
        assert entry.path in result.out
        # the reason column may wrap, so look for its words
        assert all(word in result.out for word in str(entry.assumption).split()), entry
    match = SHARE.search(result.out)
    assert match, result.out[-500:]
    n_assumed, n_total, percent = map(int, match.groups())
    assert 0 < n_assumed <= n_total
    assert percent == round(100 * n_assumed / n_total)


def test_validate_provenance_counts_every_default_number() -> None:
    def number(v: object) -> bool:
        if isinstance(v, bool):
            return False
        if isinstance(v, int | float):
            return True
        if isinstance(v, list):
            return all(number(x) for x in v)
        try:
            float(str(v))
        except ValueError:
            return False
        return True

    total = sum(1 for e in iter_provenance(load_defaults_raw()) if number(e.value))
    match = SHARE.search(ecosim("validate", "--provenance").out)
    assert match
    assert int(match.group(2)) == total


def test_error_message_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    bad = write(
        tmp_path,
        "mars.yaml",
        "name: s\nregions: {US: {}, CN: {}, TW: {}}\nshocks:\n"
        "  - {id: cut, type: cloud_cutoff, providers: [aws], regions: [Mars],\n"
        "     start: 2025-04-01, duration: {kind: permanent}}\n",
    )
    messages = set()
    for seed in ("0", "1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "NO_COLOR": "1"}
        proc = subprocess.run(
            [sys.executable, "-m", "ecosim", "validate", str(bad)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        assert proc.returncode == EXIT_BAD_INPUT
        messages.add(proc.stderr.strip())
    # the allowed names come in scenario order, whatever the hash seed
    assert messages == {
        f"error: {bad}: shocks.cut.regions: expected a region of this scenario (US, CN, TW), "
        "found Mars"
    }
