"""The mapping language: which simulated series an observation is compared with.

An expression names a recorded variable, selects labels along its dimensions, reduces the
dimensions that remain except ``time``, optionally divides by a second such term, and then
applies transforms in order::

    expr      := term [ "/" term ] { "|" transform }
    term      := VARIABLE [ "[" selection { "," selection } "]" ] { "." reducer "(" DIM ")" }
    selection := DIM "=" LABEL { "+" LABEL }        keep these labels
               | DIM "!=" LABEL { "+" LABEL }       drop these labels
    reducer   := sum | mean | max | min          over a dimension
               | trailing(DAYS)                  sum over the last DAYS, along time
               | change(DAYS)                    now less DAYS earlier, along time
    transform := weeks | hours | percent | relative_to(DATE) | change(DAYS) | smooth(DAYS)

Examples::

    lead_time[good=accelerator] | weeks
    market_share[region=EU, provider=ovhcloud+deutsche_telekom].sum(provider)
        / market_share[region=EU, provider!=outside].sum(provider) | percent
    capacity_cloud[region=US] | relative_to(2021-12-07)
    deliveries[region=CN].sum(supplier).trailing(91)
        / deliveries.sum(supplier).sum(region).trailing(91) | percent

``trailing(DAYS)`` turns a flow recorded per period into its total over a trailing window, so
a share of lumpy deliveries is read per quarter rather than per week. ``change(DAYS)`` on a
term, applied once its other dimensions are reduced, reads a share of growth: one term's
change over a year divided by another's.

A selection of one label drops that dimension; a selection of several keeps it, so it must be
reduced. The result must be a series over ``time`` alone. Transforms: ``weeks`` divides days by
7, ``hours`` multiplies days by 24, ``percent`` multiplies by 100, ``relative_to(DATE)`` divides
by the value at DATE (linear interpolation on the grid) and ``change(DAYS)`` is the difference
between the value now and DAYS earlier (zero before DAYS have passed); ``smooth(DAYS)`` is
the mean over the trailing DAYS, for observations that are monthly or quarterly averages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from ecosim.core.units import HOURS_PER_DAY
from ecosim.errors import InputError

_REDUCERS = ("sum", "mean", "max", "min")
_TERM = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:\[(.*?)\])?\s*((?:\.\s*\w+\s*\(\s*\w+\s*\)\s*)*)$")
_REDUCE = re.compile(r"\.\s*(\w+)\s*\(\s*(\w+)\s*\)")
_TRANSFORM = re.compile(r"^\s*(\w+)\s*(?:\(\s*([^)]*?)\s*\))?\s*$")


@dataclass(frozen=True)
class Selection:
    """Labels kept (or dropped, when ``negate``) along one dimension."""

    dim: str
    labels: tuple[str, ...]
    negate: bool = False


@dataclass(frozen=True)
class Term:
    """One variable with its selections and reductions."""

    variable: str
    selections: tuple[Selection, ...] = ()
    reductions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Expression:
    """A parsed mapping expression; :meth:`evaluate` turns a run into a time series."""

    text: str
    numerator: Term
    denominator: Term | None = None
    transforms: tuple[tuple[str, str | None], ...] = field(default_factory=tuple)

    def evaluate(self, ds: xr.Dataset) -> xr.DataArray:
        """The series over ``time`` that this expression denotes in the run ``ds``.

        Raises
        ------
        InputError
            When a variable, dimension or label is not in the run, or the result still has
            dimensions other than ``time``.
        """
        out = _eval_term(self.numerator, ds, self.text)
        if self.denominator is not None:
            den = _eval_term(self.denominator, ds, self.text)
            # an empty market or no capacity at all gives 0/0: read it as a zero share
            out = xr.where(den != 0.0, out / den.where(den != 0.0, 1.0), 0.0)
        for name, arg in self.transforms:
            out = _apply_transform(out, name, arg, self.text)
        return out


def parse(text: str) -> Expression:
    """Parse a mapping expression (see the module docstring for the grammar).

    Raises
    ------
    InputError
        On a malformed expression, naming the part that could not be read.
    """
    parts = text.split("|")
    body, transforms = parts[0], parts[1:]
    pieces = _split_division(body)
    if len(pieces) > 2:
        raise InputError("simulated", [], "at most one '/' between two terms", text)
    terms = [_parse_term(p, text) for p in pieces]
    parsed: list[tuple[str, str | None]] = []
    for tr in transforms:
        m = _TRANSFORM.match(tr)
        known = {"weeks", "hours", "percent", "relative_to", "change", "smooth"}
        if not m or m.group(1) not in known:
            raise InputError(
                "simulated",
                [],
                "a transform: weeks, hours, percent, relative_to(DATE), change(DAYS), smooth(DAYS)",
                tr.strip(),
            )
        parsed.append((m.group(1), m.group(2)))
    return Expression(text, terms[0], terms[1] if len(terms) == 2 else None, tuple(parsed))


def _split_division(body: str) -> list[str]:
    # '/' inside brackets never occurs in labels, so a plain split is enough
    return [p for p in body.split("/")]


def _parse_term(part: str, text: str) -> Term:
    m = _TERM.match(part)
    if not m:
        raise InputError("simulated", [], "VARIABLE[dim=label, ...].reducer(dim)", part.strip())
    variable, sel_text, red_text = m.group(1), m.group(2), m.group(3) or ""
    selections: list[Selection] = []
    if sel_text:
        for item in sel_text.split(","):
            negate = "!=" in item
            dim, sep, labels = item.partition("!=" if negate else "=")
            if not sep or not dim.strip() or not labels.strip():
                raise InputError("simulated", [], "a selection dim=label or dim!=label", item)
            selections.append(
                Selection(dim.strip(), tuple(x.strip() for x in labels.split("+")), negate)
            )
    reductions: list[tuple[str, str]] = []
    for rm in _REDUCE.finditer(red_text):
        if rm.group(1) in ("trailing", "change"):
            try:
                float(rm.group(2))
            except ValueError:
                raise InputError("simulated", [], f"{rm.group(1)}(DAYS)", rm.group(0)) from None
            reductions.append((rm.group(1), rm.group(2)))
            continue
        if rm.group(1) not in _REDUCERS:
            raise InputError("simulated", [], f"a reducer ({', '.join(_REDUCERS)})", rm.group(1))
        reductions.append((rm.group(1), rm.group(2)))
    return Term(variable, tuple(selections), tuple(reductions))


def _eval_term(term: Term, ds: xr.Dataset, text: str) -> xr.DataArray:
    if term.variable not in ds:
        raise InputError("simulated", [], "a variable recorded by the run", term.variable)
    da = ds[term.variable]
    for sel in term.selections:
        if sel.dim not in da.dims:
            raise InputError("simulated", [term.variable], f"one of {list(da.dims)}", sel.dim)
        known = [str(x) for x in da[sel.dim].values]
        missing = [lab for lab in sel.labels if lab not in known]
        if missing:
            raise InputError("simulated", [term.variable, sel.dim], f"one of {known}", missing[0])
        if sel.negate:
            da = da.sel({sel.dim: [x for x in known if x not in sel.labels]})
        elif len(sel.labels) == 1:
            da = da.sel({sel.dim: sel.labels[0]})
        else:
            da = da.sel({sel.dim: list(sel.labels)})
    for how, dim in term.reductions:
        if how == "trailing":
            da = _trailing_sum(da, float(dim))
            continue
        if how == "change":
            continue  # along time, once the other dimensions are reduced
        if dim not in da.dims:
            raise InputError("simulated", [term.variable], f"one of {list(da.dims)}", dim)
        da = getattr(da, how)(dim)
    extra = [d for d in da.dims if d != "time"]
    if extra:
        raise InputError("simulated", [], f"a series over time only in {text!r}", f"dims {extra}")
    for how, days in term.reductions:
        if how == "change":
            da = _change(da, float(days))
    return da.astype(np.float64)


def _trailing_sum(da: xr.DataArray, days: float) -> xr.DataArray:
    """Sum of ``da`` over the grid points within the last ``days`` (inclusive of now)."""
    t = np.asarray(da["day"].values, dtype=np.float64)
    axis = da.dims.index("time")
    cum = np.cumsum(np.asarray(da.values, dtype=np.float64), axis=axis)
    # index of the last point strictly before the window, or -1 when the window reaches back
    # beyond the start
    start = np.searchsorted(t, t - days, side="right") - 1
    before = np.where(start >= 0, np.take(cum, np.maximum(start, 0), axis=axis), 0.0)
    return da.copy(data=cum - before)


def value_at(series: xr.DataArray, day: float) -> float:
    """The series at ``day`` (days since the run's start), interpolated on the grid."""
    days = np.asarray(series["day"].values, dtype=np.float64)
    return float(np.interp(day, days, np.asarray(series.values, dtype=np.float64)))


def _apply_transform(da: xr.DataArray, name: str, arg: str | None, text: str) -> xr.DataArray:
    if name == "weeks":
        return da / 7.0
    if name == "hours":
        return da * HOURS_PER_DAY
    if name == "percent":
        return da * 100.0
    if arg is None:
        raise InputError("simulated", [], f"an argument to {name}(...)", text)
    if name == "relative_to":
        when = np.datetime64(arg, "ns")
        days = (when - da["time"].values[0]) / np.timedelta64(1, "D")
        base = value_at(da, float(days))
        return da / base if base != 0.0 else da * 0.0
    if name == "smooth":
        window = float(arg)
        total = _trailing_sum(da, window)
        count = _trailing_sum(xr.ones_like(da), window)
        return total / count
    return _change(da, float(arg))


def _change(da: xr.DataArray, lag: float) -> xr.DataArray:
    """The series now less its value ``lag`` days earlier (0 before ``lag`` days have passed)."""
    days = np.asarray(da["day"].values, dtype=np.float64)
    vals = np.asarray(da.values, dtype=np.float64)
    earlier = np.interp(days - lag, days, vals)
    return da.copy(data=np.where(days >= days[0] + lag, vals - earlier, 0.0))
