"""Malformed input of every kind ends as an input error: exit 2, one message, nothing written.

Hypothesis generates broken YAML text (mutations of a real scenario file), values of the wrong
type at every key path of the schema, and malformed ``--set`` flags. In process, each goes
through the loader, which must either accept it or raise :class:`~ecosim.errors.InputError`
naming a file or flag; any other exception is a defect. A handful go through the real command
line, which must exit 2 without a traceback and write nothing.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecosim.errors import InputError
from ecosim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
TEXT = SMALL.read_text()


def fuzz(examples: int) -> settings:
    """Fixed examples (the same in every CI run), no deadline: the loader reads files."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


def _leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every leaf key path of a scenario dump, shocks keyed by id as ``--set`` addresses them."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _leaves(child, (*path, str(key)))
    elif isinstance(value, list) and path == ("shocks",):
        for shock in value:
            yield from _leaves({k: v for k, v in shock.items() if k != "id"}, (*path, shock["id"]))
    else:
        yield path, value


LEAVES = [
    (".".join(path), value)
    for path, value in _leaves(load_scenario(SMALL).scenario.model_dump(mode="python"))
    # the shock's type picks its schema: another type is a different shock, not a wrong value
    if path[-1] != "type"
]


def _wrong_for(value: Any) -> st.SearchStrategy[Any]:
    """Values no field of ``value``'s type accepts."""
    text = st.text(min_size=1, max_size=8).filter(lambda s: s.strip() != "")
    mapping = st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 3), min_size=1)
    if isinstance(value, bool):
        return st.one_of(text, st.just([1]), mapping, st.integers(2, 9))
    if isinstance(value, int | float):
        return st.one_of(st.booleans(), text, st.just([1, 2]), mapping)
    if isinstance(value, str):
        return st.one_of(st.just([1]), mapping, st.booleans())
    if isinstance(value, dt.date):
        return st.one_of(st.just("someday"), st.just([2025]), st.booleans())
    if isinstance(value, list):
        return st.one_of(st.integers(2, 9), st.booleans(), mapping)
    return st.one_of(st.booleans(), st.just([1]))


@st.composite
def wrong_values(draw: st.DrawFn) -> str:
    key, value = draw(st.sampled_from(LEAVES))
    bad = draw(_wrong_for(value))
    rendered = {True: "true", False: "false"}.get(bad, bad) if isinstance(bad, bool) else bad
    if isinstance(rendered, str) and not isinstance(bad, bool):
        rendered = "'" + rendered.replace("'", "''") + "'"
    return f"{key}={rendered}"


@fuzz(600)
@given(flag=wrong_values())
def test_a_wrong_type_at_any_key_path_is_an_input_error(flag: str) -> None:
    with pytest.raises(InputError) as caught:
        load_scenario(SMALL, [flag])
    assert caught.value.source in {"--set", str(SMALL)} or caught.value.source.endswith(".yaml")


@st.composite
def mutated_files(draw: st.DrawFn) -> str:
    """A real scenario file with a few characters or lines inserted, deleted or swapped."""
    lines = TEXT.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["insert", "delete", "swap", "garble", "indent"]))
        if kind == "insert":
            lines.insert(i, draw(st.text(alphabet=":-[]{}&*!|>'\"# \tab1.", max_size=12)))
        elif kind == "delete" and len(lines) > 1:
            lines.pop(i)
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "garble" and lines[i]:
            k = draw(st.integers(0, len(lines[i]) - 1))
            ch = draw(st.sampled_from(list(":-[]{}&*!|>'\"#\t@`%")))
            lines[i] = lines[i][:k] + ch + lines[i][k + 1 :]
        else:
            lines[i] = "   " + lines[i]
    return "\n".join(lines) + "\n"


@fuzz(250)
@given(text=mutated_files())
def test_a_mangled_file_is_accepted_or_an_input_error(text: str, tmp_path: Path) -> None:
    path = tmp_path / "mangled.yaml"
    path.write_text(text.replace("extends: ../../scenarios", f"extends: {ROOT}/scenarios"))
    try:
        load_scenario(path)
    except InputError as exc:
        assert exc.message and "\n" not in exc.source


@fuzz(200)
@given(
    flag=st.one_of(
        st.text(max_size=30),
        st.builds(
            lambda k, v: f"{k}={v}",
            st.sampled_from([key for key, _ in LEAVES] + ["regions", "shocks", "", ".", "a..b"]),
            st.text(alphabet=":-[]{}&*!|>'\"# ab1.=", max_size=12),
        ),
    )
)
def test_a_malformed_flag_is_accepted_or_an_input_error(flag: str) -> None:
    try:
        load_scenario(SMALL, [flag])
    except InputError as exc:
        assert exc.message


CLI_CASES = {
    "date": "start: 2025-13-45\n",
    "type": "horizon_years: true\n",
    "region": "regions: {US: 5}\n",
    "nesting": "z:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(80)) + "  " * 81 + "1\n",
    "early": "shocks: [{id: e, type: outage, providers: [aws], capacity_loss: 0.5,"
    " start: 2024-06-01, duration: {kind: fixed, days: 3}}]\n",
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_the_command_line_exits_2_without_a_traceback_or_output(case: str, tmp_path: Path) -> None:
    path = tmp_path / f"{case}.yaml"
    path.write_text(f"extends: {SMALL}\n" + CLI_CASES[case])
    out = tmp_path / "out.nc"
    proc = subprocess.run(
        [sys.executable, "-m", "ecosim", "run", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and str(path) in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


SWEEP = (
    f"base: {SMALL}\n"
    "overrides: [horizon_years=0.1, recording.interval_days=7]\n"
    "uncertainties:\n"
    "  shocks.fab_quake.capacity_loss: {low: 0.2, high: 0.9}\n"
    "  regions.US.demand.growth_per_year: {dist: normal, mean: 0.35, sd: 0.05}\n"
    "levers:\n"
    "  regions.TW.levers.build_share: [0.3, 0.7]\n"
    "design: {kind: lhs, n: 4, seed: 3}\n"
    "replicates: 2\n"
    "outputs: {series: [service], coarsen_days: 14}\n"
)


@fuzz(150)
@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(SWEEP) - 1), st.sampled_from(list(":-[]{}&*!|>'\"#\t\n 9"))),
        min_size=1,
        max_size=4,
    )
)
def test_a_mangled_sweep_file_is_accepted_or_an_input_error(
    edits: list[tuple[int, str]], tmp_path: Path
) -> None:
    from ecosim.experiments.sweepfile import parse_sweep

    text = SWEEP
    for at, ch in edits:
        text = text[:at] + ch + text[at + 1 :]
    try:
        parse_sweep(text, tmp_path / "sweep.yaml")
    except InputError as exc:
        assert exc.message


def _sweep_leaves() -> list[tuple[tuple[str | int, ...], Any]]:
    import yaml

    out: list[tuple[tuple[str | int, ...], Any]] = []

    def walk(node: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                walk(child, (*path, key))
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, (*path, i))
        else:
            out.append((path, node))

    walk(yaml.safe_load(SWEEP), ())
    # the base scenario's path and the design's kind pick what the rest means; a lever's
    # listed settings may be any scalar, checked against the base scenario before a run
    return [
        (p, v)
        for p, v in out
        if p[0] != "base"
        and p[-1] not in {"kind", "dist"}
        and not (p[0] == "levers" and len(p) == 3)
    ]


SWEEP_LEAVES = _sweep_leaves()


@fuzz(100)
@given(data=st.data())
def test_a_wrong_type_anywhere_in_a_sweep_file_is_an_input_error(
    data: st.DataObject, tmp_path: Path
) -> None:
    import copy

    import yaml

    from ecosim.experiments.sweepfile import parse_sweep

    path, value = data.draw(st.sampled_from(SWEEP_LEAVES))
    tree = copy.deepcopy(yaml.safe_load(SWEEP))
    node = tree
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = data.draw(_wrong_for(value))
    with pytest.raises(InputError) as caught:
        parse_sweep(yaml.safe_dump(tree), tmp_path / "sweep.yaml")
    assert caught.value.message
