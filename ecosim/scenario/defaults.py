"""The one file of default values, each with its provenance.

``calibration/defaults.yaml`` holds every default number of a scenario. A leaf is written
``{value: V, fact: ID}`` (a row of ``calibration/facts.csv``) or ``{value: V, assumption:
reason}``; :func:`strip_provenance` turns that tree into plain values for the loader, and
:func:`iter_provenance` lists every leaf with its note for ``ecosim validate --provenance`` and
for the test that no number goes unexplained.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ecosim.scenario.yamlio import load_shipped_yaml

PROVENANCE_KEYS = frozenset({"fact", "assumption"})


def calibration_dir() -> Path:
    """Folder holding ``defaults.yaml`` and ``facts.csv``.

    An installed wheel carries them as package data; a source checkout (editable install) reads
    the top-level ``calibration/`` folder, so there is one copy to edit.
    """
    packaged = Path(str(resources.files("ecosim"))) / "_calibration"
    if (packaged / "defaults.yaml").is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "calibration"


def is_leaf(node: Any) -> bool:
    """True for a ``{value: ..., fact|assumption: ...}`` mapping."""
    return isinstance(node, dict) and "value" in node and bool(PROVENANCE_KEYS & node.keys())


def strip_provenance(node: Any) -> Any:
    """Replace every provenance leaf by its value, recursively."""
    if is_leaf(node):
        return node["value"]
    if isinstance(node, dict):
        return {k: strip_provenance(v) for k, v in node.items()}
    if isinstance(node, list):
        return [strip_provenance(v) for v in node]
    return node


@dataclass(frozen=True)
class ProvenanceEntry:
    """One default value and where it comes from."""

    path: str
    value: Any
    fact: str | None
    assumption: str | None


def iter_provenance(node: Any, prefix: str = "") -> Iterator[ProvenanceEntry]:
    """Yield every leaf of the defaults tree; bare numbers come out with no provenance."""
    if is_leaf(node):
        yield ProvenanceEntry(prefix, node["value"], node.get("fact"), node.get("assumption"))
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from iter_provenance(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from iter_provenance(v, f"{prefix}[{i}]")
    else:
        yield ProvenanceEntry(prefix, node, None, None)


@lru_cache(maxsize=1)
def load_defaults_raw() -> dict[str, Any]:
    """The defaults file as written, provenance included."""
    path = calibration_dir() / "defaults.yaml"
    with path.open(encoding="utf-8") as fh:
        data = load_shipped_yaml(fh.read())
    if not isinstance(data, dict):
        raise RuntimeError(f"{path} is not a mapping")
    return data


def load_defaults() -> dict[str, Any]:
    """The defaults file as plain values (a fresh copy each call)."""
    stripped: dict[str, Any] = strip_provenance(load_defaults_raw())
    return stripped


@lru_cache(maxsize=1)
def fact_ids() -> frozenset[str]:
    """Ids of the rows of ``calibration/facts.csv``."""
    path = calibration_dir() / "facts.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return frozenset(row["id"] for row in csv.DictReader(fh) if row.get("id"))
