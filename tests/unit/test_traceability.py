"""``seeds/TRACEABILITY.md`` is true: every file, test, name and fact it points to exists.

The map says, for each point of the source document, which scenario poses it, which module
models it and which test holds it. A file moved or a test renamed makes the map lie; so does a
claim about a name the code does not have (a variable, a class, a lever). This test reads every
name the map quotes in backticks and every fact id it cites.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAP = ROOT / "seeds" / "TRACEABILITY.md"
TEXT = MAP.read_text(encoding="utf-8")
#: Where a name the map quotes may live: the package, the defaults, the scenario files.
SOURCES = "\n".join(
    p.read_text(encoding="utf-8")
    for pattern in ("ecosim/**/*.py", "calibration/defaults.yaml", "scenarios/**/*.yaml")
    for p in sorted(ROOT.glob(pattern))
)
#: Text that is not a name in the code: commands, values and names of the source document.
NOT_NAMES = re.compile(r"^(ecosim |\.venv/|--|[0-9]|style: )")


def _quoted() -> list[str]:
    return re.findall(r"`([^`]+)`", TEXT)


def _paths() -> list[tuple[str, str | None]]:
    """``(path, test function or None)`` of every file the map names; ``::name`` alone
    continues the file named before it."""
    out: list[tuple[str, str | None]] = []
    last = ""
    for token in _quoted():
        if token.startswith("::"):
            out.append((last, token[2:]))
            continue
        path, _, name = token.partition("::")
        if "/" in path and re.search(r"\.(py|yaml|md|txt)$|\*", path) and " " not in path:
            last = path
            out.append((path, name or None))
    return out


def test_the_map_names_only_files_of_the_project() -> None:
    # a fresh checkout has nothing beside it: a file outside the project cannot be checked
    outside = [path for path, _ in _paths() if path.startswith(("../", "/"))]
    assert not outside, outside


@pytest.mark.parametrize(("path", "name"), _paths(), ids=lambda x: str(x))
def test_every_file_and_test_the_map_names_exists(path: str, name: str | None) -> None:
    found = sorted(ROOT.glob(path))
    assert found, f"{path} does not exist"
    if name is not None:
        defined = any(
            re.search(rf"^(async )?def {re.escape(name)}\(", f.read_text(encoding="utf-8"), re.M)
            for f in found
        )
        assert defined, f"{path} has no {name}"


def _names() -> list[str]:
    out = []
    for token in _quoted():
        if "/" in token or NOT_NAMES.match(token) or token.startswith("::"):
            continue
        for part in re.split(r"[ ,:=]+", token):
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", part) and len(part) > 2:
                out.append(part)
    return sorted(set(out))


@pytest.mark.parametrize("name", _names())
def test_every_name_the_map_quotes_is_in_the_code(name: str) -> None:
    # a dotted name (Levers.alliance) must have each part in the code
    for part in name.split("."):
        assert re.search(rf"\b{re.escape(part)}\b", SOURCES), f"{name}: {part} is nowhere"


def test_every_fact_the_map_cites_is_a_row_of_facts_csv() -> None:
    with (ROOT / "calibration" / "facts.csv").open(encoding="utf-8", newline="") as f:
        ids = {row["id"].split(".")[0] for row in csv.DictReader(f)}
    cited = set(re.findall(r"\b([A-J][0-9]{1,2})\b", TEXT))
    assert cited, "the map cites no fact"
    assert cited <= ids, sorted(cited - ids)
