"""docs/scenarios.md is exactly what docs/gen_scenarios_md.py writes from the current schema.

When this fails, regenerate the reference and commit it with the model change:

    .venv/bin/python docs/gen_scenarios_md.py
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "gen_scenarios_md.py"
TARGET = ROOT / "docs" / "scenarios.md"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_scenarios_md", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_scenario_reference_is_up_to_date() -> None:
    """The committed reference matches the script's output for the current schema."""
    expected = _generator().render()
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
    assert current == expected, (
        "docs/scenarios.md is out of date with the scenario schema; "
        "regenerate it with: .venv/bin/python docs/gen_scenarios_md.py"
    )


def test_reference_covers_every_shock_type_and_lever() -> None:
    """Every shock type and lever of the models has its row (the script walks all of them)."""
    from ecosim.scenario.models import SHOCK_TYPES, Levers

    text = _generator().render()
    for shock in SHOCK_TYPES:
        assert f"## {shock.__name__}\n" in text
    for lever in Levers.model_fields:
        assert f"| `{lever}` |" in text
