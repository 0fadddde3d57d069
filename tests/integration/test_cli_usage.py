"""The command line as its users meet it: help, version, and results never replaced silently.

Help and version run in this process through typer's test runner (they start no simulation);
the commands that write results run as subprocesses, as a user runs them.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecosim.api import ecosim_version
from ecosim.calibrate.episodes import CheckResult, load_episode, run_episode
from ecosim.cli import app
from ecosim.report.provenance import assumption_entries

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
#: The order of a study: check, run, look, compare, sweep, analyze; then the tools (the page
#: among them).
ORDER = [
    "validate",
    "run",
    "plot",
    "report",
    "show",
    "compare",
    "sweep",
    "status",
    "analyze",
    "export",
    "calibrate",
    "serve",
    "schema",
]
#: A short run of the small world: a few seconds.
QUICK = ["--set", "horizon_years=0.1", "--no-figure", "--quiet"]


def ecosim(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``python -m ecosim ARGS`` in ``cwd``, without colour."""
    env = dict(os.environ, NO_COLOR="1")  # keeps the session's NUMBA_CACHE_DIR
    env.pop("FORCE_COLOR", None)
    proc = subprocess.run(
        [sys.executable, "-m", "ecosim", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    proc.stdout, proc.stderr = ANSI.sub("", proc.stdout), ANSI.sub("", proc.stderr)
    return proc


def help_text(*args: str, columns: int = 100) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], prog_name="ecosim", terminal_width=columns)
    assert result.exit_code == 0, result.output
    return ANSI.sub("", result.output)


# --------------------------------------------------------------------------- help and version


def test_version_prints_the_installed_version() -> None:
    proc = ecosim("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"ecosim {ecosim_version()}"
    assert re.fullmatch(r"ecosim \d+\.\d+\S*", proc.stdout.strip())


def test_help_lists_the_commands_in_workflow_order() -> None:
    text = help_text()
    section = text.split("Commands:", 1)[1]
    listed = re.findall(r"^  (\w+)  ", section, flags=re.MULTILINE)
    assert listed == ORDER
    assert "--version" in text


@pytest.mark.parametrize("command", ORDER)
def test_help_names_values_as_click_does(command: str) -> None:
    text = help_text(command)
    # typer's own spelling of types and required arguments
    assert "<bool>" not in text and "<path>" not in text and "<int" not in text, text
    assert "{" not in text.splitlines()[0], text
    assert text.startswith(f"Usage: ecosim {command} [OPTIONS]")


def test_usage_lines_name_scenario_and_result() -> None:
    assert help_text("run").splitlines()[0] == "Usage: ecosim run [OPTIONS] SCENARIO"
    assert help_text("validate").splitlines()[0] == "Usage: ecosim validate [OPTIONS] [SCENARIO]"
    assert help_text("compare").splitlines()[0] == "Usage: ecosim compare [OPTIONS] SCENARIO..."
    assert help_text("plot").splitlines()[0] == "Usage: ecosim plot [OPTIONS] RESULT"
    assert help_text("report").splitlines()[0] == "Usage: ecosim report [OPTIONS] RESULT"
    run = help_text("run")
    assert re.search(r"^  --figure / --no-figure  ", run, flags=re.MULTILINE)
    assert re.search(r"^  -o, --out FILE  ", run, flags=re.MULTILINE)


def test_help_paragraphs_are_wrapped_to_the_terminal() -> None:
    narrow = help_text("run", columns=60)
    wide = help_text("run", columns=100)
    assert max(len(line) for line in narrow.splitlines()) <= 60
    # the docstring's own line breaks are gone: a paragraph fills the wider terminal
    assert len(wide.splitlines()) < len(narrow.splitlines())
    assert "most fragile layer is the most fragile" not in " ".join(wide.split())
    assert "share of replicates in which that layer is the most fragile" in " ".join(wide.split())


# --------------------------------------------------------------------------- no silent overwrite


def test_a_second_run_does_not_replace_the_first(tmp_path: Path) -> None:
    first = ecosim("run", SMALL, *QUICK, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    result = tmp_path / "outputs" / "small.nc"
    before = result.read_bytes()

    again = ecosim("run", SMALL, *QUICK, "--seed", "9", cwd=tmp_path)
    assert again.returncode == 2, again.stderr
    assert "Traceback" not in again.stderr
    # one error line (after the warnings about shocks the short run leaves out)
    errors = [x for x in again.stderr.splitlines() if x.startswith("error:")]
    assert len(errors) == 1, again.stderr
    message = errors[0]
    assert "outputs/small.nc" in message and "--force" in message and "--out" in message
    assert result.read_bytes() == before
    assert sorted(p.name for p in result.parent.iterdir()) == ["small.nc"]

    forced = ecosim("run", SMALL, *QUICK, "--seed", "9", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert result.read_bytes() != before


def test_run_refuses_a_heatmap_it_would_replace(tmp_path: Path) -> None:
    heatmap = tmp_path / "mine_bottleneck.png"
    heatmap.write_bytes(b"an earlier figure")
    proc = ecosim("run", SMALL, "--out", tmp_path / "mine.nc", "--set", "horizon_years=0.1")
    assert proc.returncode == 2, proc.stderr
    assert "mine_bottleneck.png" in proc.stderr and "--force" in proc.stderr
    assert heatmap.read_bytes() == b"an earlier figure"
    assert not (tmp_path / "mine.nc").exists()


@pytest.mark.parametrize(
    ("existing", "flags"),
    [
        ("compare.nc", []),
        ("compare_cost_resilience.png", []),
        ("sovereignty_value.nc", ["--sovereignty-value"]),
        ("alliance_gain.svg", ["--alliance-gain"]),
    ],
)
def test_compare_does_not_replace_an_earlier_comparison(
    tmp_path: Path, existing: str, flags: list[str]
) -> None:
    earlier = tmp_path / existing
    earlier.write_text("an earlier result")
    proc = ecosim("compare", SMALL, *flags, "--out", tmp_path, "--quiet")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert existing in proc.stderr and "--force" in proc.stderr
    assert earlier.read_text() == "an earlier result"
    assert [p.name for p in tmp_path.iterdir()] == [existing]


def test_make_run_passes_force_so_the_quick_start_can_be_repeated() -> None:
    makefile = (ROOT / "Makefile").read_text()
    line = next(x for x in makefile.splitlines() if "ecosim run scenarios/baseline.yaml" in x)
    assert "--out outputs/baseline.nc" in line and "--force" in line


# --------------------------------------------------------------------------- validate


def test_one_sided_checks_show_their_bound_not_plus_minus() -> None:
    result, _ = run_episode(load_episode("v5_outages"))
    sides = {c.compare for c in result.checks}
    assert {"within", "at_least"} <= sides
    for c in result.checks:
        if c.compare == "at_least":
            assert c.bound == f"≥ {c.observed - c.tolerance:.4g}"
        else:
            assert c.bound.startswith("±")
    proc = ecosim("validate", "--episode", "v5_outages")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "≥ 8" in proc.stdout and "passes if" in proc.stdout


def test_an_at_most_check_reads_as_an_upper_bound() -> None:
    check = CheckResult(
        "e", "s", "crossing", 10.0, 3.0, 2.0, "days", True, 0.0, (), "", compare="at_most"
    )
    assert check.bound == "≤ 12"
    assert CheckResult("e", "s", "x", 10.0, 3.0, 2.0, "d", False, 3.5, (), "").bound == "±2"


def test_provenance_csv_lists_every_default_number(tmp_path: Path) -> None:
    target = tmp_path / "defaults.csv"
    proc = ecosim("validate", "--provenance", "--csv", target)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.strip().splitlines()) == 2, proc.stdout
    with target.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    share = assumption_entries()
    assert [r["key"] for r in rows] == [e.path for e in share.numeric]
    assert {r["provenance"] for r in rows} == {"fact", "assumption"}
    assumed = [r for r in rows if r["provenance"] == "assumption"]
    assert len(assumed) == len(share.assumed)
    assert all(r["reason"] for r in assumed)
    first = share.assumed[0]
    row = next(r for r in rows if r["key"] == first.path)
    assert row["value"] == str(first.value) and row["reason"] == first.assumption
    facts = [r for r in rows if r["provenance"] == "fact"]
    assert facts and all(r["reason"].startswith("calibration/facts.csv: ") for r in facts)
    assert [p.name for p in tmp_path.iterdir()] == ["defaults.csv"]


def test_provenance_csv_refuses_bad_flags(tmp_path: Path) -> None:
    alone = ecosim("validate", "--csv", tmp_path / "x.csv")
    assert alone.returncode == 2 and "--csv" in alone.stderr and "--provenance" in alone.stderr
    missing = ecosim("validate", "--provenance", "--csv", tmp_path / "no" / "x.csv")
    assert missing.returncode == 2 and "--csv" in missing.stderr
    assert list(tmp_path.iterdir()) == []
