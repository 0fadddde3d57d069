"""Historical episodes: a scenario, the observed series and how the run is compared with them.

An episode lives in ``calibration/episodes/<name>/``: ``scenario.yaml`` (a scenario file) and
``episode.yaml``::

    title: 2020-22 chip shortage (V1)
    status: ok                      # anything else is the reason the episode is skipped
    scenario: scenario.yaml
    replicates: 4                   # optional: compare the mean path of this many replicates
    calibration: ../../calibrated/episodes-v2.yaml   # optional: calibrated values applied
    series:
      - id: lead_time
        simulated: lead_time[good=accelerator] | weeks     # see ecosim.calibrate.expr
        units: weeks
        checks:
          - kind: point            # the series at a date
            date: 2021-12-31
            observed: 25.8
            fact: V1.leadtime.2021-12
            tolerance: {abs: 4}
            holdout: false         # true: out of sample, reported but never fitted
            reason: why this tolerance

Check kinds:

- ``point``: the simulated value at ``date`` (interpolated on the grid) within ``tolerance``
  (``abs`` in the series' units, or ``rel`` as a fraction of the observation) of ``observed``;
  ``compare: at_most`` or ``at_least`` makes it one-sided, as for a crossing.
- ``peak``: the largest simulated value within ``window`` against ``observed``; with ``date``
  and ``date_tolerance_days`` also when it peaks.
- ``crossing``: days (or ``in: hours | weeks``) from ``after`` until the series first goes
  ``below`` or ``above`` ``threshold``; ``compare: within`` (default), ``at_most`` (no later
  than observed + tolerance) or ``at_least`` (no earlier than observed - tolerance). A series
  that never crosses counts as crossing at the end of the run.

Every observation names the ``fact`` (a row id of ``calibration/facts.csv``) it comes from.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import xarray as xr
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ecosim.calibrate.expr import parse, value_at
from ecosim.core.units import HOURS_PER_DAY
from ecosim.errors import InputError
from ecosim.observe.summary import stack_replicates
from ecosim.scenario.calibrated import applicable, as_overrides, calibrated_values

#: Where the shipped episodes live, relative to the repository root.
EPISODES_DIR = Path(__file__).resolve().parents[2] / "calibration" / "episodes"
UNIT_DAYS = {"days": 1.0, "hours": 1.0 / HOURS_PER_DAY, "weeks": 7.0}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tolerance(_Strict):
    """Absolute (series units) or relative (fraction of the observation) tolerance."""

    abs: float | None = Field(default=None, ge=0.0)
    rel: float | None = Field(default=None, ge=0.0)

    @model_validator(mode="after")
    def _one(self) -> Tolerance:
        if (self.abs is None) == (self.rel is None):
            raise ValueError("give exactly one of 'abs' or 'rel'")
        return self

    def width(self, observed: float) -> float:
        """The tolerance in the series' units for an observation."""
        return self.abs if self.abs is not None else abs(observed) * float(self.rel or 0.0)


class PointCheck(_Strict):
    """The series at a date against an observation (``compare`` as for a crossing)."""

    kind: Literal["point"]
    date: dt.date
    observed: float
    fact: str
    tolerance: Tolerance
    compare: Literal["within", "at_most", "at_least"] = "within"
    reason: str
    #: an out-of-sample check: reported by ``validate``, never part of the fit's objective
    holdout: bool = False


class PeakCheck(_Strict):
    """The highest value within a window, and optionally when it occurs."""

    kind: Literal["peak"]
    window: tuple[dt.date, dt.date]
    observed: float
    fact: str
    tolerance: Tolerance
    date: dt.date | None = None
    date_fact: str | None = None
    date_tolerance_days: float | None = Field(default=None, gt=0.0)
    reason: str
    #: an out-of-sample check: reported by ``validate``, never part of the fit's objective
    holdout: bool = False


class CrossingCheck(_Strict):
    """Time from a date until the series crosses a threshold."""

    kind: Literal["crossing"]
    after: dt.date | dt.datetime
    threshold: float
    direction: Literal["below", "above"]
    observed: float
    in_: Literal["days", "hours", "weeks"] = Field(default="days", alias="in")
    fact: str
    tolerance: Tolerance
    compare: Literal["within", "at_most", "at_least"] = "within"
    reason: str
    #: an out-of-sample check: reported by ``validate``, never part of the fit's objective
    holdout: bool = False


Check = Annotated[PointCheck | PeakCheck | CrossingCheck, Field(discriminator="kind")]


class Series(_Strict):
    """One observed series: the simulated expression it maps to and its checks."""

    id: str
    simulated: str
    units: str
    checks: list[Check] = Field(min_length=1)


class EpisodeSpec(_Strict):
    """The contents of an ``episode.yaml``."""

    title: str
    status: str = "ok"
    scenario: str = "scenario.yaml"
    calibration: str | None = None
    overrides: list[str] = Field(default_factory=list)
    replicates: int = Field(default=1, ge=1, le=64)
    notes: str = ""
    series: list[Series] = Field(default_factory=list)


@dataclass(frozen=True)
class Episode:
    """An episode read from its directory."""

    name: str
    directory: Path
    spec: EpisodeSpec

    @property
    def skipped(self) -> bool:
        """Whether the episode is not run (``status`` other than ``ok``)."""
        return self.spec.status.strip().lower() != "ok"

    @property
    def scenario_path(self) -> Path:
        """The episode's scenario file."""
        return self.directory / self.spec.scenario

    @property
    def calibration_path(self) -> Path | None:
        """The calibrated-values file the episode runs with, if any."""
        return (self.directory / self.spec.calibration) if self.spec.calibration else None

    def facts(self, *, holdout: bool | None = None) -> list[str]:
        """The facts.csv ids the episode cites: all, or only its fitted (``holdout=False``) or
        out-of-sample (``holdout=True``) checks'."""
        out: list[str] = []
        for s in self.spec.series:
            for c in s.checks:
                if holdout is not None and c.holdout != holdout:
                    continue
                out.append(c.fact)
                if isinstance(c, PeakCheck) and c.date_fact:
                    out.append(c.date_fact)
        return out


@dataclass(frozen=True)
class CheckResult:
    """One observation against the simulation."""

    episode: str
    series: str
    label: str
    observed: float
    simulated: float
    tolerance: float
    units: str
    passed: bool
    residual: float
    facts: tuple[str, ...]
    reason: str
    #: ``within`` (two-sided), ``at_most`` or ``at_least`` (one-sided).
    compare: str = "within"
    #: True for an out-of-sample check, which calibration never fits.
    holdout: bool = False

    @property
    def bound(self) -> str:
        """What passes, as a reader checks it: ``±2``, ``≤ 14`` or ``≥ 0.3``.

        A one-sided check has no lower (or upper) limit, so ``±`` would misstate it: a value
        far below an ``at_most`` bound passes.
        """
        if self.compare == "at_most":
            return f"≤ {self.observed + self.tolerance:.4g}"
        if self.compare == "at_least":
            return f"≥ {self.observed - self.tolerance:.4g}"
        return f"±{self.tolerance:.3g}"


@dataclass
class EpisodeResult:
    """Every check of one episode, or why it was skipped."""

    episode: str
    title: str
    checks: list[CheckResult] = field(default_factory=list)
    skipped: str | None = None

    @property
    def passed(self) -> bool:
        """True when every check passed (a skipped episode neither passes nor fails)."""
        return self.skipped is None and all(c.passed for c in self.checks)


def load_episode(path: str | Path) -> Episode:
    """Read the episode in directory ``path`` (or a name under the shipped episodes).

    Raises
    ------
    InputError
        When the directory or its ``episode.yaml`` is missing or malformed.
    """
    p = Path(path)
    if not p.is_dir() and (EPISODES_DIR / str(path)).is_dir():
        p = EPISODES_DIR / str(path)
    file = p / "episode.yaml"
    if not file.is_file():
        raise InputError(str(path), [], "an episode directory with an episode.yaml", str(p))
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        spec = EpisodeSpec.model_validate(data)
    except yaml.YAMLError as exc:
        raise InputError(file, [], "valid YAML", str(exc)) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(file, list(first["loc"]), first["msg"], str(first.get("input"))) from None
    for s in spec.series:
        parse(s.simulated)  # fail on a malformed mapping when read, not when run
    return Episode(p.name, p, spec)


def all_episodes(root: Path = EPISODES_DIR) -> list[Episode]:
    """Every episode under ``root``, in name order."""
    return [load_episode(d) for d in sorted(root.iterdir()) if (d / "episode.yaml").is_file()]


# --------------------------------------------------------------------------- running


def episode_overrides(episode: Episode, extra: Sequence[str] = ()) -> list[str]:
    """The ``--set`` overrides an episode runs with: calibrated values, its own, then ``extra``."""
    from ecosim.scenario.loader import load_scenario

    base = list(episode.spec.overrides)
    cal = episode.calibration_path
    if cal is not None:
        if not cal.is_file():
            raise InputError(episode.name, ["calibration"], "an existing file", str(cal))
        plain = load_scenario(episode.scenario_path, base).scenario
        values = as_overrides(calibrated_values(cal, str(episode.directory / "episode.yaml")))
        base = applicable(values, plain) + base
    return base + list(extra)


def run_episode(
    episode: Episode, extra: Sequence[str] = (), overrides: Sequence[str] | None = None
) -> tuple[EpisodeResult, xr.Dataset | None]:
    """Simulate an episode and compare it with its observations.

    Parameters
    ----------
    episode
        The episode.
    extra
        ``--set`` overrides applied last (the parameters a calibration tries).
    overrides
        The full list of overrides to use instead of :func:`episode_overrides` (lets a caller
        compute the calibrated part once).
    """
    result = EpisodeResult(episode.name, episode.spec.title)
    if episode.skipped:
        result.skipped = episode.spec.status
        return result, None
    from ecosim.api import simulate
    from ecosim.scenario.loader import load_scenario

    ov = list(overrides) + list(extra) if overrides is not None else None
    loaded = load_scenario(
        episode.scenario_path, ov if ov is not None else episode_overrides(episode, extra)
    )
    runs = [simulate(loaded, replicate=k) for k in range(episode.spec.replicates)]
    ds = runs[0] if len(runs) == 1 else replicate_mean(runs)
    result.checks = compare(episode, ds)
    return result, ds


def replicate_mean(runs: Sequence[xr.Dataset]) -> xr.Dataset:
    """The mean path of several replicates: every float series over ``time``, averaged.

    An episode compares history with the model's expected path rather than with one draw of
    its order and job streams, whose lumps (a big order landing a week early) would otherwise
    decide a dated check.
    """
    names = [
        n
        for n, v in runs[0].data_vars.items()
        if "time" in v.dims and np.issubdtype(v.dtype, np.floating)
    ]
    stacked = stack_replicates([r[names].assign_attrs(r.attrs) for r in runs])
    return stacked.mean("replicate", keep_attrs=True).assign_attrs(stacked.attrs)


def compare(episode: Episode, ds: xr.Dataset) -> list[CheckResult]:
    """Every check of ``episode`` against the run ``ds``."""
    out: list[CheckResult] = []
    start = ds["time"].values[0]
    for s in episode.spec.series:
        series = parse(s.simulated).evaluate(ds)
        for c in s.checks:
            out.extend(_check(episode.name, s, c, series, start))
    return out


def _day(start: np.datetime64, when: dt.date | dt.datetime) -> float:
    return float((np.datetime64(when, "ns") - start) / np.timedelta64(1, "D"))


def _result(
    ep: str,
    s: Series,
    label: str,
    obs: float,
    sim: float,
    tol: float,
    units: str,
    how: str,
    facts: tuple[str, ...],
    reason: str,
) -> CheckResult:
    gap = sim - obs
    if how == "at_most":
        gap = max(gap, 0.0)
    elif how == "at_least":
        gap = min(gap, 0.0)
    residual = gap / tol if tol > 0 else (0.0 if gap == 0 else math.copysign(1e6, gap))
    return CheckResult(
        ep, s.id, label, obs, sim, tol, units, abs(gap) <= tol, residual, facts, reason, how
    )


def _check(
    ep: str, s: Series, c: PointCheck | PeakCheck | CrossingCheck, x: xr.DataArray, start: Any
) -> list[CheckResult]:
    results = _check_values(ep, s, c, x, start)
    return [replace(r, holdout=c.holdout) for r in results] if c.holdout else results


def _check_values(
    ep: str, s: Series, c: PointCheck | PeakCheck | CrossingCheck, x: xr.DataArray, start: Any
) -> list[CheckResult]:
    days = np.asarray(x["day"].values, dtype=np.float64)
    vals = np.asarray(x.values, dtype=np.float64)
    if isinstance(c, PointCheck):
        sim = value_at(x, _day(start, c.date))
        tol = c.tolerance.width(c.observed)
        return [
            _result(
                ep, s, f"at {c.date}", c.observed, sim, tol, s.units, c.compare, (c.fact,), c.reason
            )
        ]
    if isinstance(c, PeakCheck):
        lo, hi = _day(start, c.window[0]), _day(start, c.window[1])
        inside = (days >= lo) & (days <= hi)
        if not inside.any():
            raise InputError(ep, [s.id, "window"], "a window inside the run", str(c.window))
        k = int(np.argmax(np.where(inside, vals, -np.inf)))
        res = [
            _result(
                ep,
                s,
                f"peak {c.window[0]}..{c.window[1]}",
                c.observed,
                float(vals[k]),
                c.tolerance.width(c.observed),
                s.units,
                "within",
                (c.fact,),
                c.reason,
            )
        ]
        if c.date is not None and c.date_tolerance_days is not None:
            obs_day = _day(start, c.date)
            res.append(
                _result(
                    ep,
                    s,
                    "peak date (days from observed)",
                    0.0,
                    float(days[k] - obs_day),
                    c.date_tolerance_days,
                    "days",
                    "within",
                    (c.date_fact or c.fact,),
                    c.reason,
                )
            )
        return res
    t0 = _day(start, c.after)
    after = days >= t0
    hit = (vals < c.threshold) if c.direction == "below" else (vals > c.threshold)
    idx = np.flatnonzero(after & hit)
    # a series that never crosses is read as crossing at the end of the run: a lower bound
    t_cross = float(days[idx[0]]) if idx.size else float(days[-1])
    sim = (t_cross - t0) / UNIT_DAYS[c.in_]
    return [
        _result(
            ep,
            s,
            f"{c.direction} {c.threshold:g} after {c.after}",
            c.observed,
            sim,
            c.tolerance.width(c.observed),
            c.in_,
            c.compare,
            (c.fact,),
            c.reason,
        )
    ]
