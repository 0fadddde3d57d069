"""Simulation time: days since the scenario's start date, as float64."""

from __future__ import annotations

import datetime as dt

import numpy as np

from ecosim.core.units import SECONDS_PER_DAY


def date_to_day(start: dt.date, when: dt.date) -> float:
    """Days from ``start`` to ``when``."""
    return float((when - start).days)


def day_to_datetime64(start: dt.date, days: np.ndarray) -> np.ndarray:
    """Convert simulation days to ``datetime64[ns]`` for the Dataset's time axis."""
    base = np.datetime64(start.isoformat(), "ns")
    nanoseconds = np.asarray(days, dtype=np.float64) * (SECONDS_PER_DAY * 1e9)
    return base + np.round(nanoseconds).astype("timedelta64[ns]")


def step_grid(horizon_days: float, step_days: float) -> np.ndarray:
    """The world's step times ``0, step, 2 step, ...`` up to the horizon (days).

    Times are ``k * step_days``, not running sums, so the grid never drifts.
    """
    n = int(np.floor(horizon_days / step_days + 1e-9)) + 1
    return np.arange(n, dtype=np.float64) * step_days
