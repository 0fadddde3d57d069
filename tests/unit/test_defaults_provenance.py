"""No default number goes unexplained.

Every number of ``calibration/defaults.yaml`` is written ``{value: V, fact: ID}`` (a row of
``calibration/facts.csv``) or ``{value: V, assumption: reason}``. These tests walk the file as
written and name every leaf that breaks the rule.
"""

from __future__ import annotations

import re
from typing import Any

from ecosim.scenario.defaults import (
    PROVENANCE_KEYS,
    ProvenanceEntry,
    fact_ids,
    is_leaf,
    iter_provenance,
    load_defaults,
    load_defaults_raw,
    strip_provenance,
)

#: A string YAML 1.2 would read as a number but PyYAML (YAML 1.1) reads as text, e.g. ``4.2e6``.
NUMBER_TEXT = re.compile(r"^[-+]?(\d[\d_]*\.?\d*|\.\d+)([eE][-+]?\d+)?$")

#: An assumption is a short reason, not an essay and not a placeholder.
MAX_ASSUMPTION_WORDS = 60
PLACEHOLDERS = {"todo", "tbd", "xxx", "fixme", "?", "-", "n/a"}


def is_number(value: Any) -> bool:
    """A number (not a bool), including a number PyYAML left as text."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and bool(NUMBER_TEXT.match(value.strip()))


def is_numeric(value: Any) -> bool:
    """A number or a non-empty list of numbers."""
    if isinstance(value, list):
        return bool(value) and all(is_number(v) for v in value)
    return is_number(value)


def entries() -> list[ProvenanceEntry]:
    return list(iter_provenance(load_defaults_raw()))


def numeric_entries() -> list[ProvenanceEntry]:
    return [e for e in entries() if is_numeric(e.value)]


def leaves(node: Any, prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every ``{value, fact|assumption}`` mapping of the raw tree, with its path."""
    if is_leaf(node):
        return [(prefix, node)]
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found += leaves(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += leaves(value, f"{prefix}[{i}]")
    return found


def listing(items: list[str]) -> str:
    return f"{len(items)} offending path(s):\n  " + "\n  ".join(items)


def test_defaults_file_has_the_expected_sections() -> None:
    raw = load_defaults_raw()
    assert {"scenario", "region_profiles", "suppliers", "shock_defaults"} <= set(raw)
    assert len(numeric_entries()) > 100


def test_every_default_number_has_provenance() -> None:
    bare = [
        f"{e.path} = {e.value!r}" for e in numeric_entries() if e.fact is None and not e.assumption
    ]
    assert not bare, "default numbers without {value, fact|assumption}: " + listing(bare)


def test_no_number_hides_inside_a_bare_list() -> None:
    # an unwrapped list of numbers comes out of iter_provenance element by element
    bare = [e.path for e in entries() if re.search(r"\[\d+\]$", e.path) and is_number(e.value)]
    assert not bare, "unwrapped lists of numbers: " + listing(bare)


def test_every_cited_fact_exists() -> None:
    known = fact_ids()
    assert known, "calibration/facts.csv has no ids"
    missing = [f"{e.path}: fact {e.fact!r}" for e in entries() if e.fact and e.fact not in known]
    assert not missing, "facts cited but absent from calibration/facts.csv: " + listing(missing)


def test_fact_ids_are_strings() -> None:
    bad = [
        f"{path}: fact {leaf['fact']!r}"
        for path, leaf in leaves(load_defaults_raw())
        if "fact" in leaf and not (isinstance(leaf["fact"], str) and leaf["fact"].strip())
    ]
    assert not bad, "fact ids that are not non-empty strings: " + listing(bad)


def test_every_assumption_is_a_short_reason() -> None:
    bad: list[str] = []
    for path, leaf in leaves(load_defaults_raw()):
        if "assumption" not in leaf:
            continue
        text = leaf["assumption"]
        if not isinstance(text, str):
            bad.append(f"{path}: assumption is {type(text).__name__}, not text")
            continue
        words = re.findall(r"[A-Za-z][\w'-]*", text)
        if not words or text.strip().lower() in PLACEHOLDERS:
            bad.append(f"{path}: assumption {text!r} gives no reason")
        elif len(text.split()) > MAX_ASSUMPTION_WORDS:
            bad.append(f"{path}: assumption of {len(text.split())} words (a few are enough)")
    assert not bad, "assumptions that are not a short reason: " + listing(bad)


def test_leaves_hold_only_value_and_provenance() -> None:
    allowed = {"value"} | PROVENANCE_KEYS
    bad = [
        f"{path}: {sorted(set(leaf) - allowed)}"
        for path, leaf in leaves(load_defaults_raw())
        if set(leaf) - allowed
    ]
    assert not bad, "provenance leaves with extra keys: " + listing(bad)


def test_no_leaf_wraps_a_mapping() -> None:
    bad = [
        path
        for path, leaf in leaves(load_defaults_raw())
        if isinstance(leaf["value"], dict | type(None))
    ]
    assert not bad, "provenance leaves whose value is a mapping or null: " + listing(bad)


def test_stripped_defaults_hold_no_provenance() -> None:
    def walk(node: Any, path: str) -> list[str]:
        if isinstance(node, dict):
            here = [path] if PROVENANCE_KEYS & node.keys() else []
            return here + [p for k, v in node.items() for p in walk(v, f"{path}.{k}")]
        if isinstance(node, list):
            return [p for i, v in enumerate(node) for p in walk(v, f"{path}[{i}]")]
        return []

    assert walk(load_defaults(), "") == []
    assert strip_provenance({"a": {"value": 1, "fact": "X"}, "b": [2]}) == {"a": 1, "b": [2]}


def test_default_numbers_are_read_as_numbers() -> None:
    text = [
        f"{e.path} = {e.value!r}"
        for e in entries()
        if isinstance(e.value, str) and is_number(e.value)
    ]
    assert not text, "default numbers PyYAML reads as strings: " + listing(text)


def test_iter_provenance_reports_bare_numbers() -> None:
    tree = {"a": {"value": 1.0, "fact": "A1"}, "b": 2, "c": {"value": [1, 2], "assumption": "x y"}}
    found = {e.path: (e.value, e.fact, e.assumption) for e in iter_provenance(tree)}
    assert found == {"a": (1.0, "A1", None), "b": (2, None, None), "c": ([1, 2], None, "x y")}
