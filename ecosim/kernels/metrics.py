"""Resilience metrics of service-level trajectories against an undisturbed twin run.

Service levels are fractions in [0, 1] sampled on a common, possibly non-uniform grid of times in
days, with shape (T, R, L): time, region, layer of the stack. The twin is the same world run
without the disruption, so the gap between the two is the loss the disruption caused.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BEYOND_HORIZON",
    "CENSOR_MEANINGS",
    "FILL_DAYS",
    "MEASURED",
    "NOT_RECOVERED",
    "NO_DIP",
    "NO_SHOCK",
    "annual_resilience",
    "annual_resilience_ref",
    "min_service",
    "recovery_ratio",
    "recovery_ratio_ref",
    "recovery_time",
    "recovery_time_ref",
    "resilience_loss",
    "resilience_loss_ref",
    "shortfall_area",
    "time_to_survive",
    "time_to_survive_ref",
]


@numba.njit(cache=True)
def resilience_loss(
    service: NDArray[np.float64],
    twin: NDArray[np.float64],
    time_days: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Return the resilience loss: the area of the service shortfall below the twin, in days.

    Parameters
    ----------
    service : ndarray of float64, shape (T, R, L)
        Service level of each region and layer at each time.
    twin : ndarray of float64, shape (T, R, L)
        Service level of the undisturbed twin run at the same times.
    time_days : ndarray of float64, shape (T,)
        Sample times in days, increasing; the spacing need not be uniform.

    Returns
    -------
    ndarray of float64, shape (R, L)
        ``integral max(twin - service, 0) dt`` by the trapezoidal rule on the shortfall series
        (the shortfall is clipped at the samples, then integrated). Service above the twin never
        offsets an earlier loss. Zero when ``T < 2``.
    """
    n_times, n_regions, n_layers = service.shape
    loss = np.zeros((n_regions, n_layers))
    previous = np.zeros((n_regions, n_layers))
    # Time is the outer loop so the (R, L) planes are read contiguously from C-ordered input.
    for t in range(n_times):
        dt = time_days[t] - time_days[t - 1] if t > 0 else 0.0
        for r in range(n_regions):
            for layer in range(n_layers):
                gap = twin[t, r, layer] - service[t, r, layer]
                current = gap if gap > 0.0 else 0.0
                if t > 0:
                    loss[r, layer] += 0.5 * (previous[r, layer] + current) * dt
                previous[r, layer] = current
    return loss


def resilience_loss_ref(
    service: NDArray[np.float64],
    twin: NDArray[np.float64],
    time_days: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Plain-Python twin of :func:`resilience_loss`."""
    n_times, n_regions, n_layers = service.shape
    loss = np.zeros((n_regions, n_layers))
    for r in range(n_regions):
        for layer in range(n_layers):
            shortfall = [
                max(float(twin[t, r, layer]) - float(service[t, r, layer]), 0.0)
                for t in range(n_times)
            ]
            area = 0.0
            for t in range(1, n_times):
                dt = float(time_days[t]) - float(time_days[t - 1])
                area += 0.5 * (shortfall[t - 1] + shortfall[t]) * dt
            loss[r, layer] = area
    return loss


#: The resilience loss read as a geometric quantity: the area between twin and service curves.
shortfall_area = resilience_loss


def min_service(service: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return the lowest service level each region and layer reached.

    Parameters
    ----------
    service : ndarray of float64, shape (T, R, L)
        Service level of each region and layer at each time; ``T`` must be at least 1.

    Returns
    -------
    ndarray of float64, shape (R, L)
        Minimum over time of the sampled service level.
    """
    return np.asarray(np.min(service, axis=0), dtype=np.float64)


# --------------------------------------------------------------------------- censoring codes
#
# Metrics that are times or ratios may have nothing to measure. Kernels return a flag beside each
# value so the caller never has to guess why a value is what it is; the codes are the CF
# ``flag_values`` of the ``<name>_censored`` variables.

#: The metric was measured.
MEASURED = 0
#: No shock occurred within the run, so there is no start to measure from.
NO_SHOCK = 1
#: The service never fell below the tolerance after the shock's start.
NO_DIP = 2
#: The service had not recovered (or the shock had not ended) by the end of the run.
NOT_RECOVERED = 3
#: The point to measure at lies after the end of the run.
BEYOND_HORIZON = 4

#: Flag meanings in code order, for the CF ``flag_meanings`` attribute.
CENSOR_MEANINGS: tuple[str, ...] = (
    "measured",
    "no_shock",
    "no_dip",
    "not_recovered",
    "beyond_horizon",
)

#: Value stored where a metric is missing (never NaN, so the no-NaN invariant holds).
FILL_DAYS = -1.0


@numba.njit(cache=True)
def annual_resilience(
    service: NDArray[np.float64],
    twin: NDArray[np.float64],
    time_days: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Return the normalised resilience ``AR = integral Q dt / integral Q_twin dt``.

    Parameters
    ----------
    service, twin : ndarray of float64, shape (T, R, L)
        Service level of the run and of its undisturbed twin.
    time_days : ndarray of float64, shape (T,)
        Sample times in days, increasing.

    Returns
    -------
    ndarray of float64, shape (R, L)
        The ratio of the trapezoidal integrals; 1 where the twin's integral is zero (nothing
        was expected, so nothing was lost) or when ``T < 2``.
    """
    n_times, n_regions, n_layers = service.shape
    area = np.zeros((n_regions, n_layers))
    area_twin = np.zeros((n_regions, n_layers))
    for t in range(1, n_times):
        half_dt = 0.5 * (time_days[t] - time_days[t - 1])
        for r in range(n_regions):
            for layer in range(n_layers):
                area[r, layer] += half_dt * (service[t - 1, r, layer] + service[t, r, layer])
                area_twin[r, layer] += half_dt * (twin[t - 1, r, layer] + twin[t, r, layer])
    out = np.ones((n_regions, n_layers))
    for r in range(n_regions):
        for layer in range(n_layers):
            if area_twin[r, layer] > 0.0:
                out[r, layer] = area[r, layer] / area_twin[r, layer]
    return out


def annual_resilience_ref(
    service: NDArray[np.float64],
    twin: NDArray[np.float64],
    time_days: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Plain-Python twin of :func:`annual_resilience`."""
    n_times, n_regions, n_layers = service.shape
    out = np.ones((n_regions, n_layers))
    for r in range(n_regions):
        for layer in range(n_layers):
            a = 0.0
            b = 0.0
            for t in range(1, n_times):
                half_dt = 0.5 * (float(time_days[t]) - float(time_days[t - 1]))
                a += half_dt * (float(service[t - 1, r, layer]) + float(service[t, r, layer]))
                b += half_dt * (float(twin[t - 1, r, layer]) + float(twin[t, r, layer]))
            if b > 0.0:
                out[r, layer] = a / b
    return out


@numba.njit(cache=True)
def _first_index_at_or_after(time_days: NDArray[np.float64], t: float) -> int:
    # Binary search; the grid is increasing. Returns len(time_days) when t is after the end.
    lo = 0
    hi = time_days.size
    while lo < hi:
        mid = (lo + hi) // 2
        if time_days[mid] < t:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _first_index_at_or_after_ref(time_days: NDArray[np.float64], t: float) -> int:
    for i in range(time_days.size):
        if float(time_days[i]) >= t:
            return i
    return int(time_days.size)


@numba.njit(cache=True)
def time_to_survive(
    service: NDArray[np.float64],
    twin: NDArray[np.float64],
    time_days: NDArray[np.float64],
    t_start: float,
    threshold: float,
) -> tuple[NDArray[np.float64], NDArray[np.int8]]:
    """Return the time to survive: from ``t_start`` until ``Q < threshold * Q_twin`` first.

    Parameters
    ----------
    service, twin : ndarray of float64, shape (T, R, L)
        Service level of the run and of its undisturbed twin.
    time_days : ndarray of float64, shape (T,)
        Sample times in days, increasing.
    t_start : float
        The shock's start, in days.
    threshold : float
        Fraction of the twin's service below which the region is no longer coping.

    Returns
    -------
    days : ndarray of float64, shape (R, L)
        Days from ``t_start`` to the first sample at or after it where the service is below the
        threshold. Where it never falls, the days observed after ``t_start`` (a lower bound),
        flagged ``NO_DIP``; ``FILL_DAYS`` flagged ``NO_SHOCK`` when ``t_start`` is after the run.
    flag : ndarray of int8, shape (R, L)
        Censoring code (``MEASURED``, ``NO_SHOCK``, ``NO_DIP``).
    """
    n_times, n_regions, n_layers = service.shape
    days = np.full((n_regions, n_layers), FILL_DAYS)
    flag = np.full((n_regions, n_layers), np.int8(NO_SHOCK))
    first = _first_index_at_or_after(time_days, t_start)
    if first >= n_times:
        return days, flag
    observed = time_days[n_times - 1] - t_start
    for r in range(n_regions):
        for layer in range(n_layers):
            days[r, layer] = observed
            flag[r, layer] = NO_DIP
    remaining = n_regions * n_layers
    for t in range(first, n_times):
        for r in range(n_regions):
            for layer in range(n_layers):
                if flag[r, layer] == NO_DIP and (
                    service[t, r, layer] < threshold * twin[t, r, layer]
                ):
                    days[r, layer] = time_days[t] - t_start
                    flag[r, layer] = MEASURED
                    remaining -= 1
        if remaining == 0:  # every element has fallen: the rest of the run cannot change them
            break
    return days, flag


def time_to_survive_ref(
    service: NDArray[np.float64],
    twin: NDArray[np.float64],
    time_days: NDArray[np.float64],
    t_start: float,
    threshold: float,
) -> tuple[NDArray[np.float64], NDArray[np.int8]]:
    """Plain-Python twin of :func:`time_to_survive`."""
    n_times, n_regions, n_layers = service.shape
    days = np.full((n_regions, n_layers), FILL_DAYS)
    flag = np.full((n_regions, n_layers), NO_SHOCK, dtype=np.int8)
    first = _first_index_at_or_after_ref(time_days, t_start)
    if first >= n_times:
        return days, flag
    for r in range(n_regions):
        for layer in range(n_layers):
            days[r, layer] = float(time_days[n_times - 1]) - t_start
            flag[r, layer] = NO_DIP
            for t in range(first, n_times):
                if float(service[t, r, layer]) < threshold * float(twin[t, r, layer]):
                    days[r, layer] = float(time_days[t]) - t_start
                    flag[r, layer] = MEASURED
                    break
    return days, flag


@numba.njit(cache=True)
def recovery_time(
    service: NDArray[np.float64],
    twin: NDArray[np.float64],
    time_days: NDArray[np.float64],
    t_start: float,
    t_end: float,
    tol: float,
) -> tuple[NDArray[np.float64], NDArray[np.int8]]:
    """Return the days from ``t_start`` until the service is back within ``tol`` and stays.

    The service is *within* at a sample where ``Q >= (1 - tol) * Q_twin``. Recovery is the
    sample after the last one, at or after ``t_start``, that is not within — and never before
    ``t_end``: the time-to-recover of an element is at least the shock's own duration.

    Parameters
    ----------
    service, twin : ndarray of float64, shape (T, R, L)
        Service level of the run and of its undisturbed twin.
    time_days : ndarray of float64, shape (T,)
        Sample times in days, increasing.
    t_start, t_end : float
        The shock's start and end in days (``t_end`` may be ``inf``; pass ``t_start`` to
        measure recovery of the service alone).
    tol : float
        Relative distance from the twin that counts as recovered (0.01: within 1 %).

    Returns
    -------
    days : ndarray of float64, shape (R, L)
        ``max(t_end, recovered) - t_start``. Zero, flagged ``NO_DIP``, where the service never
        left the band; the days observed (a lower bound), flagged ``NOT_RECOVERED``, where it
        is still outside at the last sample or the shock has not ended by then;
        ``FILL_DAYS``, flagged ``NO_SHOCK``, when ``t_start`` is after the run.
    flag : ndarray of int8, shape (R, L)
        Censoring code.
    """
    n_times, n_regions, n_layers = service.shape
    days = np.full((n_regions, n_layers), FILL_DAYS)
    flag = np.full((n_regions, n_layers), np.int8(NO_SHOCK))
    first = _first_index_at_or_after(time_days, t_start)
    if first >= n_times:
        return days, flag
    last_out = np.full((n_regions, n_layers), -1, dtype=np.int64)
    for t in range(first, n_times):
        for r in range(n_regions):
            for layer in range(n_layers):
                if service[t, r, layer] < (1.0 - tol) * twin[t, r, layer]:
                    last_out[r, layer] = t
    t_last = time_days[n_times - 1]
    for r in range(n_regions):
        for layer in range(n_layers):
            i = last_out[r, layer]
            if i < 0:
                days[r, layer] = 0.0
                flag[r, layer] = NO_DIP
            elif i == n_times - 1 or t_end > t_last:
                days[r, layer] = t_last - t_start
                flag[r, layer] = NOT_RECOVERED
            else:
                back = time_days[i + 1]
                days[r, layer] = (back if back > t_end else t_end) - t_start
                flag[r, layer] = MEASURED
    return days, flag


def recovery_time_ref(
    service: NDArray[np.float64],
    twin: NDArray[np.float64],
    time_days: NDArray[np.float64],
    t_start: float,
    t_end: float,
    tol: float,
) -> tuple[NDArray[np.float64], NDArray[np.int8]]:
    """Plain-Python twin of :func:`recovery_time`."""
    n_times, n_regions, n_layers = service.shape
    days = np.full((n_regions, n_layers), FILL_DAYS)
    flag = np.full((n_regions, n_layers), NO_SHOCK, dtype=np.int8)
    first = _first_index_at_or_after_ref(time_days, t_start)
    if first >= n_times:
        return days, flag
    t_last = float(time_days[n_times - 1])
    for r in range(n_regions):
        for layer in range(n_layers):
            outside = [
                t
                for t in range(first, n_times)
                if float(service[t, r, layer]) < (1.0 - tol) * float(twin[t, r, layer])
            ]
            if not outside:
                days[r, layer], flag[r, layer] = 0.0, NO_DIP
            elif outside[-1] == n_times - 1 or t_end > t_last:
                days[r, layer], flag[r, layer] = t_last - t_start, NOT_RECOVERED
            else:
                back = float(time_days[outside[-1] + 1])
                days[r, layer], flag[r, layer] = max(back, t_end) - t_start, MEASURED
    return days, flag


@numba.njit(cache=True)
def recovery_ratio(
    service: NDArray[np.float64],
    twin: NDArray[np.float64],
    time_days: NDArray[np.float64],
    t_start: float,
    horizons: NDArray[np.float64],
    dip_tol: float,
) -> tuple[NDArray[np.float64], NDArray[np.int8]]:
    """Return the recovery ratio ``(P(t) - P(t_d)) / (P(t0) - P(t_d))`` at ``t_d + h``.

    ``P = Q - Q_twin`` is the service relative to the twin, so growth that outruns capacity in
    both runs is not read as a dip; ``t0`` is the last sample before ``t_start`` and
    ``t_d`` the sample of lowest ``P`` at or after ``t0`` (the dip). ``P`` is linearly
    interpolated between samples at ``t_d + h``.

    Parameters
    ----------
    service, twin : ndarray of float64, shape (T, R, L)
        Service level of the run and of its undisturbed twin.
    time_days : ndarray of float64, shape (T,)
        Sample times in days, increasing.
    t_start : float
        The shock's start, in days.
    horizons : ndarray of float64, shape (H,)
        Days after the dip at which to measure.
    dip_tol : float
        Smallest depth ``P(t0) - P(t_d)`` (in units of service) that counts as a dip.

    Returns
    -------
    ratio : ndarray of float64, shape (R, L, H)
        0 at the dip, 1 when back at the pre-shock distance from the twin; may exceed 1.
        ``FILL_DAYS`` (-1) where missing: ``NO_SHOCK``, ``NO_DIP`` (shallower than
        ``dip_tol``) or ``BEYOND_HORIZON`` (``t_d + h`` after the run).
    flag : ndarray of int8, shape (R, L, H)
        Censoring code.
    """
    n_times, n_regions, n_layers = service.shape
    n_h = horizons.size
    ratio = np.full((n_regions, n_layers, n_h), FILL_DAYS)
    flag = np.full((n_regions, n_layers, n_h), np.int8(NO_SHOCK))
    first = _first_index_at_or_after(time_days, t_start)
    if first >= n_times:
        return ratio, flag
    # The pre-shock level: the last sample before the shock acts (the first one if none).
    i0 = first - 1 if first > 0 else 0
    dip = np.full((n_regions, n_layers), i0, dtype=np.int64)
    low = np.empty((n_regions, n_layers))
    for r in range(n_regions):
        for layer in range(n_layers):
            low[r, layer] = service[i0, r, layer] - twin[i0, r, layer]
    for t in range(i0 + 1, n_times):
        for r in range(n_regions):
            for layer in range(n_layers):
                p = service[t, r, layer] - twin[t, r, layer]
                if p < low[r, layer]:
                    low[r, layer] = p
                    dip[r, layer] = t
    t_last = time_days[n_times - 1]
    for r in range(n_regions):
        for layer in range(n_layers):
            depth = service[i0, r, layer] - twin[i0, r, layer] - low[r, layer]
            for h in range(n_h):
                if depth <= dip_tol:
                    flag[r, layer, h] = NO_DIP
                    continue
                at = time_days[dip[r, layer]] + horizons[h]
                if at > t_last:
                    flag[r, layer, h] = BEYOND_HORIZON
                    continue
                j = _first_index_at_or_after(time_days, at)
                p_j = service[j, r, layer] - twin[j, r, layer]
                if time_days[j] > at:
                    p_i = service[j - 1, r, layer] - twin[j - 1, r, layer]
                    w = (at - time_days[j - 1]) / (time_days[j] - time_days[j - 1])
                    p_j = p_i + w * (p_j - p_i)
                ratio[r, layer, h] = (p_j - low[r, layer]) / depth
                flag[r, layer, h] = MEASURED
    return ratio, flag


def recovery_ratio_ref(
    service: NDArray[np.float64],
    twin: NDArray[np.float64],
    time_days: NDArray[np.float64],
    t_start: float,
    horizons: NDArray[np.float64],
    dip_tol: float,
) -> tuple[NDArray[np.float64], NDArray[np.int8]]:
    """Plain-Python twin of :func:`recovery_ratio`."""
    n_times, n_regions, n_layers = service.shape
    n_h = int(horizons.size)
    ratio = np.full((n_regions, n_layers, n_h), FILL_DAYS)
    flag = np.full((n_regions, n_layers, n_h), NO_SHOCK, dtype=np.int8)
    first = _first_index_at_or_after_ref(time_days, t_start)
    if first >= n_times:
        return ratio, flag
    i0 = first - 1 if first > 0 else 0
    t_last = float(time_days[n_times - 1])
    for r in range(n_regions):
        for layer in range(n_layers):
            rel = [float(service[t, r, layer]) - float(twin[t, r, layer]) for t in range(n_times)]
            dip = i0
            for t in range(i0 + 1, n_times):
                if rel[t] < rel[dip]:
                    dip = t
            depth = rel[i0] - rel[dip]
            for h in range(n_h):
                if depth <= dip_tol:
                    flag[r, layer, h] = NO_DIP
                    continue
                at = float(time_days[dip]) + float(horizons[h])
                if at > t_last:
                    flag[r, layer, h] = BEYOND_HORIZON
                    continue
                j = _first_index_at_or_after_ref(time_days, at)
                p = rel[j]
                if float(time_days[j]) > at:
                    w = (at - float(time_days[j - 1])) / (
                        float(time_days[j]) - float(time_days[j - 1])
                    )
                    p = rel[j - 1] + w * (rel[j] - rel[j - 1])
                ratio[r, layer, h] = (p - rel[dip]) / depth
                flag[r, layer, h] = MEASURED
    return ratio, flag
