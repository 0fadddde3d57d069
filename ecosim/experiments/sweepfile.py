"""Sweep files: which scenario to vary, over what, with which design.

A sweep file is YAML, validated like a scenario (frozen pydantic models, unknown keys
rejected) and every mistake becomes one :class:`~ecosim.errors.InputError` naming the sweep
file and the key path::

    base: ../../tests/scenarios/small.yaml      # relative to this file
    overrides: [horizon_years=2, recording.interval_days=7]
    uncertainties:                              # sampled into futures by the design
      shocks.fab_quake.capacity_loss: {low: 0.2, high: 0.8}
      regions.US.demand.growth_per_year: {dist: normal, mean: 0.3, sd: 0.05}
    levers:                                     # crossed with every future
      regions.TW.levers.build_share: [0.2, 0.6]
    design: {kind: lhs, n: 12, seed: 1}
    replicates: 2
    outputs: {series: [service], coarsen_days: 30}
    entropy: 42                                 # default: the base scenario's seed

Only reading and validating the file happens here; :mod:`ecosim.experiments.design` expands
it into runs and :mod:`ecosim.experiments.preflight` checks it against its base scenario.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ecosim.errors import InputError
from ecosim.scenario.yamlio import load_yaml

Scalar = float | int | bool | str


class _Strict(BaseModel):
    # strict: true/false is not a number, and "3" is not 3 (YAML gives numbers as numbers)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Range(_Strict):
    """A uniform range ``{low, high}``; as a lever, ``levels`` evenly spaced values."""

    low: float = Field(allow_inf_nan=False)
    high: float = Field(allow_inf_nan=False)
    levels: Annotated[int, Field(ge=2, le=1000)] | None = None
    integer: bool = Field(False, description="round sampled values to whole numbers")

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.high > self.low:
            raise ValueError(f"high > low (low is {self.low})")
        return self


class Uniform(_Strict):
    """``{dist: uniform, low, high}``."""

    dist: Literal["uniform"]
    low: float = Field(allow_inf_nan=False)
    high: float = Field(allow_inf_nan=False)
    integer: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.high > self.low:
            raise ValueError(f"high > low (low is {self.low})")
        return self


class Normal(_Strict):
    """``{dist: normal, mean, sd}``, optionally clipped to ``[low, high]``."""

    dist: Literal["normal"]
    mean: float = Field(allow_inf_nan=False)
    sd: float = Field(gt=0.0, allow_inf_nan=False)
    low: float | None = None
    high: float | None = None
    integer: bool = False


class Lognormal(_Strict):
    """``{dist: lognormal, median, sigma}``: ``log X ~ Normal(log median, sigma)``."""

    dist: Literal["lognormal"]
    median: float = Field(gt=0.0, allow_inf_nan=False)
    sigma: float = Field(gt=0.0, allow_inf_nan=False)
    integer: bool = False


class Triangular(_Strict):
    """``{dist: triangular, low, mode, high}``."""

    dist: Literal["triangular"]
    low: float = Field(allow_inf_nan=False)
    mode: float = Field(allow_inf_nan=False)
    high: float = Field(allow_inf_nan=False)
    integer: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.high > self.low):
            raise ValueError("low <= mode <= high with high > low")
        return self


Distribution = Annotated[Uniform | Normal | Lognormal | Triangular, Field(discriminator="dist")]
Uncertainty = Range | Distribution
Lever = Annotated[list[Scalar], Field(min_length=1)] | Range


class Design(_Strict):
    """How futures are sampled from the uncertainties.

    ``factorial``: every combination of ``levels`` values per uncertainty (``n`` unused);
    ``lhs``: ``n`` Latin-hypercube samples; ``sobol``: Saltelli's scheme with base ``n`` (a power
    of two), ``n(2D+2)`` futures with ``second_order`` or ``n(D+2)`` without; ``morris``: ``n``
    trajectories of ``D+1`` points on a ``levels``-level grid (screening many uncertainties).
    """

    kind: Literal["factorial", "lhs", "sobol", "morris"] = "factorial"
    n: Annotated[int, Field(ge=1, le=10_000_000)] = 1
    seed: Annotated[int, Field(ge=0, lt=2**32)] = 0
    levels: Annotated[int, Field(ge=2, le=100)] | None = None
    second_order: bool = True

    @model_validator(mode="after")
    def _power_of_two(self) -> Design:
        if self.kind == "sobol" and self.n & (self.n - 1):
            raise ValueError(f"n a power of two for a sobol design (e.g. {_next_pow2(self.n)})")
        return self


def _next_pow2(n: int) -> int:
    return 1 << max(0, math.ceil(math.log2(max(n, 1))))


class Outputs(_Strict):
    """What the store keeps besides the metrics (which it always keeps)."""

    series: list[str] = Field(default_factory=list)
    coarsen_days: float = Field(30.0, gt=0.0, le=3660.0, allow_inf_nan=False)


class SweepFile(_Strict):
    """The schema of a sweep file."""

    base: str = Field(description="scenario file, relative to the sweep file")
    overrides: list[str] = Field(default_factory=list)
    uncertainties: dict[str, Uncertainty] = Field(default_factory=dict)
    levers: dict[str, Lever] = Field(default_factory=dict)
    design: Design = Field(default_factory=Design)
    replicates: Annotated[int, Field(ge=1, le=100_000)] = 1
    outputs: Outputs = Field(default_factory=Outputs)
    entropy: Annotated[int, Field(ge=0, lt=2**63)] | None = None

    @model_validator(mode="after")
    def _disjoint(self) -> SweepFile:
        both = set(self.uncertainties) & set(self.levers)
        if both:
            raise ValueError(f"a key to be an uncertainty or a lever, not both ({sorted(both)})")
        return self


@dataclass(frozen=True)
class Sweep:
    """A validated sweep file with where it came from.

    Attributes
    ----------
    spec
        The validated content.
    path
        The sweep file (absolute).
    text
        Its exact text, kept in the store's provenance.
    sha256
        The SHA-256 of ``text``; ``--resume`` refuses a store made from another file.
    """

    spec: SweepFile
    path: Path
    text: str
    sha256: str

    @property
    def base_path(self) -> Path:
        """The base scenario file, resolved against the sweep file's folder."""
        return (self.path.parent / self.spec.base).resolve()


RESERVED = {
    "seed": "set by the sweep's 'entropy' key",
    # the store's period axis is laid out once from the base scenario's horizon and grid
    "horizon_years": "fixed for a whole sweep; set it in overrides",
    "recording": "fixed for a whole sweep; set it in overrides",
}


def read_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file (its keys only; see
    :func:`ecosim.experiments.preflight.check_against_base`).

    Parameters
    ----------
    path
        The sweep YAML file.

    Returns
    -------
    Sweep
        The validated sweep with its text and hash.

    Raises
    ------
    InputError
        Naming the sweep file and the key path of the first mistake.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, [], "an existing sweep file", f"no file {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, [], "a readable UTF-8 YAML file", str(exc)) from None
    return parse_sweep(text, path)


def parse_sweep(text: str, path: Path) -> Sweep:
    """Validate the text of a sweep file that was read from ``path``."""
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(path, [], "valid YAML", f"{problem}{where}") from None
    if not isinstance(data, dict):
        raise InputError(path, [], "a mapping of sweep keys", type(data).__name__)
    try:
        spec = SweepFile.model_validate(data)
    except ValidationError as exc:
        raise _to_input_error(exc, data, path) from None
    for section in ("uncertainties", "levers"):
        for key in getattr(spec, section):
            first = key.split(".")[0]
            if first in RESERVED:
                raise InputError(
                    path, [section, key], "a scenario key", f"{key} ({RESERVED[first]})"
                )
            if not key or any(not part for part in key.split(".")):
                raise InputError(
                    path, [section], "a key path like regions.EU.levers.build_share", repr(key)
                )
    if spec.design.kind in {"sobol", "morris"} and not spec.uncertainties:
        raise InputError(
            path, ["design", "kind"], "factorial or lhs for a sweep without uncertainties", "sobol"
        )
    if spec.design.kind == "factorial":
        levels = spec.design.levels or 2
        if levels ** len(spec.uncertainties) > 10_000_000:
            raise InputError(
                path, ["design", "levels"], "at most 10 million factorial futures", str(levels)
            )
    resolved = path.resolve()
    return Sweep(spec, resolved, text, hashlib.sha256(text.encode()).hexdigest())


def _to_input_error(exc: ValidationError, data: Any, path: Path) -> InputError:
    from ecosim.scenario.loader import _describe, _expected_from

    err = exc.errors()[0]
    loc: list[str | int] = []
    node: Any = data
    for item in err["loc"]:
        # Drop pydantic's union tags (e.g. 'Range', 'list[...]', 'normal') that are not keys.
        if (isinstance(node, dict) and item in node) or (
            isinstance(node, list) and isinstance(item, int) and item < len(node)
        ):
            node = node[item]  # type: ignore[index]
            loc.append(item)
        elif isinstance(node, dict) and isinstance(item, str) and item.isidentifier():
            if node.get("dist") == item or item[0].isupper() or item.startswith("function-"):
                continue
            loc.append(item)
            node = None
    found = "nothing" if err["type"] == "missing" else _describe(err.get("input"))
    if err["type"] == "extra_forbidden" and loc:
        found = f"unknown key {loc[-1]!r}"
    expected = _expected_from(err)
    if err["type"] == "extra_forbidden":
        expected = "a known key (this one is not part of the sweep file schema)"
    return InputError(path, loc, expected, found)
