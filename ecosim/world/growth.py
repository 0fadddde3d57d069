"""Growth that starts fast and settles to a long-run rate.

Compute demand and supplier capacity both grew at surge rates in 2024-25 (Epoch AI's deliveries
more than doubled in a year); nobody expects that for a decade. A rate decaying exponentially
from ``g0`` to ``g_inf`` with time scale ``tau`` keeps the start faithful to the data and the
long run an explicit, sweepable uncertainty.
"""

from __future__ import annotations

import numpy as np

from ecosim.core.units import DAYS_PER_YEAR


def growth_factor(
    t_days: float | np.ndarray, g0: np.ndarray | float, g_inf: float, tau_years: float
) -> np.ndarray:
    """Multiplier of the initial level after ``t_days``: exp of the integrated growth rate.

    ``g(s) = g_inf + (g0 - g_inf) exp(-s / tau)``, so the integral over ``[0, t]`` is
    ``g_inf t + (g0 - g_inf) tau (1 - exp(-t / tau))`` (t and tau in years).
    """
    # a whole day too (a run's clock starts at the integer 0): the kept, read-only answer
    if isinstance(t_days, float | int) and isinstance(g0, np.ndarray) and g0.dtype == np.float64:
        return _factor_at(float(t_days), g0, float(g_inf), float(tau_years))
    t = np.asarray(t_days, dtype=np.float64) / DAYS_PER_YEAR
    g0 = np.asarray(g0, dtype=np.float64)
    integral = g_inf * t + (g0 - g_inf) * tau_years * (1.0 - np.exp(-t / tau_years))
    return np.asarray(np.exp(integral))


#: Factors already computed, by (day, initial rates, long-run rate, time scale): demand and
#: the chip rows' trend are asked for at the same day several times a step.
_FACTORS: dict[tuple[float, bytes, float, float], np.ndarray] = {}
#: ``(g0 - g_inf) * tau`` by (initial rates, long-run rate, time scale), which no day changes.
_SCALES: dict[tuple[bytes, float, float], np.ndarray] = {}


def _factor_at(t_days: float, g0: np.ndarray, g_inf: float, tau_years: float) -> np.ndarray:
    """:func:`growth_factor` at one day for an array of initial rates (read-only), in the
    same numpy arithmetic."""
    rates = g0.tobytes()
    key = (t_days, rates, g_inf, tau_years)
    known = _FACTORS.get(key)
    if known is not None and known.shape == g0.shape:
        return known
    # (g0 - g_inf) * tau, the product the integral takes first, is the same at every day
    scale = _SCALES.get((rates, g_inf, tau_years))
    if scale is None or scale.shape != g0.shape:
        scale = np.asarray((g0 - g_inf) * tau_years)
        scale.setflags(write=False)
        if len(_SCALES) >= 16:  # a run asks for two or three rate arrays
            _SCALES.clear()
        _SCALES[(rates, g_inf, tau_years)] = scale
    t = t_days / DAYS_PER_YEAR
    integral = g_inf * t + scale * (1.0 - np.exp(-t / tau_years))
    out = np.asarray(np.exp(integral))
    out.setflags(write=False)
    if len(_FACTORS) >= 16:  # a step asks at one or two days, for two or three rate arrays
        _FACTORS.clear()
    _FACTORS[key] = out
    return out


def growth_rate(
    t_days: float, g0: np.ndarray | float, g_inf: float, tau_years: float
) -> np.ndarray:
    """Instantaneous growth rate (1/year) at ``t_days``."""
    t = t_days / DAYS_PER_YEAR
    return np.asarray(g_inf + (np.asarray(g0) - g_inf) * np.exp(-t / tau_years))
