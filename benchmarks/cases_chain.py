"""Benchmark cases for the chain kernels at the size of the baseline world.

Four designers, and for each of the other goods a few rows (six wafer fabs, seven HBM lines,
three packagers, two lithography and two materials suppliers) over nine regions, as the
baseline's chain is: what each world step reads.
"""

from __future__ import annotations

import numpy as np
from _bench import Case, repeated_call_case

from ecosim.kernels.chain import (
    designer_costs,
    designer_costs_ref,
    designer_output,
    designer_output_ref,
)

CALLS = 200


def _chain(seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    per_good = np.array([6, 7, 3, 2, 2])
    n_des = 4
    n_rows = n_des + int(per_good.sum())
    cap = rng.uniform(1e3, 5e4, n_rows)
    allow = np.where(rng.random((n_rows, 9)) < 0.2, 0.5, 1.0)
    offsets = np.concatenate([[0], np.cumsum(per_good)]).astype(np.int64)
    rows = np.arange(n_des, n_rows, dtype=np.int64)
    des = np.arange(n_des, dtype=np.int64)
    home = np.array([0, 0, 1, 2], dtype=np.int64)
    costs = rng.uniform(1e3, 4e4, n_rows)
    return cap, des, home, rows, offsets, allow, costs


def cases() -> list[Case]:
    """Return the chain benchmark cases: a step's call, 200 times each."""
    cap, des, home, rows, offsets, allow, costs = _chain()
    # wafer, HBM, packaging; a control cuts region 1 off, whose suppliers serve it first
    row_home = np.concatenate([home, np.arange(rows.size) % 9]).astype(np.int64)
    first = row_home[rows] == 1
    upstream = (cap, des, home, rows, offsets[:4], allow, first[: offsets[3]], row_home)
    stages = (cap, des, home, rows, offsets, allow, costs)
    return [
        repeated_call_case(
            "chain.designer_output", designer_output, designer_output_ref, upstream, CALLS
        ),
        repeated_call_case(
            "chain.designer_costs", designer_costs, designer_costs_ref, stages, CALLS
        ),
    ]
