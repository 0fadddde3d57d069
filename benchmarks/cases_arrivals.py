"""Benchmark case for the lane-cut kernel at the size of the baseline world's job flow.

Nine regions of four workloads (36 lanes), each with about a month of pending arrivals (10 to
60 a day), cut at the end of a day as every world step does.
"""

from __future__ import annotations

import numpy as np
from _bench import Case

from ecosim.kernels.arrivals import cut_lanes, cut_lanes_ref

N_LANES = 36
DAYS = 32


def _lanes(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    rates = np.tile([10.0, 30.0, 60.0, 40.0], N_LANES // 4)
    parts = [np.sort(rng.uniform(0.0, DAYS, rng.poisson(r * DAYS))) for r in rates]
    counts = np.array([p.size for p in parts], dtype=np.int64)
    end = np.cumsum(counts)
    # a third of the month taken already
    taken = end - counts + (counts * 2) // 3
    return np.concatenate(parts), taken, end


def cases() -> list[Case]:
    """Return the lane-cut benchmark case: 200 daily cuts."""
    t, taken, end = _lanes()
    days = np.linspace(DAYS / 3, DAYS, 200)

    def run(fn: object) -> None:
        assert callable(fn)
        upto = np.empty_like(taken)
        for day in days:
            fn(t, taken, end, float(day), upto)

    def check() -> None:
        a, b = np.empty_like(taken), np.empty_like(taken)
        for day in days:
            cut_lanes(t, taken, end, float(day), a)
            cut_lanes_ref(t, taken, end, float(day), b)
            if not np.array_equal(a, b):
                raise AssertionError("cut_lanes and its twin disagree")

    return [
        Case(
            name="arrivals.cut_lanes",
            fast=lambda: run(cut_lanes),
            ref=lambda: run(cut_lanes_ref),
            repeats_fast=50,
            repeats_ref=5,
            setup=check,
            target=10.0,
        )
    ]
