"""The scenario package stands below the world: it imports nothing from the layers above it.

Shock types and levers are declared in ``ecosim.scenario`` and the world registers its
behaviour against those declarations, never the other way round.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = sorted((ROOT / "ecosim" / "scenario").glob("*.py"))
ABOVE = ("ecosim.world", "ecosim.engine", "ecosim.observe")


def _imports(path: Path) -> list[str]:
    """Every module ``path`` imports, at any depth (type-checking imports included)."""
    out: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
            out.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return out


def test_the_scenario_package_has_modules() -> None:
    assert any(p.name == "models.py" for p in SCENARIO)


@pytest.mark.parametrize("path", SCENARIO, ids=lambda p: p.name)
def test_a_scenario_module_imports_nothing_above_it(path: Path) -> None:
    above = [m for m in _imports(path) if m.startswith(ABOVE)]
    assert not above, f"{path.name} imports {above}"
