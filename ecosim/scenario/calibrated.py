"""Calibrated-value files: values fitted by ``ecosim calibrate``, applied on top of the defaults.

A calibrated file holds values at scenario key paths (shocks keyed by id) and a provenance block
of comment lines starting ``#| ``. Its ``extends:`` may name an earlier calibrated file whose
values it builds on; the chain is followed while the files are calibrated files, so a file
written for one episode carries the general values it was fitted on top of. A scenario names a
file with its top-level ``calibration:`` key, an episode with the ``calibration:`` of its
``episode.yaml``.

Values address regions, suppliers and shocks that a given scenario may not have (a value fitted
for the EU means nothing in a scenario without the EU): :func:`applicable` keeps only those that
point at something present, so a calibrated value never brings back a region a scenario removed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from ecosim.errors import InputError
from ecosim.scenario.yamlio import parsed

#: Prefix of the provenance lines of a calibrated file.
PROVENANCE_PREFIX = "#| "
_MAX_CHAIN = 16


def is_calibrated_file(path: Path) -> bool:
    """Whether ``path`` is a file written by ``ecosim calibrate`` (it has a provenance block)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return any(line.startswith(PROVENANCE_PREFIX) for line in text.splitlines())


def flatten(tree: Any, prefix: Sequence[str] = ()) -> list[tuple[list[str], Any]]:
    """Leaves of a nested mapping as ``(key path, value)``; lists are leaves."""
    if isinstance(tree, dict):
        out: list[tuple[list[str], Any]] = []
        for k, v in tree.items():
            out.extend(flatten(v, [*prefix, str(k)]))
        return out
    return [(list(prefix), tree)]


def calibrated_values(path: Path, referrer: str | None = None) -> list[tuple[list[str], Any]]:
    """Every value of a calibrated file and of the calibrated files it extends, oldest first.

    Raises
    ------
    InputError
        When a file is missing, is not valid YAML, or its values are not a mapping.
    """
    chain: list[dict[str, Any]] = []
    current: Path | None = path
    where = referrer or str(path)
    seen: set[Path] = set()
    while current is not None and len(seen) < _MAX_CHAIN:
        resolved = current.resolve()
        if resolved in seen:
            raise InputError(current, ["extends"], "a chain without cycles", f"{current} again")
        seen.add(resolved)
        if not current.is_file():
            raise InputError(where, ["calibration"], "an existing calibrated file", str(current))
        try:
            data = parsed("calibrated", current.read_text(encoding="utf-8"), yaml.safe_load) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise InputError(current, [], "a readable YAML file", str(exc)) from None
        if not isinstance(data, dict):
            raise InputError(current, [], "a mapping of calibrated values", type(data).__name__)
        parent = data.pop("extends", None)
        chain.append(data)
        nxt = (current.parent / parent) if isinstance(parent, str) else None
        # a calibrated file fitted against a scenario names that scenario: not a value source
        current = nxt if nxt is not None and is_calibrated_file(nxt) else None
    out: list[tuple[list[str], Any]] = []
    for data in reversed(chain):
        out.extend(flatten(data))
    return out


def as_overrides(values: Iterable[tuple[list[str], Any]]) -> list[str]:
    """Values as ``KEY.PATH=VALUE`` strings, the form of ``--set``."""
    return [f"{'.'.join(k)}={_yaml_value(v)}" for k, v in values]


def _yaml_value(value: Any) -> str:
    # a flow-style dump of a scalar ends with the document marker '...'
    return str(yaml.safe_dump(value, default_flow_style=True)).strip().removesuffix("...").strip()


def addresses_present(
    parts: Sequence[str], regions: Iterable[str], suppliers: Iterable[str], shocks: Iterable[str]
) -> bool:
    """Whether a key path points at a region, supplier and shock that the scenario has."""
    if len(parts) < 2:
        return True
    table = {"regions": set(regions), "suppliers": set(suppliers), "shocks": set(shocks)}
    return parts[0] not in table or parts[1] in table[parts[0]]


def applicable(overrides: Iterable[str], scenario: Any) -> list[str]:
    """The overrides that address regions, suppliers and shocks present in ``scenario``."""
    shocks = [s.id for s in scenario.shocks]
    return [
        text
        for text in overrides
        if addresses_present(
            text.partition("=")[0].split("."), scenario.regions, scenario.suppliers, shocks
        )
    ]
