"""Benchmark case for the material deliveries' step kernel at the size of the baseline world:
three materials suppliers, six wafer fabs, nine regions, as every world step calls it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from _bench import Case, repeated_call_case

from ecosim.kernels.materials import deliver_step, deliver_step_ref

N_MATS, N_FABS, N_REGIONS, N_ROWS = 3, 6, 9, 40
CALLS = 200


def _delivering(kernel: Callable[..., None], args: tuple[Any, ...]) -> Callable[..., np.ndarray]:
    # the kernel adds to the deliveries in place: each call starts from the same
    def call(*_: Any) -> np.ndarray:
        delivered = args[-1].copy()
        kernel(*args[:-1], delivered)
        return delivered

    return call


def cases() -> list[Case]:
    """Return the materials' benchmark case: a few steps' calls."""
    rng = np.random.default_rng(0)
    rows = rng.permutation(N_ROWS)
    nominal = rng.uniform(1e4, 1e6, N_ROWS)
    args = (
        nominal,
        nominal * 0.9 / 365.0,
        rng.uniform(0.0, 1e4, N_ROWS),
        rng.uniform(0.8, 1.0, N_ROWS),
        np.where(rng.random(N_ROWS) < 0.5, np.nan, 0.4),
        rng.integers(0, N_REGIONS, N_ROWS).astype(np.int64),
        rng.uniform(0.5, 1.0, (N_ROWS, N_REGIONS)),
        rows[:N_MATS].astype(np.int64),
        rows[N_MATS : N_MATS + N_FABS].astype(np.int64),
        1.0,
        rng.uniform(0.0, 1.0, (N_MATS, N_REGIONS)),
        np.zeros(N_ROWS),
        np.zeros((N_REGIONS, N_MATS)),
    )
    return [
        repeated_call_case(
            "materials.deliver_step",
            _delivering(deliver_step, args),
            _delivering(deliver_step_ref, args),
            (),
            CALLS,
            target=3.0,  # both sides copy the deliveries
        )
    ]
