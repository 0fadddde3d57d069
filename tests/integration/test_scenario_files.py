"""Every shipped scenario file loads, says what it answers, and the EU split runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecosim.api import simulate
from ecosim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
FILES = sorted([*SCENARIOS.glob("*.yaml"), *(SCENARIOS / "roadmap").glob("*.yaml")])
#: One file per question of the source document (seeds/TRACEABILITY.md maps them).
QUESTION_FILES = (
    "baseline",
    "build_vs_buy",
    "interoperability",
    "open_weights",
    "export_controls",
    "cloud_cutoff",
    "taiwan_fab",
    "federated_learning",
    "today",
    "roadmap",
)


def _header(path: Path) -> list[str]:
    """The comment lines at the top of ``path``, without their ``#``."""
    out: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        out.append(line.lstrip("#").strip())
    return out


def test_every_question_has_its_file() -> None:
    """The question files exist, and at least three roadmap portfolios sit beside them."""
    names = {p.stem for p in SCENARIOS.glob("*.yaml")}
    assert set(QUESTION_FILES) <= names, set(QUESTION_FILES) - names
    assert len(list((SCENARIOS / "roadmap").glob("*.yaml"))) >= 3


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_file_loads_and_has_a_header(path: Path) -> None:
    """It validates, and opens with a comment saying the question and how to read it."""
    loaded = load_scenario(path)
    assert loaded.scenario.regions
    header = _header(path)
    assert len(header) >= 3, f"{path.name}: no header comment"
    text = " ".join(header).lower()
    assert "?" in text, f"{path.name}: the header does not state its question"
    assert "ecosim" in text or "read" in text, f"{path.name}: the header does not say how to read"


def test_roadmap_portfolios_extend_the_roadmap_and_differ() -> None:
    """Portfolios share roadmap.yaml's shocks and differ from each other in their levers."""
    common = load_scenario(SCENARIOS / "roadmap.yaml").scenario
    assert "scenarios/roadmap/" in " ".join(_header(SCENARIOS / "roadmap.yaml"))
    seen = []
    for path in sorted((SCENARIOS / "roadmap").glob("*.yaml")):
        s = load_scenario(path).scenario
        assert s.shocks == common.shocks, f"{path.name} changes the shocks"
        key = (s.regions["EU"].levers, tuple(s.actions))
        assert key not in seen, f"{path.name} repeats another portfolio"
        seen.append(key)


def test_export_controls_split_the_eu_and_run() -> None:
    """The diffusion-rule file splits the EU into two tiers that run for a year."""
    loaded = load_scenario(SCENARIOS / "export_controls.yaml", ["horizon_years=1"])
    s = loaded.scenario
    assert "EU" not in s.regions
    assert {"EU_T1", "EU_T2"} <= set(s.regions)
    assert s.regions["EU_T2"].profile == "EU"
    (rule,) = [x for x in s.shocks if x.type == "export_control"]
    assert rule.targets == ["EU_T2"]
    ds = simulate(loaded)
    assert set(ds["region"].values) >= {"EU_T1", "EU_T2"}
    t1 = float(ds["demand"].sel(region="EU_T1").isel(time=0))
    t2 = float(ds["demand"].sel(region="EU_T2").isel(time=0))
    assert t1 == pytest.approx(4 * t2, rel=1e-6)  # the stated 80/20 split
    assert float(ds["service"].sel(region="EU_T2").min()) >= 0.0
