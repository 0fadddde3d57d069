"""Simulation time: days since the scenario's start date, as float64."""

from __future__ import annotations

import datetime as dt

import numpy as np

from ecosim.core.units import DAYS_PER_YEAR

__all__ = ["DAYS_PER_YEAR", "date_to_day", "day_to_datetime64"]


def date_to_day(start: dt.date, when: dt.date) -> float:
    """Days from ``start`` to ``when``."""
    return float((when - start).days)


def day_to_datetime64(start: dt.date, days: np.ndarray) -> np.ndarray:
    """Convert simulation days to ``datetime64[ns]`` for the Dataset's time axis."""
    base = np.datetime64(start.isoformat(), "ns")
    return base + np.round(np.asarray(days, dtype=np.float64) * 86_400e9).astype("timedelta64[ns]")
