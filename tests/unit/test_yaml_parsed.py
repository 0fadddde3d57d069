"""Texts parsed once per process: each caller gets its own copy, and failures are not kept."""

from __future__ import annotations

import pytest
import yaml

from ecosim.scenario import yamlio


def test_a_text_is_parsed_once_and_every_call_gets_its_own_copy() -> None:
    calls: list[str] = []

    def parse(text: str) -> dict[str, object]:
        calls.append(text)
        return {"regions": {"EU": {"demand": [1.0, 2.0]}}}

    text = "a text no other test parses: 5b1f"
    first = yamlio.parsed("test", text, parse)
    first["regions"]["EU"]["demand"].append(3.0)  # type: ignore[index]
    second = yamlio.parsed("test", text, parse)
    assert calls == [text]
    assert second == {"regions": {"EU": {"demand": [1.0, 2.0]}}}
    assert yamlio.parsed("other parser", text, parse) == second
    assert calls == [text, text]


def test_load_yaml_gives_the_same_values_each_time_and_copies() -> None:
    text = "name: x\nrate: 1e-3\nstart: 2025-01-01\nlist: [1, 2]\n"
    a = yamlio.load_yaml(text)
    a["list"].append(3)
    b = yamlio.load_yaml(text)
    assert b == {"name": "x", "rate": 1e-3, "start": b["start"], "list": [1, 2]}
    assert str(b["start"]) == "2025-01-01"


def test_a_text_that_fails_fails_again() -> None:
    bad = "a: [1, 2\n"
    for _ in range(2):
        with pytest.raises(yaml.YAMLError):
            yamlio.load_yaml(bad)


def test_the_cache_is_bounded() -> None:
    for i in range(yamlio._PARSED_KEPT + 5):
        yamlio.load_yaml(f"n: {i}\n")
    assert len(yamlio._PARSED) <= yamlio._PARSED_KEPT


def test_a_very_long_text_is_parsed_each_time_and_not_kept() -> None:
    calls: list[int] = []

    def parse(text: str) -> list[int]:
        calls.append(len(text))
        return [1]

    text = "x" * (yamlio._PARSED_LONGEST + 1)
    assert yamlio.parsed("test", text, parse) == [1]
    assert yamlio.parsed("test", text, parse) == [1]
    assert len(calls) == 2 and ("test", text) not in yamlio._PARSED
