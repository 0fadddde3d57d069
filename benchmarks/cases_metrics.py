"""Benchmark cases for the resilience metrics at the size of a ten-year daily run.

3653 daily samples of nine regions and five layers, with a disruption and its recovery.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from _bench import Case

from ecosim.kernels.metrics import resilience_loss, resilience_loss_ref

N_DAYS = 3653
N_REGIONS = 9
N_LAYERS = 5


def metrics_inputs(seed: int = 0) -> dict[str, Any]:
    """Return service and twin trajectories with a few dips, on a daily grid."""
    rng = np.random.default_rng(seed)
    time_days = np.arange(N_DAYS, dtype=np.float64)
    shape = (N_DAYS, N_REGIONS, N_LAYERS)
    twin = np.clip(0.95 + rng.normal(0.0, 0.02, shape), 0.0, 1.0)
    # Dips that start at random days and recover linearly, plus noise around the twin.
    since = time_days[:, None, None] - rng.uniform(0.0, N_DAYS, (1, N_REGIONS, N_LAYERS))
    recovery = rng.uniform(30.0, 365.0, (1, N_REGIONS, N_LAYERS))
    depth = rng.uniform(0.1, 0.8, (1, N_REGIONS, N_LAYERS))
    dip = np.where((since >= 0.0) & (since < recovery), depth * (1.0 - since / recovery), 0.0)
    service = np.clip(twin - dip + rng.normal(0.0, 0.02, shape), 0.0, 1.0)
    return {"service": service, "twin": twin, "time_days": time_days}


def _discard(call: Callable[[], object]) -> Callable[[], None]:
    # Setup runs the compiled kernel once so compilation (or the cache load) stays out of timings.
    def setup() -> None:
        call()

    return setup


def cases() -> list[Case]:
    """Return the metrics benchmark cases."""
    inputs = metrics_inputs()
    return [
        Case(
            name="metrics.resilience_loss",
            fast=lambda: resilience_loss(**inputs),
            ref=lambda: resilience_loss_ref(**inputs),
            repeats_fast=50,
            repeats_ref=3,
            setup=_discard(lambda: resilience_loss(**inputs)),
        ),
    ]
