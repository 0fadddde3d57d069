"""The resolved scenario's text is the same whichever YAML emitter writes it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from ecosim.scenario.loader import load_scenario, scenario_text

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(
    [
        *ROOT.glob("scenarios/*.yaml"),
        *ROOT.glob("scenarios/roadmap/*.yaml"),
        ROOT / "tests" / "scenarios" / "small.yaml",
    ]
)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_the_text_is_pyyamls_own_and_reads_back_as_the_scenario(path: Path) -> None:
    loaded = load_scenario(path)
    data = loaded.scenario.model_dump(mode="json", exclude_none=True)
    # the hash of this text names the scenario in results and sweep stores: the faster
    # emitter must not change it
    assert loaded.text == scenario_text(data, yaml.SafeDumper)
    assert yaml.safe_load(loaded.text) == data


def test_unicode_and_awkward_strings_are_written_alike() -> None:
    data = {
        "name": "café: ünïcode — and a dash",
        "notes": ["yes", "no", "null", "1e3", "0x1F", " leading space", "a: b", "#hash", ""],
        "long": "word " * 60,
        "multi": "line one\nline two\n",
        "nested": {"x": [1, 2.5, -0.0, 1e-300, True, None]},
    }
    assert scenario_text(data) == scenario_text(data, yaml.SafeDumper)


def test_the_text_and_its_hash_are_made_when_first_read_and_kept() -> None:
    """A sweep's runs never read a scenario's provenance: loading does not make it."""
    loaded = load_scenario(ROOT / "tests" / "scenarios" / "small.yaml")
    assert "text" not in vars(loaded) and "sha256" not in vars(loaded)
    digest = loaded.sha256
    assert digest == hashlib.sha256(loaded.text.encode()).hexdigest()
    assert vars(loaded)["text"] is loaded.text and loaded.sha256 == digest
    # what a load made eagerly before: the scenario's dump, dumped to YAML
    data = loaded.scenario.model_dump(mode="json", exclude_none=True)
    assert loaded.text == scenario_text(data)
