"""What the planner can set on the page, and how each setting becomes a ``--set`` flag.

The controls are made from the scenario's own declarations, not listed here: one per field of
:class:`~ecosim.scenario.models.Levers`, its form read from the field's type and its
:class:`~ecosim.scenario.declarations.Lever` declaration (a number in [0, 1] is a slider, a
list of names a choice of the names the declaration says they are, anything else YAML text),
and for each shock its date, the factor on its magnitude (``severity``) and its duration.

A setting the planner changed becomes ``KEY.PATH=VALUE``, the flag ``ecosim run --set`` takes,
and nothing else: the page loads and runs a scenario with these flags exactly as the command
line does, so the same flags give the same numbers and the command line the page shows is the
run it made. The same flags travel in the page's address, so a link reproduces the settings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin
from urllib.parse import parse_qs, urlencode

import yaml
from pydantic.fields import FieldInfo

from ecosim.errors import InputError
from ecosim.scenario.declarations import Lever, is_fraction
from ecosim.scenario.loader import parse_override
from ecosim.scenario.models import LEVERS, Levers, Scenario, ShockBase

ControlKind = Literal["fraction", "number", "names", "choices", "shares", "yaml"]

#: The range of the severity factor a control offers (1: the shock as the scenario gives it).
SEVERITY_RANGE = (0.0, 3.0)


@dataclass(frozen=True)
class Control:
    """One lever of one region, as the page offers it.

    Attributes
    ----------
    key
        The ``--set`` key path: ``regions.EU.levers.build_share``.
    name
        The lever's field name.
    help
        The field's description.
    kind
        The form: ``fraction`` (a slider over [0, 1]), ``number`` (at least ``low``),
        ``names`` (some of ``options``), ``choices`` (some of ``options``, fixed values),
        ``shares`` (a number in [0, 1] for any of ``options``), ``yaml`` (YAML text).
    start
        The value the scenario starts with, in the control's form.
    options
        The names or values to choose from.
    low
        The least value of a ``number``.
    dated
        Whether a dated action of a scenario may change it during a run.
    """

    key: str
    name: str
    help: str
    kind: ControlKind
    start: Any
    options: tuple[str, ...] = ()
    low: float | None = None
    dated: bool = False


def _bound(info: FieldInfo, attr: str) -> float | None:
    for meta in info.metadata:
        value = getattr(meta, attr, None)
        if value is not None:
            return float(value)
    return None


def _base(annotation: Any) -> Any:
    """The type under ``Annotated[...]`` (``Name`` is ``str``)."""
    while hasattr(annotation, "__metadata__"):
        annotation = get_args(annotation)[0]
    return annotation


def _form(info: FieldInfo, lever: Lever) -> ControlKind:
    """The control a lever field takes, read from its type and declaration."""
    if is_fraction(info):
        return "fraction"
    annotation = info.annotation
    if annotation is float:
        return "number"
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is list and args:
        item = _base(args[0])
        if get_origin(item) is Literal:
            return "choices"
        if item is str and lever.names is not None:
            return "names"
    if origin is dict and len(args) == 2 and lever.names is not None:
        value = FieldInfo.from_annotation(args[1])
        if _base(args[0]) is str and is_fraction(value):
            return "shares"
    return "yaml"


def lever_controls(scenario: Scenario, region: str) -> list[Control]:
    """A control for every lever of ``region``, in the order of :class:`Levers`.

    Parameters
    ----------
    scenario
        The scenario as loaded (its starting values).
    region
        One of its regions.
    """
    levers = scenario.regions[region].levers
    out: list[Control] = []
    for name, lever in LEVERS.items():
        info = Levers.model_fields[name]
        kind = _form(info, lever)
        value = getattr(levers, name)
        options: tuple[str, ...] = ()
        if kind in ("names", "shares") and lever.names is not None:
            options = tuple(n for n in lever.names.names(scenario) if n != region)
        elif kind == "choices":
            options = tuple(str(v) for v in get_args(_base(get_args(info.annotation)[0])))
        if kind == "yaml":
            start: Any = to_yaml(getattr(levers, name))
        elif kind in ("names", "choices"):
            start = [str(v) for v in value]
        elif kind == "shares":
            start = {str(k): float(v) for k, v in value.items()}
        else:
            start = float(value)
        out.append(
            Control(
                key=f"regions.{region}.levers.{name}",
                name=name,
                help=info.description or "",
                kind=kind,
                start=start,
                options=options,
                low=_bound(info, "ge") if kind == "number" else None,
                dated=lever.action or lever.state,
            )
        )
    return out


@dataclass(frozen=True)
class ShockControl:
    """The date, severity and duration of one shock, as the page offers them.

    Attributes
    ----------
    id, type
        The shock's id and type.
    start
        Its date, or None for a shock drawn at a rate (it has no date to move).
    magnitude
        The field its severity scales (``capacity_loss``), or None: then its duration is how
        severe it is.
    severity
        The factor's range ``(low, high)``, drawn per occurrence; ``(1, 1)``: as given.
    duration_field
        The duration's field a control sets (``days``, ``median_days``), or None for a
        permanent shock.
    duration_days
        Its value.
    """

    id: str
    type: str
    start: dt.date | None
    magnitude: str | None
    severity: tuple[float, float]
    duration_field: str | None
    duration_days: float | None

    @property
    def key(self) -> str:
        """The ``--set`` key path of the shock: ``shocks.<id>``."""
        return f"shocks.{self.id}"


def shock_controls(scenario: Scenario) -> list[ShockControl]:
    """The controls of every shock of ``scenario``, in its order."""
    out: list[ShockControl] = []
    for shock in scenario.shocks:
        spec: ShockBase = shock
        sev = spec.severity
        severity = (1.0, 1.0) if sev is None else (float(sev.low), float(sev.high))
        kind = spec.duration.kind
        what = {"fixed": "days", "lognormal": "median_days"}.get(kind)
        days = float(getattr(spec.duration, what)) if what else None
        out.append(
            ShockControl(spec.id, spec.type, spec.start, spec.magnitude, severity, what, days)
        )
    return out


# --------------------------------------------------------------------------- values to flags


def to_yaml(value: Any) -> str:
    """``value`` as one line of YAML, as a ``--set`` flag carries it."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="python", exclude_none=True)
    elif isinstance(value, list):
        value = [
            v.model_dump(mode="python", exclude_none=True) if hasattr(v, "model_dump") else v
            for v in value
        ]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6, sort_keys=False)
    return text.removesuffix("\n...\n").strip()


def flag(key: str, value: Any) -> str:
    """The ``--set`` flag setting ``key`` to ``value``."""
    return f"{key}={to_yaml(value)}"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return abs(float(a) - float(b)) <= 1e-12
        except (TypeError, ValueError):
            return False
    return bool(a == b)


def lever_flags(controls: Sequence[Control], values: Mapping[str, Any]) -> list[str]:
    """The ``--set`` flags of the levers whose value differs from the scenario's start.

    Parameters
    ----------
    controls
        The region's controls.
    values
        Each control's value by key; a control not in it keeps its start.

    Raises
    ------
    InputError
        For YAML text that does not parse, as ``--set`` reports it.
    """
    flags: list[str] = []
    for c in controls:
        if c.key not in values or values[c.key] is None:
            continue
        value = values[c.key]
        if c.kind == "yaml":
            text = str(value).strip()
            if text == c.start:
                continue
            _, parsed = parse_override(f"{c.key}={text}")
            _, start = parse_override(f"{c.key}={c.start}")
            if parsed != start:
                flags.append(flag(c.key, parsed))
        elif c.kind in ("names", "choices"):
            chosen = [str(v) for v in value]
            if sorted(chosen) != sorted(c.start):
                # in the order the options are listed, so a link does not depend on clicks
                order = {o: i for i, o in enumerate(c.options)}
                flags.append(flag(c.key, sorted(chosen, key=lambda v: order.get(v, len(order)))))
        elif c.kind == "shares":
            shares = {str(k): float(v) for k, v in dict(value).items() if v is not None}
            if shares != c.start:
                flags.append(flag(c.key, shares))
        elif not _same(value, c.start):
            flags.append(flag(c.key, float(value)))
    return flags


def shock_flags(controls: Sequence[ShockControl], values: Mapping[str, Any]) -> list[str]:
    """The ``--set`` flags of the shocks' dates, severities and durations that were changed.

    Parameters
    ----------
    controls
        The scenario's shock controls.
    values
        By ``shocks.<id>.start`` (a date or ISO text), ``shocks.<id>.severity`` (a pair
        ``low, high``) and ``shocks.<id>.duration.<field>`` (days).
    """
    flags: list[str] = []
    for c in controls:
        start = values.get(f"{c.key}.start")
        if c.start is not None and start:
            date = start if isinstance(start, dt.date) else _date(f"{c.key}.start", start)
            if date != c.start:
                flags.append(flag(f"{c.key}.start", date))
        severity = values.get(f"{c.key}.severity")
        if c.magnitude is not None and severity is not None:
            low, high = sorted(float(v) for v in severity)
            if not (_same(low, c.severity[0]) and _same(high, c.severity[1])):
                flags.append(
                    flag(f"{c.key}.severity", {"kind": "uniform", "low": low, "high": high})
                )
        if c.duration_field is not None:
            days = values.get(f"{c.key}.duration.{c.duration_field}")
            if days is not None and not _same(days, c.duration_days):
                flags.append(flag(f"{c.key}.duration.{c.duration_field}", float(days)))
    return flags


def _date(key: str, text: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise InputError("--set", key.split("."), "a date YYYY-MM-DD", repr(text)) from None


def is_lever_flag(text: str) -> bool:
    """Whether a ``--set`` flag sets a lever of some region (``regions.R.levers.X``)."""
    key = text.partition("=")[0].strip().split(".")
    return len(key) >= 4 and key[0] == "regions" and key[2] == "levers"


def control_values(
    flags: Sequence[str], controls: Sequence[Control], shocks: Sequence[ShockControl]
) -> tuple[dict[str, Any], list[str]]:
    """Read ``--set`` flags back into control values (a link opened), and the flags left over.

    Parameters
    ----------
    flags
        ``KEY.PATH=VALUE`` strings, as :func:`lever_flags` and :func:`shock_flags` make them.
    controls, shocks
        The controls of the region and of the shocks.

    Returns
    -------
    dict, list
        Control values by key, and the flags no control shows (other regions' levers,
        ``horizon_years``, ...), kept as given.
    """
    by_key = {c.key: c for c in controls}
    shock_keys: dict[str, ShockControl] = {}
    for s in shocks:
        shock_keys[f"{s.key}.start"] = s
        shock_keys[f"{s.key}.severity"] = s
        if s.duration_field is not None:
            shock_keys[f"{s.key}.duration.{s.duration_field}"] = s
    values: dict[str, Any] = {}
    rest: list[str] = []
    for text in flags:
        parts, value = parse_override(text)
        key = ".".join(parts)
        control = by_key.get(key)
        if control is not None and _fits(control, value):
            values[key] = to_yaml(value) if control.kind == "yaml" else value
        elif key in shock_keys and _fits_shock(key, value):
            if key.endswith(".severity"):
                value = (float(value["low"]), float(value["high"]))
            values[key] = value
        else:
            rest.append(text)
    return values, rest


def _fits(control: Control, value: Any) -> bool:
    """Whether a flag's value is one the control can show (else it stays a plain flag)."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if control.kind == "fraction":
        return number and 0.0 <= float(value) <= 1.0
    if control.kind == "number":
        return number and float(value) >= (control.low or 0.0)
    if control.kind in ("names", "choices"):
        return isinstance(value, list) and all(str(v) in control.options for v in value)
    if control.kind == "shares":
        return isinstance(value, dict) and all(
            str(k) in control.options and isinstance(v, int | float) for k, v in value.items()
        )
    return True


def _fits_shock(key: str, value: Any) -> bool:
    if key.endswith(".start"):
        return isinstance(value, dt.date)
    if key.endswith(".severity"):
        return (
            isinstance(value, dict)
            and value.get("kind") == "uniform"
            and all(isinstance(value.get(b), int | float) for b in ("low", "high"))
        )
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


# --------------------------------------------------------------------------- the address


@dataclass
class Settings:
    """Everything a run on the page is made of; what its address carries.

    Attributes
    ----------
    scenario
        The scenario's key (``roadmap/1_build.yaml``, ``upload:...``).
    region
        The region whose levers the page shows and whose gain it reports.
    seed
        Replaces the scenario's seed when given (``--seed``).
    replicates
        Replicates ``0..N-1`` (``--replicates``).
    flags
        The ``--set`` flags, in the order they are applied.
    """

    scenario: str
    region: str = ""
    seed: int | None = None
    replicates: int = 1
    flags: list[str] = field(default_factory=list)

    def query(self) -> str:
        """The settings as an address's query string (``?scenario=...&set=...``)."""
        pairs: list[tuple[str, str]] = [("scenario", self.scenario)]
        if self.region:
            pairs.append(("region", self.region))
        if self.seed is not None:
            pairs.append(("seed", str(self.seed)))
        if self.replicates != 1:
            pairs.append(("replicates", str(self.replicates)))
        pairs += [("set", f) for f in self.flags]
        return "?" + urlencode(pairs)

    @classmethod
    def from_query(cls, search: str, default_scenario: str) -> Settings:
        """The settings an address carries; what it leaves out takes its default.

        Raises
        ------
        InputError
            For a seed or a number of replicates that is not a whole number in range.
        """
        got = parse_qs(search.lstrip("?"), keep_blank_values=False)

        def one(name: str) -> str | None:
            values = got.get(name)
            return values[-1] if values else None

        seed = one("seed")
        replicates = one("replicates")
        return cls(
            scenario=one("scenario") or default_scenario,
            region=one("region") or "",
            seed=_whole("seed", seed, 0, 2**63 - 1) if seed is not None else None,
            replicates=_whole("replicates", replicates, 1, MAX_REPLICATES)
            if replicates is not None
            else 1,
            flags=list(got.get("set", [])),
        )


#: The most replicates one run on the page may ask for (each is a full run and its twin).
MAX_REPLICATES = 20


def _whole(name: str, text: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise InputError("address", [name], f"a whole number in [{low}, {high}]", repr(text))
    return value


def read_flags(text: str) -> list[str]:
    """``KEY.PATH=VALUE`` flags written one a line (blank lines and ``#`` comments skipped).

    Raises
    ------
    InputError
        For a line that is not ``KEY.PATH=VALUE``, as ``--set`` reports it.
    """
    flags: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("--set").strip()
        parse_override(line)
        flags.append(line)
    return flags
