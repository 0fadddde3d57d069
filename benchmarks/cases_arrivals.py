"""Benchmark cases for the arrival kernels at the size of the baseline world's job flow.

Nine regions of four workloads (36 lanes), each with about a month of pending arrivals (10 to
60 a day), cut at the end of a day as every world step does; and a block of a month's
arrivals made from its draws, about 35 a day, as each lane does once a block.
"""

from __future__ import annotations

import numpy as np
from _bench import Case

from ecosim.kernels.arrivals import (
    arrival_times,
    arrival_times_ref,
    block_fields,
    block_fields_ref,
    cut_lanes,
    cut_lanes_ref,
    demand_exponents,
    demand_exponents_ref,
    demand_parts,
    demand_parts_ref,
)

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


def _block(fast: bool, draws: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """A block's columns from its draws, as a source makes them (its times sorted by numpy)."""
    counts, within, grown, demand, spread, u_prio, cum = draws
    times = (arrival_times if fast else arrival_times_ref)(counts, within, -64.0)
    times.sort()
    fields = block_fields if fast else block_fields_ref
    return fields(times, grown, 3e-4, 0.05, demand, 2.5, spread, u_prio, cum, 3, 7.0, 1000)


def _draws(seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    counts = rng.poisson(35.0, DAYS)
    n = int(counts.sum())
    grown = rng.random(n) ** (-1.0 / 1.3)
    demand = np.full(n, 5e4)
    cum = np.cumsum([0.5, 0.4, 0.1])
    return counts, rng.random(n), grown, demand, np.exp(rng.standard_normal(n)), rng.random(n), cum


def _demand(fast: bool, t: np.ndarray) -> np.ndarray:
    """A lane's demand at the days ``t`` as ``workloads.lane_demand`` reckons it, with the
    kernels or their twins around numpy's exponentials."""
    exps = (demand_exponents if fast else demand_exponents_ref)(t, 365.25, 1.5, 3.0)
    decay = np.exp(exps)
    parts = (demand_parts if fast else demand_parts_ref)(
        t, decay, 365.25, 0.25, 1.1, 0.3, 0.2, 0.6, 0.7, False, 0.4
    )
    return np.asarray(4e4 * np.exp(parts[0]) * parts[1])


def cases() -> list[Case]:
    """Return the arrival benchmark cases: 200 daily cuts, 200 blocks made, and 200 blocks'
    demand."""
    t, taken, end = _lanes()
    days = np.sort(np.random.default_rng(1).uniform(400.0, 432.0, 1300))

    def check_demand() -> None:
        if not np.array_equal(_demand(True, days), _demand(False, days)):
            raise AssertionError("the demand kernels and their twins disagree")

    days = np.linspace(DAYS / 3, DAYS, 200)
    draws = _draws()

    def check_block() -> None:
        (a, b), (c, d) = _block(True, draws), _block(False, draws)
        if not (np.array_equal(a, c) and np.array_equal(b, d)):
            raise AssertionError("the block kernels and their twins disagree")

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
        ),
        Case(
            name="arrivals.block",
            fast=lambda: [_block(True, draws) for _ in range(200)],
            ref=lambda: [_block(False, draws) for _ in range(200)],
            repeats_fast=20,
            repeats_ref=20,
            setup=check_block,
            target=3.0,
        ),
        Case(
            name="arrivals.demand",
            fast=lambda: [_demand(True, days) for _ in range(200)],
            ref=lambda: [_demand(False, days) for _ in range(200)],
            repeats_fast=20,
            repeats_ref=20,
            setup=check_demand,
            target=2.0,
        ),
    ]
