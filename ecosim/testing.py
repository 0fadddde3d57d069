"""Helpers for testing code that uses ecosim: comparing runs, checking invariants, fuzzing inputs.

These are public so that projects building on ecosim can check their own runs the same way::

    from ecosim.testing import assert_invariants, assert_runs_identical

    a = ecosim.simulate(loaded)
    b = ecosim.simulate(loaded)
    assert_invariants(a)
    assert_runs_identical(a, b)

:func:`scenario_overrides` needs ``hypothesis`` (a test dependency), imported only when called.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from ecosim.scenario.declarations import is_fraction
from ecosim.scenario.models import Levers

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = [
    "VOLATILE_ATTRS",
    "assert_invariants",
    "assert_runs_identical",
    "scenario_overrides",
]

#: Dataset attributes that differ between two runs of the same input (clock readings).
VOLATILE_ATTRS: frozenset[str] = frozenset({"started_utc", "finished_utc", "wall_time_s"})

#: Variables every run holds, which :func:`assert_invariants` requires.
REQUIRED_VARIABLES: tuple[str, ...] = (
    "service",
    "service_direct",
    "market_share",
    "capacity_own",
    "capacity_cloud",
    "demand",
    "backlog",
    "lead_time",
)

#: Variables that must never be negative.
NON_NEGATIVE: tuple[str, ...] = ("capacity_own", "capacity_cloud", "demand", "backlog", "lead_time")

#: Per-region shares of resilience loss over the layers: each row sums to 1, or to 0 (no loss).
BOTTLENECKS: tuple[str, ...] = ("bottleneck", "bottleneck_direct")

SHARE_TOL = 1e-9

#: The region levers :func:`scenario_overrides` varies: every lever of
#: :class:`~ecosim.scenario.models.Levers` that is one number in [0, 1].
FRACTION_LEVERS: tuple[str, ...] = tuple(
    name for name, info in Levers.model_fields.items() if is_fraction(info)
)


# --------------------------------------------------------------------------- identical runs


def _arrays_identical(a: np.ndarray, b: np.ndarray) -> bool:
    """True when ``a`` and ``b`` have one dtype and shape and the same values, bit for bit.

    Numbers compare by their bytes (so NaN equals the same NaN and ``-0.0`` differs from
    ``0.0``); object and string arrays compare element by element, so labels held as Python
    objects in memory equal the same labels read back from a file as fixed-width strings.
    """
    if a.shape != b.shape:
        return False
    if _text_like(a) and _text_like(b):
        return bool(np.array_equal(a, b))
    if a.dtype != b.dtype:
        return False
    if a.dtype.kind in "biufcmM":
        return np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()
    return bool(np.array_equal(a, b))


def _text_like(a: np.ndarray) -> bool:
    return a.dtype.kind in "OU"


def _values_equal(a: Any, b: Any) -> bool:
    """Equality for attribute values, which may be scalars, strings or arrays."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return _arrays_identical(np.asarray(a), np.asarray(b))
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if isinstance(a, str) and isinstance(b, str):
        return str(a) == str(b)
    if type(a) is not type(b):
        return False
    return bool(a == b)


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float | np.number) and not isinstance(x, bool | np.bool_)


def _first_attr_difference(
    a: Mapping[Hashable, Any], b: Mapping[Hashable, Any], ignore: Iterable[str] = ()
) -> str | None:
    skip = set(ignore)
    keys_a = {k for k in a if k not in skip}
    keys_b = {k for k in b if k not in skip}
    if keys_a != keys_b:
        only_a = sorted(map(str, keys_a - keys_b))
        only_b = sorted(map(str, keys_b - keys_a))
        return f"attributes differ: only in the first {only_a}, only in the second {only_b}"
    for key in a:
        if key in skip:
            continue
        if not _values_equal(a[key], b[key]):
            return f"attribute {key!r} differs: {_short(a[key])} != {_short(b[key])}"
    return None


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _compare_variable(kind: str, name: Hashable, x: xr.DataArray, y: xr.DataArray) -> None:
    label = f"{kind} {name!r}"
    if x.dims != y.dims:
        raise AssertionError(f"{label} differs: dims {x.dims} != {y.dims}")
    if x.dtype != y.dtype and not (x.dtype.kind in "OU" and y.dtype.kind in "OU"):
        raise AssertionError(f"{label} differs: dtype {x.dtype} != {y.dtype}")
    if x.shape != y.shape:
        raise AssertionError(f"{label} differs: shape {x.shape} != {y.shape}")
    xv, yv = np.asarray(x.values), np.asarray(y.values)
    if not _arrays_identical(xv, yv):
        where = _first_mismatch(xv, yv)
        raise AssertionError(f"{label} differs in value{where}")
    problem = _first_attr_difference(x.attrs, y.attrs)
    if problem:
        raise AssertionError(f"{label} differs: {problem}")


def _first_mismatch(a: np.ndarray, b: np.ndarray) -> str:
    """`` at index (i, j): x != y`` for the first differing element, or an empty string."""
    try:
        if a.dtype.kind in "biufcmM":
            diff = a.reshape(-1).view(np.uint8).reshape(a.size, -1) != b.reshape(-1).view(
                np.uint8
            ).reshape(b.size, -1)
            flat = np.flatnonzero(diff.any(axis=1))
        else:
            flat = np.flatnonzero(np.asarray(a != b).reshape(-1))
    except (TypeError, ValueError):
        return ""
    if flat.size == 0:
        return ""
    index = np.unravel_index(int(flat[0]), a.shape)
    at = tuple(int(i) for i in index)
    return f" at index {at}: {_short(a[at])} != {_short(b[at])}"


def assert_runs_identical(a: xr.Dataset, b: xr.Dataset) -> None:
    """Assert that two run results are the same, bit for bit.

    Both datasets must hold the same data variables and coordinates, with the same dims,
    dtypes, values (numbers compared by their bytes, object and string arrays element by
    element, so a result read back from its file equals the result in memory) and
    attributes. Dataset attributes must match too, except the clock readings of
    :data:`VOLATILE_ATTRS` (``started_utc``, ``finished_utc``, ``wall_time_s``).

    Parameters
    ----------
    a, b
        Results of :func:`ecosim.simulate` or of :func:`ecosim.open_results`.

    Raises
    ------
    AssertionError
        Naming the first variable (or coordinate, or attribute) that differs.

    Examples
    --------
    >>> import xarray as xr
    >>> ds = xr.Dataset({"demand": ("time", [1.0, 2.0])})
    >>> assert_runs_identical(ds, ds.copy(deep=True))
    """
    names_a, names_b = list(a.data_vars), list(b.data_vars)
    if set(names_a) != set(names_b):
        only_a = sorted(map(str, set(names_a) - set(names_b)))
        only_b = sorted(map(str, set(names_b) - set(names_a)))
        raise AssertionError(
            f"data variables differ: only in the first {only_a}, only in the second {only_b}"
        )
    coords_a, coords_b = list(a.coords), list(b.coords)
    if set(coords_a) != set(coords_b):
        only_a = sorted(map(str, set(coords_a) - set(coords_b)))
        only_b = sorted(map(str, set(coords_b) - set(coords_a)))
        raise AssertionError(
            f"coordinates differ: only in the first {only_a}, only in the second {only_b}"
        )
    for name in coords_a:
        _compare_variable("coordinate", name, a[name], b[name])
    for name in names_a:
        _compare_variable("variable", name, a[name], b[name])
    problem = _first_attr_difference(a.attrs, b.attrs, ignore=VOLATILE_ATTRS)
    if problem:
        raise AssertionError(f"dataset {problem}")


# --------------------------------------------------------------------------- invariants


def assert_invariants(ds: xr.Dataset) -> None:
    """Assert the invariants every run result keeps.

    * ``service`` and ``service_direct`` lie in [0, 1];
    * ``market_share`` lies in [0, 1] and sums to 1 (within 1e-9) over ``provider``;
    * ``capacity_own``, ``capacity_cloud``, ``demand``, ``backlog`` and ``lead_time`` are
      never negative;
    * no floating-point variable or coordinate holds NaN;
    * every data variable has ``units`` and ``long_name`` attributes;
    * each region's row of ``bottleneck`` (and ``bottleneck_direct``), when present, sums to 1
      or to 0 over ``layer``.

    Parameters
    ----------
    ds
        A result of :func:`ecosim.simulate` or of :func:`ecosim.open_results`.

    Raises
    ------
    AssertionError
        Naming the variable that breaks an invariant and how.
    """
    missing = [v for v in REQUIRED_VARIABLES if v not in ds.data_vars]
    if missing:
        raise AssertionError(f"variables missing from the result: {missing}")

    for name, var in ds.variables.items():
        if var.dtype.kind in "fc" and np.isnan(np.asarray(var.values)).any():
            raise AssertionError(f"variable {name!r} holds NaN")

    for name, data in ds.data_vars.items():
        for attr in ("units", "long_name"):
            if not isinstance(data.attrs.get(attr), str):
                raise AssertionError(f"variable {name!r} has no {attr!r} attribute")

    for name in ("service", "service_direct"):
        _check_range(ds, name, 0.0, 1.0)

    _check_range(ds, "market_share", 0.0, 1.0)
    if "provider" not in ds["market_share"].dims:
        raise AssertionError("variable 'market_share' has no 'provider' dimension")
    totals = np.asarray(ds["market_share"].sum("provider").values, dtype=np.float64)
    worst = float(np.abs(totals - 1.0).max()) if totals.size else 0.0
    if worst > SHARE_TOL:
        raise AssertionError(
            f"variable 'market_share' does not sum to 1 over 'provider' (off by {worst:.3g})"
        )

    for name in NON_NEGATIVE:
        low = _min(ds[name])
        if low is not None and low < 0.0:
            raise AssertionError(f"variable {name!r} is negative (min {low:.6g})")

    for name in BOTTLENECKS:
        if name not in ds.data_vars:
            continue
        if "layer" not in ds[name].dims:
            raise AssertionError(f"variable {name!r} has no 'layer' dimension")
        rows = np.asarray(ds[name].sum("layer").values, dtype=np.float64)
        bad = ~(np.isclose(rows, 1.0, rtol=0.0, atol=SHARE_TOL) | (np.abs(rows) <= SHARE_TOL))
        if bad.any():
            first = float(rows[bad].reshape(-1)[0])
            raise AssertionError(
                f"variable {name!r} has a row summing to {first:.6g}, expected 1 or 0"
            )


def _min(var: xr.DataArray) -> float | None:
    values = np.asarray(var.values)
    return float(values.min()) if values.size else None


def _check_range(ds: xr.Dataset, name: str, low: float, high: float) -> None:
    values = np.asarray(ds[name].values)
    if not values.size:
        return
    lo, hi = float(values.min()), float(values.max())
    if lo < low or hi > high:
        raise AssertionError(
            f"variable {name!r} leaves [{low:g}, {high:g}] (min {lo:.6g}, max {hi:.6g})"
        )


# --------------------------------------------------------------------------- fuzzing input


def yaml_float(x: float) -> str:
    """Spell ``x`` so that YAML (1.1, as PyYAML reads it) parses it back to the same float.

    ``repr`` writes ``1e-05``, which PyYAML reads as a string; this writes ``1.0e-05``.

    Examples
    --------
    >>> yaml_float(1e-05)
    '1.0e-05'
    >>> yaml_float(0.25)
    '0.25'
    """
    text = repr(float(x))
    mantissa, sep, exponent = text.partition("e")
    if sep and "." not in mantissa:
        text = f"{mantissa}.0e{exponent}"
    return text


def scenario_overrides(
    regions: Sequence[str], *, max_regions: int | None = None
) -> SearchStrategy[list[str]]:
    """A hypothesis strategy of ``--set`` overrides that keep a scenario valid.

    Each example is a list of ``KEY.PATH=VALUE`` strings for :func:`ecosim.load_scenario` or
    ``ecosim run --set``, with no key set twice, drawn from:

    * ``regions.<R>.levers.<lever>`` in [0, 1] for some of ``regions``, for one or more of the
      levers that are a number in [0, 1] (:data:`FRACTION_LEVERS`: ``build_share``,
      ``open_stack_share``, ``multi_cloud`` and the like);
    * ``uncertainties.demand_growth_scale`` in [0.5, 1.5];
    * ``seed``, a non-negative integer below 2**63.

    Parameters
    ----------
    regions
        Region names of the scenario the overrides are for (may be empty: then only the
        scenario-wide keys are drawn).
    max_regions
        Most regions to draw levers for; all of them by default.

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Lists of override strings, possibly empty, in random order.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(scenario_overrides(["US", "CN", "TW"]))
    ... def test_valid(overrides):
    ...     ecosim.load_scenario("tests/scenarios/small.yaml", overrides)  # doctest: +SKIP
    """
    from hypothesis import strategies as st

    names = list(dict.fromkeys(regions))
    fractions = st.floats(0.0, 1.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    scales = st.floats(0.5, 1.5, allow_nan=False, allow_infinity=False)
    seeds = st.integers(min_value=0, max_value=2**63 - 1)
    limit = len(names) if max_regions is None else max(0, min(max_regions, len(names)))

    @st.composite
    def build(draw: st.DrawFn) -> list[str]:
        out: list[str] = []
        if names and limit:
            chosen = draw(st.lists(st.sampled_from(names), max_size=limit, unique=True))
            for region in chosen:
                levers = draw(st.lists(st.sampled_from(FRACTION_LEVERS), min_size=1, unique=True))
                for lever in levers:
                    value = yaml_float(draw(fractions))
                    out.append(f"regions.{region}.levers.{lever}={value}")
        if draw(st.booleans()):
            out.append(f"uncertainties.demand_growth_scale={yaml_float(draw(scales))}")
        if draw(st.booleans()):
            out.append(f"seed={draw(seeds)}")
        return list(draw(st.permutations(out)))

    strategy: SearchStrategy[list[str]] = build()
    return strategy
