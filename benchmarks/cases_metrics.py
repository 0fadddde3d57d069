"""Benchmark cases for the resilience metrics at the size of a ten-year daily run.

3653 daily samples of nine regions and five layers, with a disruption and its recovery.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from _bench import Case

from ecosim.kernels.metrics import (
    annual_resilience,
    annual_resilience_ref,
    recovery_ratio,
    recovery_ratio_ref,
    recovery_time,
    recovery_time_ref,
    resilience_loss,
    resilience_loss_ref,
    time_to_survive,
    time_to_survive_ref,
)

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
    # A shock a third into the run, lasting 120 days; ratios read 30, 90 and 180 days after.
    t0, t1 = N_DAYS / 3.0, N_DAYS / 3.0 + 120.0
    horizons = np.array([30.0, 90.0, 180.0])
    # A threshold the deeper dips cross and the shallower ones never do, so both sides scan
    # most of the series (at 0.95 the noise alone crosses it within days).
    tts_args = {**inputs, "t_start": t0, "threshold": 0.6}
    rec_args = {**inputs, "t_start": t0, "t_end": t1, "tol": 0.01}
    ratio_args = {**inputs, "t_start": t0, "horizons": horizons, "dip_tol": 0.01}
    return [
        Case(
            name="metrics.resilience_loss",
            fast=lambda: resilience_loss(**inputs),
            ref=lambda: resilience_loss_ref(**inputs),
            repeats_fast=50,
            repeats_ref=3,
            setup=_discard(lambda: resilience_loss(**inputs)),
        ),
        Case(
            name="metrics.annual_resilience",
            fast=lambda: annual_resilience(**inputs),
            ref=lambda: annual_resilience_ref(**inputs),
            repeats_fast=50,
            repeats_ref=3,
            setup=_discard(lambda: annual_resilience(**inputs)),
        ),
        Case(
            name="metrics.time_to_survive",
            fast=lambda: time_to_survive(**tts_args),
            ref=lambda: time_to_survive_ref(**tts_args),
            repeats_fast=50,
            repeats_ref=3,
            setup=_discard(lambda: time_to_survive(**tts_args)),
        ),
        Case(
            name="metrics.recovery_time",
            fast=lambda: recovery_time(**rec_args),
            ref=lambda: recovery_time_ref(**rec_args),
            repeats_fast=50,
            repeats_ref=3,
            setup=_discard(lambda: recovery_time(**rec_args)),
        ),
        Case(
            name="metrics.recovery_ratio",
            fast=lambda: recovery_ratio(**ratio_args),
            ref=lambda: recovery_ratio_ref(**ratio_args),
            repeats_fast=50,
            repeats_ref=3,
            setup=_discard(lambda: recovery_ratio(**ratio_args)),
        ),
    ]
