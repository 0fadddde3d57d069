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
    "min_service",
    "resilience_loss",
    "resilience_loss_ref",
    "shortfall_area",
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
