"""Every part of the world's state has one owner: only its module writes it.

Each field of :class:`ecosim.world.state.World` names its owner module in its metadata. This
test reads every module of ``ecosim`` and finds the writes to world fields — assignments,
augmented assignments, writes into elements, in-place methods (``append``, ``fill``...),
``numpy`` ``ufunc.at`` and ``out=`` — through the names a world goes by (``w``, ``world``,
``self.world``; ``self`` inside :mod:`ecosim.world.state`). Writes through other aliases are
not seen; the names above are the project's convention.
"""

from __future__ import annotations

import ast
from dataclasses import fields
from pathlib import Path

import pytest

from ecosim.world.state import World, owner_of

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ecosim"
WORLD = PACKAGE / "world"
FIELDS = {f.name for f in fields(World)}
IN_PLACE = {"append", "extend", "pop", "insert", "remove", "clear", "fill", "sort", "setdefault"}


def _world_field(node: ast.AST, module: str) -> str | None:
    """The world field ``node`` (a target or receiver) writes into, if any."""
    while isinstance(node, ast.Subscript | ast.Attribute):
        if isinstance(node, ast.Attribute) and node.attr in FIELDS:
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in {"w", "world"}:
                return node.attr
            if isinstance(owner, ast.Attribute) and owner.attr == "world":
                return node.attr
            if module == "state" and isinstance(owner, ast.Name) and owner.id == "self":
                return node.attr
        node = node.value
    return None


def writes(path: Path) -> list[tuple[str, int]]:
    """``(field, line)`` of every write to a world field in the module at ``path``."""
    module = path.stem
    found: list[tuple[str, int]] = []

    def note(target: ast.AST, line: int) -> None:
        for sub in target.elts if isinstance(target, ast.Tuple) else [target]:
            name = _world_field(sub, module)
            if name is not None:
                found.append((name, line))

    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                note(target, node.lineno)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            note(node.target, node.lineno)
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in IN_PLACE:
                note(func.value, node.lineno)
            if isinstance(func, ast.Attribute) and func.attr == "at" and node.args:
                note(node.args[0], node.lineno)
            for kw in node.keywords:
                if kw.arg == "out":
                    note(kw.value, node.lineno)
    return found


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def test_every_field_names_an_owner_module_that_exists() -> None:
    for name in FIELDS:
        owner = owner_of(name)
        assert (WORLD / f"{owner}.py").is_file(), (name, owner)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_owner_writes(path: Path) -> None:
    in_world = path.parent == WORLD
    wrong = [
        f"{path.relative_to(ROOT)}:{line} writes {name} (owner: {owner_of(name)})"
        for name, line in writes(path)
        if not (in_world and path.stem in {owner_of(name), "build"})
    ]
    assert not wrong, "\n".join(wrong)


def test_the_scan_sees_each_kind_of_write(tmp_path: Path) -> None:
    """The scanner itself: a module that writes in every way is caught every time."""
    bad = tmp_path / "cloud.py"
    bad.write_text(
        "import numpy as np\n"
        "def f(w, sim, self):\n"
        "    w.talent = 1\n"
        "    w.talent[0] += 1\n"
        "    w.projects[0].delivered = 2\n"
        "    w.frontier_t.append(3)\n"
        "    np.add.at(w.control_cost, [0], 1.0)\n"
        "    np.multiply(w.demand, 2, out=w.demand)\n"
        "    sim.world.stockpile[:] = 0\n"
        "    x = w.talent[0]\n"
    )
    assert [name for name, _ in sorted(writes(bad), key=lambda x: x[1])] == [
        "talent",
        "talent",
        "projects",
        "frontier_t",
        "control_cost",
        "demand",
        "stockpile",
    ]
