"""Properties of ``deep_merge``, the layering rule of scenario files.

Mappings merge key by key, ``None`` removes a key, anything else (lists included) replaces.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ecosim.scenario.loader import deep_merge

KEYS = st.sampled_from(["a", "b", "c", "regions", "EU", "shocks", "levers", "x"])
SCALARS = st.one_of(
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=4),
)


def trees(with_none: bool, top_none: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """Nested scenario-like mappings.

    With ``with_none`` any value may be ``None`` (a delete); with ``top_none`` only top-level
    values may.
    """
    leaf = st.one_of(SCALARS, st.none()) if with_none else SCALARS
    values = st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(KEYS, inner, max_size=4),
        ),
        max_leaves=12,
    )
    if top_none and not with_none:
        values = st.one_of(values, st.none())
    return st.dictionaries(KEYS, values, max_size=5)


BASES = trees(with_none=False)
PATCHES = trees(with_none=True)
#: Patches whose only nulls are top-level deletes.
TOP_PATCHES = trees(with_none=False, top_none=True)


@settings(max_examples=100, deadline=None)
@given(BASES)
def test_merging_an_empty_mapping_is_identity(base: dict[str, Any]) -> None:
    assert deep_merge(base, {}) == base


@settings(max_examples=100, deadline=None)
@given(BASES)
def test_merging_onto_an_empty_mapping_copies(over: dict[str, Any]) -> None:
    assert deep_merge({}, over) == over


@settings(max_examples=150, deadline=None)
@given(BASES, PATCHES)
def test_result_holds_every_non_null_key_of_over(
    base: dict[str, Any], over: dict[str, Any]
) -> None:
    out = deep_merge(base, over)
    for key, value in over.items():
        if value is None:
            assert key not in out
            continue
        assert key in out
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            assert isinstance(out[key], dict)
        else:
            # not merged: over's value wins as a whole (lists and scalars replace); a new
            # mapping keeps no null members (RFC 7396)
            assert out[key] == (_without_nulls(value) if isinstance(value, dict) else value)


def _without_nulls(tree: dict[str, Any]) -> dict[str, Any]:
    return {
        k: _without_nulls(v) if isinstance(v, dict) else v for k, v in tree.items() if v is not None
    }


@settings(max_examples=150, deadline=None)
@given(BASES, PATCHES)
def test_keys_only_in_base_survive_unchanged(base: dict[str, Any], over: dict[str, Any]) -> None:
    out = deep_merge(base, over)
    for key, value in base.items():
        if key not in over:
            assert out[key] == value
    assert set(out) == (set(base) | {k for k, v in over.items() if v is not None}) - {
        k for k, v in over.items() if v is None
    }


@settings(max_examples=150, deadline=None)
@given(BASES, PATCHES)
def test_nested_mappings_merge_recursively(base: dict[str, Any], over: dict[str, Any]) -> None:
    out = deep_merge(base, over)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            assert out[key] == deep_merge(base[key], value)


@settings(max_examples=150, deadline=None)
@given(BASES, PATCHES)
def test_merge_does_not_mutate_its_inputs(base: dict[str, Any], over: dict[str, Any]) -> None:
    base_before, over_before = copy.deepcopy(base), copy.deepcopy(over)
    out = deep_merge(base, over)
    assert base == base_before
    assert over == over_before
    # and the result shares no mutable container with over (a later edit cannot leak back)
    _poison(out)
    assert over == over_before


@settings(max_examples=100, deadline=None)
@given(BASES, TOP_PATCHES)
def test_merging_the_same_patch_twice_changes_nothing_more(
    base: dict[str, Any], over: dict[str, Any]
) -> None:
    once = deep_merge(base, over)
    assert deep_merge(once, over) == once


@given(st.lists(SCALARS, max_size=4), st.lists(SCALARS, max_size=4))
def test_lists_replace(old: list[Any], new: list[Any]) -> None:
    assert deep_merge({"shocks": old}, {"shocks": new}) == {"shocks": new}
    assert deep_merge({"x": {"shocks": old, "k": 1}}, {"x": {"shocks": new}}) == {
        "x": {"shocks": new, "k": 1}
    }


def test_examples_of_the_rule() -> None:
    base = {"regions": {"US": {"levers": {"a": 1, "b": 2}}, "EU": {}}, "shocks": [1, 2]}
    over = {"regions": {"US": {"levers": {"b": 3}}, "EU": None}, "shocks": [9]}
    assert deep_merge(base, over) == {
        "regions": {"US": {"levers": {"a": 1, "b": 3}}},
        "shocks": [9],
    }
    # a mapping replaces a scalar and the other way round
    assert deep_merge({"a": 1}, {"a": {"b": 2}}) == {"a": {"b": 2}}
    assert deep_merge({"a": {"b": 2}}, {"a": 1}) == {"a": 1}
    # deleting a key that is not there is fine
    assert deep_merge({"a": 1}, {"z": None}) == {"a": 1}


def test_null_inside_a_new_mapping_is_dropped() -> None:
    patch = {"regions": {"EU": None, "US": {}}}
    assert deep_merge({}, patch) == {"regions": {"US": {}}}
    # which also makes the merge idempotent for such patches
    once = deep_merge({}, patch)
    assert deep_merge(once, patch) == once


def _poison(node: Any) -> None:
    """Mutate every container inside ``node`` in place."""
    if isinstance(node, dict):
        for value in node.values():
            _poison(value)
        node["__poison__"] = True
    elif isinstance(node, list):
        for value in node:
            _poison(value)
        node.append("__poison__")
