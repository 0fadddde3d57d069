"""Loading scenario files: YAML, ``extends:`` inheritance, ``--set`` overrides, validation.

The layers, lowest first: the defaults of ``calibration/defaults.yaml``, the calibrated values
a file names with ``calibration:`` (see :mod:`ecosim.scenario.calibrated`), each file of the
``extends:`` chain (root first), the scenario file, then ``--set`` overrides. Mappings merge
key by key (a ``null`` removes a key, as in a JSON merge patch); lists replace. Regions are
filled from their profile, suppliers from the catalogue, shocks from per-type defaults. Any
mistake becomes one :class:`~ecosim.errors.InputError` naming the file that set the bad value.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from ecosim.errors import InputError
from ecosim.scenario.calibrated import addresses_present, calibrated_values
from ecosim.scenario.declarations import levers_of
from ecosim.scenario.defaults import load_defaults, load_defaults_raw, strip_provenance
from ecosim.scenario.models import (
    DATED_DATA,
    DATED_LEVERS,
    DATED_MODELS,
    STATE_LEVERS,
    DataLayer,
    Levers,
    ModelsLayer,
    Scenario,
)
from ecosim.scenario.yamlio import load_yaml

MAX_EXTENDS_DEPTH = 16
DEFAULTS_LAYER = "calibration/defaults.yaml"


@dataclass(frozen=True)
class Layer:
    """One source of scenario values and its name for error messages."""

    source: str
    data: dict[str, Any]


@dataclass
class LoadedScenario:
    """A validated scenario with what it was made from.

    Its :attr:`text` and :attr:`sha256` are made when first read: a sweep's runs keep values
    only and never read them, and dumping the text was about two thirds of loading a small
    scenario (12 of 19 ms), paid by every run.
    """

    scenario: Scenario
    layers: list[Layer] = field(default_factory=list)
    #: What the run will leave out and a reader should know (a date after the horizon).
    warnings: list[str] = field(default_factory=list)

    @cached_property
    def text(self) -> str:
        """The resolved scenario as YAML (:func:`scenario_text`): the run's provenance."""
        return scenario_text(self.scenario.model_dump(mode="json", exclude_none=True))

    @cached_property
    def sha256(self) -> str:
        """The SHA-256 of :attr:`text`, hex: the scenario's identity."""
        return hashlib.sha256(self.text.encode()).hexdigest()


# --------------------------------------------------------------------------- merging


def deep_merge(base: Any, over: Any, keep_nulls: bool = False) -> Any:
    """Merge ``over`` onto ``base``: mappings key by key, ``None`` deletes, the rest replaces.

    This is a JSON merge patch (RFC 7396). With ``keep_nulls`` a ``None`` is kept as a
    tombstone instead, so that layers can be stacked first and the deletions applied later to
    what profiles and the catalogue add (see :func:`strip_nulls`).
    """
    if not isinstance(over, dict):
        return copy.deepcopy(over)
    if not isinstance(base, dict):
        base = {}
    out = dict(base)
    for key, value in over.items():
        if value is None:
            if keep_nulls:
                out[key] = None
            else:
                out.pop(key, None)
        elif key in out and isinstance(value, dict):
            out[key] = deep_merge(out[key], value, keep_nulls)
        elif isinstance(value, dict):
            out[key] = deep_merge({}, value, keep_nulls)
        else:
            out[key] = copy.deepcopy(value)
    return out


def strip_nulls(tree: Any) -> Any:
    """Drop every ``None`` member of every mapping (applied tombstones)."""
    if isinstance(tree, dict):
        return {k: strip_nulls(v) for k, v in tree.items() if v is not None}
    if isinstance(tree, list):
        return [strip_nulls(v) for v in tree]
    return tree


def _read_yaml(path: Path, referrer: str | None) -> dict[str, Any]:
    where = referrer or str(path)
    if not path.is_file():
        raise InputError(
            where, ["extends"] if referrer else [], "an existing scenario file", f"no file {path}"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, [], "a readable UTF-8 YAML file", str(exc)) from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where_in = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(path, [], "valid YAML", f"{problem}{where_in}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(path, [], "a mapping of scenario keys", type(data).__name__)
    return data


def _file_chain(path: Path) -> list[Layer]:
    """The scenario file and its ``extends:`` ancestors, root first."""
    chain: list[Layer] = []
    seen: set[Path] = set()
    current: Path | None = path
    referrer: str | None = None
    while current is not None:
        resolved = current.resolve()
        if resolved in seen:
            raise InputError(
                referrer or current, ["extends"], "a chain without cycles", f"{current} again"
            )
        if len(seen) >= MAX_EXTENDS_DEPTH:
            raise InputError(current, ["extends"], "at most 16 levels", "a deeper chain")
        seen.add(resolved)
        data = _read_yaml(current, referrer)
        parent = data.pop("extends", None)
        chain.append(Layer(str(current), data))
        if parent is None:
            current = None
        elif not isinstance(parent, str):
            raise InputError(current, ["extends"], "a file name", repr(parent))
        else:
            referrer = str(current)
            current = (current.parent / parent).resolve()
    chain.reverse()
    return chain


#: The container each top-level section must be, before anything looks inside it.
SECTION_SHAPES: dict[str, type] = {
    "regions": dict,
    "suppliers": dict,
    "shocks": list,
    "actions": list,
    "uncertainties": dict,
    "recording": dict,
}


def _check_shapes(merged: Mapping[str, Any], layers: Sequence[Layer]) -> None:
    """Each top-level section is the container it must be (a mapping, or a list)."""
    for key, shape in SECTION_SHAPES.items():
        value = merged.get(key)
        if value is not None and not isinstance(value, shape):
            what = "a dictionary (a mapping of keys to values)" if shape is dict else "a list"
            raise InputError(_locate_source(layers, [key], [key]), [key], what, _describe(value))


def _calibration_layer(files: Sequence[Layer], merged: dict[str, Any]) -> Layer | None:
    """Apply the calibrated values the nearest file names with ``calibration:``, in place.

    The values sit just above the defaults: a value any scenario file sets itself wins, and a
    value for a region, supplier or shock the scenario does not have is left out. Returns the
    layer (for error messages), or None when no file names a calibration.
    """
    named: tuple[Layer, Any] | None = None
    for layer in files:
        if "calibration" in layer.data:
            named = (layer, layer.data.pop("calibration"))
    merged.pop("calibration", None)
    if named is None or named[1] is None:
        return None
    layer, value = named
    if not isinstance(value, str):
        raise InputError(layer.source, ["calibration"], "a calibrated file name", repr(value))
    file = (Path(layer.source).parent / value).resolve()
    regions = [k for k, v in (merged.get("regions") or {}).items() if v is not None]
    suppliers = list(merged.get("suppliers") or {})
    shocks = [str(s.get("id")) for s in merged.get("shocks") or [] if isinstance(s, dict)]
    # the catalogue adds a supplier later, when its home region is in the scenario (its
    # entries alone stripped of their provenance: the whole defaults are a few ms a load)
    catalogue = strip_provenance(load_defaults_raw().get("suppliers", {}))
    suppliers += [k for k, v in catalogue.items() if _home_of(v) in regions]
    data: dict[str, Any] = {}
    for parts, v in calibrated_values(file, layer.source):
        if not addresses_present(parts, regions, suppliers, shocks):
            continue
        if any(_has_path(f.data, parts) for f in files):
            continue
        _apply_override(merged, parts, v)
        if parts[0] != "shocks":  # the layer records sources; shocks there are a list
            _apply_override(data, parts, v)
    return Layer(str(file), data)


def _home_of(entry: Any) -> Any:
    return entry.get("home") if isinstance(entry, dict) else None


# --------------------------------------------------------------------------- overrides


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``a.b.c=VALUE`` into a key path and a YAML-parsed value."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise InputError("--set", [], "KEY.PATH=VALUE", repr(text))
    try:
        value = load_yaml(raw) if raw.strip() else None
    except yaml.YAMLError:
        raise InputError("--set", [key], "a YAML value", repr(raw)) from None
    parts = [p for p in key.strip().split(".")]
    if any(not p for p in parts):
        raise InputError("--set", [], "a key path like regions.EU.levers.build_share", repr(key))
    return parts, value


def _check_region_exists(merged: Mapping[str, Any], parts: Sequence[str]) -> None:
    """A flag that sets something inside a region needs the region: it never adds one back."""
    if len(parts) <= 2 or parts[0] != "regions":
        return
    regions = merged.get("regions")
    regions = regions if isinstance(regions, dict) else {}
    if regions.get(parts[1]) is None:
        present = [r for r, v in regions.items() if v is not None]
        raise InputError(
            "--set",
            parts,
            f"a region of this scenario ({', '.join(present)})",
            parts[1],
            hint=f"to add it, pass --set regions.{parts[1]}={{}} first",
        )


def _apply_override(data: dict[str, Any], parts: Sequence[str], value: Any) -> None:
    """Set ``value`` at ``parts`` in ``data``; shocks are addressed by id, not index."""
    node: Any = data
    for depth, part in enumerate(parts[:-1]):
        if isinstance(node, list):
            node = _shock_by_id(node, part, parts[: depth + 1])
            continue
        if not isinstance(node, dict):
            raise InputError(
                "--set", parts[:depth], "a mapping to descend into", type(node).__name__
            )
        if part not in node or node[part] is None:
            node[part] = {}
        node = node[part]
    last = parts[-1]
    if isinstance(node, list):
        target = _shock_by_id(node, last, parts)
        if not isinstance(value, dict):
            raise InputError("--set", parts, "a mapping to merge into the shock", repr(value))
        target.update(value)
    elif isinstance(node, dict):
        node[last] = value  # a null is a tombstone, applied after profiles are filled in
    else:
        raise InputError("--set", parts[:-1], "a mapping", type(node).__name__)


def _shock_by_id(items: list[Any], ident: str, path: Sequence[str]) -> dict[str, Any]:
    for item in items:
        if isinstance(item, dict) and item.get("id") == ident:
            return item
    ids = [str(i.get("id")) for i in items if isinstance(i, dict)]
    raise InputError(
        "--set", path, f"the id of a shock in the scenario ({', '.join(ids) or 'none'})", ident
    )


# --------------------------------------------------------------------------- expansion


def _rescale(shares: dict[str, Any]) -> None:
    """Scale a profile's share listing (numbers or provenance leaves) to sum to 1, in place."""

    def number(v: Any) -> Any:
        return v.get("value") if isinstance(v, dict) else v

    values = [number(v) for v in shares.values()]
    if not values or not all(isinstance(v, (int, float)) for v in values):
        return
    total = float(sum(values))
    if total <= 0.0:
        return
    for pid, v in shares.items():
        if isinstance(v, dict):
            v["value"] = v["value"] / total
        else:
            shares[pid] = v / total


def _serves(entry: Any, region: str) -> bool:
    """Whether a supplier entry (merged, not yet validated) operates in ``region``."""
    if not isinstance(entry, dict):
        return False
    where = [entry.get("home")]
    for key in ("present_in", "sovereign_regions"):
        if isinstance(entry.get(key), list):
            where.extend(entry[key])
    return region in where


def _expand(merged: dict[str, Any], defaults: Mapping[str, Any], source_of: Any) -> None:
    """Fill regions from profiles, suppliers from the catalogue, shocks from type defaults.

    What a profile or the catalogue says about regions or providers absent from this world
    (a partner's interoperability, a provider's cloud share, where it operates) is dropped;
    what the user wrote is kept and checked, so a misspelt name is an error, not a no-op.
    """
    profiles: Mapping[str, Any] = defaults.get("region_profiles", {})
    regions = merged.get("regions")
    if isinstance(regions, dict):
        regions = {k: v for k, v in regions.items() if v is not None}
        merged["regions"] = regions
    names = list(regions) if isinstance(regions, dict) else []

    catalogue: Mapping[str, Any] = defaults.get("suppliers", {})
    base = {k: v for k, v in catalogue.items() if isinstance(v, dict) and v.get("home") in names}
    given = merged.get("suppliers") or {}  # a mapping: the sections' shapes are checked
    for sid, entry in given.items():
        if sid not in base and sid in catalogue and entry is not None:
            base[sid] = catalogue[sid]
    # a region built from another region's profile is served where that region is
    copied = {n: str(e.get("profile")) for n, e in (regions or {}).items() if isinstance(e, dict)}
    for value in base.values():
        for key in ("present_in", "sovereign_regions"):
            if isinstance(value.get(key), list):
                listed = value[key] + [
                    n
                    for n, prof in copied.items()
                    if prof != n and (prof in value[key] or value.get("home") == prof)
                ]
                value[key] = [r for r in dict.fromkeys(listed) if r in names]
    suppliers: dict[str, Any] = deep_merge(base, given)
    merged["suppliers"] = suppliers

    if isinstance(regions, dict):
        for name, entry in list(regions.items()):
            if not isinstance(entry, dict):
                raise InputError(
                    source_of(["regions", name]),
                    ["regions", name],
                    "a mapping of the region's settings ({} for its profile, null to remove it)",
                    _describe(entry),
                )
            profile = str(entry.get("profile", name))
            if profile not in profiles:
                raise InputError(
                    source_of(["regions", name, "profile"]),
                    ["regions", name, "profile"],
                    f"one of the region profiles ({', '.join(profiles)})",
                    repr(profile),
                    hint="a new region needs 'profile: <existing region>' to start from",
                )
            prof = copy.deepcopy(profiles[profile])
            interop = prof.get("levers", {}).get("interoperability", {})
            for partner in [p for p in interop if p not in regions]:
                interop.pop(partner)
            shares = prof.get("cloud", {}).get("initial_shares", {})
            gone = [p for p in shares if not _serves(suppliers.get(p), name)]
            if gone:
                # a profile's provider absent from this world leaves its share to the others in
                # proportion; a listing written in the scenario is never rescaled
                for pid in gone:
                    shares.pop(pid)
                _rescale(shares)
            regions[name] = deep_merge(prof, entry)

    shock_defaults: Mapping[str, Any] = defaults.get("shock_defaults", {})
    shocks = merged.get("shocks")
    if isinstance(shocks, list):
        merged["shocks"] = [
            deep_merge(shock_defaults.get(str(s.get("type")), {}), s) if isinstance(s, dict) else s
            for s in shocks
        ]


# --------------------------------------------------------------------------- validation


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _has_child(node: Any, item: str | int) -> bool:
    if isinstance(node, dict):
        return item in node
    return isinstance(node, list) and isinstance(item, int) and item < len(node)


def _child(node: Any, item: str | int) -> tuple[bool, Any]:
    """Step into ``node``; a shock list may be entered by a shock's id, as ``--set`` does."""
    if _has_child(node, item):
        return True, node[item]
    if isinstance(node, list) and isinstance(item, str):
        for entry in node:
            if isinstance(entry, dict) and entry.get("id") == item:
                return True, entry
    return False, None


def _data_path(data: Any, loc: Sequence[str | int]) -> list[str | int]:
    """Drop pydantic's union tags from ``loc`` so it names keys that exist in the data."""
    path: list[str | int] = []
    node = data
    for item in loc:
        if _has_child(node, item):
            node = node[item]
            path.append(item)
        elif isinstance(node, dict) and isinstance(item, str):
            # a tag such as 'export_control' or a missing key: keep missing keys, skip tags
            if item in {"function-after", "function-before"}:
                continue
            if isinstance(node.get("type"), str) and item == node["type"]:
                continue
            if isinstance(node.get("good"), str) and item == node["good"]:
                continue
            if isinstance(node.get("kind"), str) and item == node["kind"]:
                continue
            path.append(item)
            node = None
        else:
            path.append(item)
            node = None
    return path


def _readable_path(data: Any, path: Sequence[str | int]) -> list[str | int]:
    """Name shocks by id (``shocks.<id>``) as ``--set`` does."""
    out: list[str | int] = []
    node = data
    for i, item in enumerate(path):
        if (
            isinstance(item, int)
            and i > 0
            and path[i - 1] == "shocks"
            and isinstance(node, list)
            and item < len(node)
            and isinstance(node[item], dict)
            and "id" in node[item]
        ):
            out.append(str(node[item]["id"]))
        else:
            out.append(item)
        node = node[item] if _has_child(node, item) else None
    return out


def _expected_from(err: Mapping[str, Any]) -> str:
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "a known key (this one is not part of the scenario schema; check its spelling)"
    if kind == "missing":
        return "a value for this required key"
    if kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        op = {
            "greater_than_equal": ">=",
            "greater_than": ">",
            "less_than_equal": "<=",
            "less_than": "<",
        }[kind]
        bound = next(iter(ctx.values()), "?")
        return f"a number {op} {bound}"
    plain = {
        "float_type": "a number",
        "int_type": "an integer",
        "bool_type": "true or false",
        "string_type": "a text",
        "dict_type": "a dictionary (a mapping of keys to values)",
        "model_type": "a dictionary (a mapping of keys to values)",
        "list_type": "a list",
        "date_type": "a date (YYYY-MM-DD)",
        "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    }
    if kind in plain:
        return plain[kind]
    if kind == "union_tag_invalid":
        return f"one of {ctx.get('expected_tags', '?')}"
    if kind == "literal_error":
        return f"one of {ctx.get('expected', '?')}"
    msg = str(err.get("msg", "a valid value"))
    if msg.startswith("Value error, "):
        return msg.removeprefix("Value error, ")
    return msg[0].lower() + msg[1:] if msg else "a valid value"


def _locate_source(
    layers: Sequence[Layer], path: Sequence[str | int], readable: Sequence[str | int] = ()
) -> str:
    """The last layer that set ``path`` (or its nearest parent); shocks may be keyed by id.

    When no layer set any part of the path (a required key missing everywhere), the scenario
    file itself is to blame: the last layer read from a file. A list (the shocks) is replaced
    whole by the last layer that gives it, so that layer answers for everything inside it.
    """
    for depth in range(1, len(path)):
        for layer in reversed(layers):
            found, node = _value(layer.data, path[:depth])
            if found:
                if isinstance(node, list):
                    return layer.source
                break  # the layer in effect here holds a mapping: look deeper
    for depth in range(len(path), 0, -1):
        for layer in reversed(layers):
            if _has_path(layer.data, path[:depth]) or (
                readable and _has_path(layer.data, readable[:depth])
            ):
                return layer.source
    files = [layer for layer in layers if layer.source not in {"--set", DEFAULTS_LAYER}]
    return files[-1].source if files else (layers[-1].source if layers else "<scenario>")


def _has_path(data: Any, path: Sequence[str | int]) -> bool:
    return _value(data, path)[0]


def _value(data: Any, path: Sequence[str | int]) -> tuple[bool, Any]:
    """Whether ``path`` exists in ``data``, and the value there."""
    node = data
    for item in path:
        found, node = _child(node, item)
        if not found:
            return False, None
    return True, node


def _validation_to_input_error(
    exc: ValidationError, merged: dict[str, Any], layers: Sequence[Layer]
) -> InputError:
    err = exc.errors()[0]
    path = _data_path(merged, err["loc"])
    found = "nothing" if err["type"] == "missing" else _describe(err.get("input"))
    if err["type"] == "extra_forbidden":
        found = f"unknown key {path[-1]!r}" if path else found
    readable = _readable_path(merged, path)
    return InputError(_locate_source(layers, path, readable), readable, _expected_from(err), found)


def check_dates(s: Scenario, source_of: Any) -> list[str]:
    """One rule for every dated entry (shocks, dated actions, AI-factory batches).

    A date before the scenario's start is a mistake: the run cannot go back to it. A date after
    the horizon is legitimate (a shorter ``horizon_years``), but nothing happens then: the run
    goes on and a warning says what it leaves out.

    Returns
    -------
    list of str
        The warnings, one per entry after the horizon.
    """
    end = s.start + dt.timedelta(days=s.horizon_days)
    notes: list[str] = []

    def check(when: dt.date, path: list[str | int], what: str) -> None:
        if when < s.start:
            raise InputError(
                source_of(path),
                path,
                f"a date on or after the scenario's start ({s.start})",
                str(when),
            )
        if when >= end:
            notes.append(f"{what} is dated {when}, after the horizon ({end}): it does not occur")

    for shock in s.shocks:
        if shock.start is not None:
            check(shock.start, ["shocks", shock.id, "start"], f"shock {shock.id!r}")
    for i, action in enumerate(s.actions):
        check(action.date, ["actions", i, "date"], f"the dated action actions[{i}]")
    for name, region in s.regions.items():
        for i, batch in enumerate(region.levers.ai_factories):
            path: list[str | int] = ["regions", name, "levers", "ai_factories", i, "start"]
            check(batch.start, path, f"{name}'s AI-factory batch ai_factories[{i}]")
    return notes


def check_grid(s: Scenario, source_of: Any) -> None:
    """Fail unless every recording time is a time of the world's step grid.

    The recorder only watches the world between steps, so it can sample only where the world
    has stopped: a recording interval must be a whole number of steps.
    """
    step, interval = s.step_days, s.recording.interval_days
    ratio = interval / step
    if abs(ratio - round(ratio)) > 1e-9 * max(ratio, 1.0) or round(ratio) < 1:
        path: list[str | int] = ["recording", "interval_days"]
        raise InputError(
            source_of(path),
            path,
            f"a whole multiple of step_days ({step:g} d)",
            f"{interval:g} d ({ratio:.4g} steps)",
        )


def removed_regions(layers: Sequence[Layer]) -> dict[str, str]:
    """Regions a layer removed (``regions.X: null``), each with the last layer that did."""
    out: dict[str, str] = {}
    for layer in layers:
        regions = layer.data.get("regions")
        if isinstance(regions, dict):
            out.update({name: layer.source for name, value in regions.items() if value is None})
    return out


def _operates_in(provider: Any) -> set[str]:
    """Regions a cloud provider serves: its home, ``present_in`` and sovereign offerings."""
    return {provider.home, *provider.present_in, *provider.sovereign_regions}


def check_references(s: Scenario, source_of: Any, removed: Mapping[str, str] | None = None) -> None:
    """Fail on any name that points nowhere: the wiring check before any run.

    ``removed`` names the layer that removed each absent region, so that a reference to it
    says where the region went, not only where it is still named.
    """
    regions = s.region_names
    removed = removed or {}

    def need(kind: str, value: str, allowed: Iterable[str], path: list[str | int]) -> None:
        allowed = list(allowed)
        if value not in allowed:
            hint = f"{removed[value]} removed region {value}" if value in removed else ""
            raise InputError(
                source_of(path),
                path,
                f"a {kind} of this scenario ({', '.join(allowed)})",
                value,
                hint=hint,
            )

    for sid, sup in s.suppliers.items():
        need("region", sup.home, regions, ["suppliers", sid, "home"])
    clouds = s.suppliers_of("cloud")
    stacks = s.suppliers_of("stack")
    # levers whose values name things (partners): each name checked as its declaration says
    naming = {k: d.names for k, d in levers_of(Levers).items() if d.names is not None}
    for name, region in s.regions.items():
        for lever, kind in naming.items():
            for value in getattr(region.levers, lever):  # a list's items, a mapping's keys
                need(kind.label, value, kind.names(s), ["regions", name, "levers", lever])
        for pid in region.cloud.initial_shares:
            need("cloud provider", pid, clouds, ["regions", name, "cloud", "initial_shares"])
        present = [pid for pid in clouds if name in _operates_in(s.suppliers[pid])]
        listings = {"initial_shares": region.cloud.initial_shares}
        if region.cloud.equilibrium_shares is not None:
            listings["equilibrium_shares"] = region.cloud.equilibrium_shares
            for pid in region.cloud.equilibrium_shares:
                need(
                    "cloud provider", pid, clouds, ["regions", name, "cloud", "equilibrium_shares"]
                )
        for key, listing in listings.items():
            for pid, share in listing.items():
                if share > 0 and pid not in present:
                    where: list[str | int] = ["regions", name, "cloud", key, pid]
                    raise InputError(
                        source_of(where),
                        where,
                        f"a cloud provider operating in {name} ({', '.join(present)})",
                        pid,
                        hint="a provider operates in its home, present_in and sovereign_regions",
                    )
        segments = list(s.uncertainties.market.segments)
        given = list(region.cloud.segment_shares)
        if sorted(given) != sorted(segments):
            where = ["regions", name, "cloud", "segment_shares"]
            raise InputError(
                source_of(where),
                where,
                "a share for each segment of uncertainties.market.segments "
                f"({', '.join(segments)})",
                ", ".join(given) or "none",
            )
        listings["segment_shares"] = region.cloud.segment_shares
        for key, listing in listings.items():
            total = sum(listing.values())
            if abs(total - 1.0) > 1e-6:
                where = ["regions", name, "cloud", key]
                raise InputError(
                    source_of(where),
                    where,
                    "shares summing to 1",
                    f"a sum of {total:.6g}",
                    hint="the long tail is listed, not implied; a scenario's listing is merged "
                    "with the profile's, so give 0 to a provider you drop",
                )
        need(
            "software stack",
            region.software.proprietary_stack,
            stacks,
            ["regions", name, "software", "proprietary_stack"],
        )
    for i, action in enumerate(s.actions):
        for key, value in action.set.items():
            parts = key.split(".")
            path: list[str | int] = ["actions", i, "set", key]
            if len(parts) != 4 or parts[0] != "regions" or parts[2] not in _ACTION_PARTS:
                raise InputError(
                    source_of(["actions"]),
                    path,
                    "a key regions.<region>.levers.<lever>, regions.<region>.data.<share> or "
                    "regions.<region>.models.<share>",
                    key,
                )
            need("region", parts[1], regions, path)
            if parts[2] == "data":
                need("data share a dated action can change", parts[3], DATED_DATA, path)
            elif parts[2] == "models":
                need("model-source share", parts[3], DATED_MODELS, path)
            else:
                need("lever a dated action can change", parts[3], DATED_LEVERS, path)
            _check_action_value(parts[2], parts[3], value, path, source_of(["actions"]))
            names = naming.get(parts[3]) if parts[2] == "levers" else None
            if names is not None:
                for named in value:
                    need(names.label, named, names.names(s), path)
        _check_model_shares(action.set, ["actions", i, "set"], source_of(["actions"]))
    if not s.suppliers_of("accelerator"):
        raise InputError(
            source_of(["suppliers"]),
            ["suppliers"],
            "at least one accelerator supplier",
            "none (is an accelerator designer's home region in the scenario?)",
        )
    seen: set[str] = set()
    for shock in s.shocks:
        base: list[str | int] = ["shocks", shock.id]
        if shock.id in seen:
            raise InputError(source_of(base), [*base, "id"], "a unique shock id", shock.id)
        seen.add(shock.id)
        # each shock type declares which fields name what (ShockBase.references)
        for ref in shock.references:
            known = ref.kind.names(s)
            for value in ref.values(shock):
                need(ref.kind.label, value, known, [*base, ref.field])


def load_scenario(
    path: str | Path, overrides: Sequence[str] = (), seed: int | None = None
) -> LoadedScenario:
    """Read, merge, expand and validate a scenario file.

    Parameters
    ----------
    path
        The scenario YAML file.
    overrides
        ``KEY.PATH=VALUE`` strings, applied last (shocks addressed by id).
    seed
        Replaces the scenario's ``seed`` when given.

    Returns
    -------
    LoadedScenario
        The scenario, the merged text it was built from and that text's SHA-256.

    Raises
    ------
    InputError
        On any invalid input, naming file, key path, expectation and finding.
    """
    path = Path(path)
    defaults = load_defaults()
    base = Layer(DEFAULTS_LAYER, defaults.get("scenario", {}))
    files = _file_chain(path)
    layers = [base, *files]
    merged: dict[str, Any] = {}
    for layer in layers:
        merged = deep_merge(merged, layer.data, keep_nulls=True)
    _check_shapes(merged, layers)
    cal = _calibration_layer(files, merged)
    if cal is not None:
        layers.insert(1, cal)
    cli = Layer("--set", {})
    for text in overrides:
        parts, value = parse_override(text)
        _check_region_exists(merged, parts)
        _apply_override(merged, parts, value)
        # the --set layer keeps shocks keyed by id, so errors trace back to the flag
        _apply_override(cli.data, parts, value)
    if seed is not None:
        merged["seed"] = seed
        cli.data["seed"] = seed
    layers.append(cli)
    _check_shapes(merged, layers)  # again: a --set may have replaced a section

    def source_of(p: Sequence[str | int]) -> str:
        return _locate_source(layers, p, p)

    _expand(merged, defaults, source_of)
    merged = strip_nulls(merged)
    try:
        scenario = Scenario.model_validate(merged)
    except ValidationError as exc:
        raise _validation_to_input_error(exc, merged, layers) from None
    check_references(scenario, source_of, removed_regions(layers))
    check_grid(scenario, source_of)
    notes = check_dates(scenario, source_of)
    return LoadedScenario(scenario, layers, notes)


#: libyaml's emitter where PyYAML was built with it: it writes the same text as PyYAML's own
#: emitter (tested on every shipped scenario) about five times faster, and dumping the
#: resolved scenario was 80 % of loading one (0.3 s of the baseline's), paid by every run of
#: a sweep.
_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def scenario_text(data: Mapping[str, Any], dumper: type[yaml.SafeDumper] | None = None) -> str:
    """The resolved scenario ``data`` as YAML: the run's provenance, hashed for its identity.

    Parameters
    ----------
    data
        The validated scenario dumped to JSON-compatible values.
    dumper
        The YAML dumper; by default libyaml's safe dumper if present, else PyYAML's.
    """
    return str(yaml.dump(data, Dumper=dumper or _DUMPER, sort_keys=False, allow_unicode=True))


def _check_action_value(
    part: str, name: str, value: Any, path: list[str | int], source: str
) -> None:
    """Refuse a dated action's value that the field it sets would not take."""
    if name in STATE_LEVERS:
        info = Levers.model_fields[name]
        expected = f"a value of the lever {name} ({_type_name(info.annotation)})"
    else:
        layers: dict[str, type[BaseModel]] = {"data": DataLayer, "models": ModelsLayer}
        info = layers.get(part, Levers).model_fields[name]
        expected = "a number in [0, 1]"
    # a number is taken strictly: a dated action is written by hand, so "0.5" for 0.5 is a
    # mistake worth naming; a state lever's list or mapping is read as the scenario reads it
    form: Any = Annotated[info.annotation, *info.metadata]
    adapter: TypeAdapter[Any] = TypeAdapter(form)
    strict = None if name in STATE_LEVERS else True
    try:
        adapter.validate_python(value, strict=strict)
    except ValidationError:
        raise InputError(source, path, expected, _describe(value)) from None


def _type_name(annotation: Any) -> str:
    """A short reading of a lever's type for an error message."""
    return str(annotation).replace("typing.", "").replace("ecosim.scenario.models.", "")


#: What a dated action's key may set under ``regions.<region>``.
_ACTION_PARTS = ("levers", "data", "models")


def _check_model_shares(values: Mapping[str, Any], path: list[str | int], source: str) -> None:
    """A region's model-source shares are set together: all three, summing to 1."""
    by_region: dict[str, dict[str, float]] = {}
    for key, value in values.items():
        _, region, part, name = key.split(".")
        if part == "models":
            by_region.setdefault(region, {})[name] = float(value)
    for region, shares in by_region.items():
        where = [*path, f"regions.{region}.models"]
        if set(shares) != set(DATED_MODELS):
            raise InputError(
                source,
                where,
                f"all three model-source shares in one action ({', '.join(DATED_MODELS)})",
                ", ".join(sorted(shares)),
            )
        if abs(sum(shares.values()) - 1.0) > 1e-6:
            raise InputError(
                source, where, "model-source shares summing to 1", f"{sum(shares.values()):g}"
            )
