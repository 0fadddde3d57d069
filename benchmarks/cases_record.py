"""Benchmark cases for the recorder's kernels at the size of the baseline world.

Nine regions, nineteen providers, five designers and the chain's rows, as each recorded
sample (and, for the concentration, each step of the run and its twin) reads them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from _bench import Case, in_place_case, repeated_call_case

from ecosim.kernels import jobs as jk
from ecosim.kernels import record as kr

N_R, N_P, N_D, N_ROWS = 9, 19, 5, 40
N_W, N_M = 4, 6  # workloads, materials suppliers
CALLS = 200


def _flows_args() -> tuple[np.ndarray, ...]:
    """A step's flows and the period's sums they are added to."""
    rng = np.random.default_rng(1)
    shapes = [(N_R, jk.N_OUT), (N_R, N_W, jk.N_OUT), (N_R,), (N_R, N_D), (N_R, N_M), (N_R,)]
    flows = tuple(rng.uniform(0.0, 1e3, shape) for shape in shapes)
    sums = tuple(
        rng.uniform(0.0, 1e4, shape)
        for shape in [(N_R, jk.N_OUT), (N_R,), (N_R, N_W), (N_R, N_D), (N_R, N_M), (N_R,)]
    )
    return flows + sums


def _period_args() -> tuple[np.ndarray, ...]:
    """A period's job sums (some regions without arrivals) and a sample's five rows."""
    rng = np.random.default_rng(2)
    arrivals = rng.uniform(0.0, 50.0, N_R) * (rng.random(N_R) < 0.8)
    return (rng.uniform(0.0, 1e4, (N_R, jk.N_OUT)), arrivals, *(np.zeros(N_R) for _ in range(5)))


def _shares(rng: np.random.Generator) -> np.ndarray:
    s = rng.uniform(0.0, 1.0, (N_R, N_P + 1)) * (rng.random((N_R, N_P + 1)) < 0.7)
    return np.asarray(s / s.sum(axis=1, keepdims=True))


def _exposure_args(rng: np.random.Generator) -> tuple[Any, ...]:
    return (
        _shares(rng),
        rng.uniform(0.0, 1e5, (N_R, N_P)),
        rng.uniform(0.0, 1e5, N_R),
        rng.choice([0.0, 0.15, 1.0], (N_R, N_P)),
        rng.integers(0, N_R, N_P),
        rng.uniform(0.0, 1.0, N_R),
        rng.random(N_R) < 0.5,
        rng.uniform(0.0, 1.0, N_R),
        rng.dirichlet(np.ones(3), N_R),
        np.ones(N_R),
        rng.choice([0.0, 1.0], N_R),
        rng.uniform(0.0, 1.0, N_R),
    )


def _lead_time_args(rng: np.random.Generator) -> tuple[Any, ...]:
    """A sample's lead-time inputs: the designers (the chain's first rows), the four upstream
    goods' suppliers (fewer than eight each, lithography the last), and an order book."""
    n_o = 300  # orders placed over a run, some filled
    des = np.arange(N_D, dtype=np.int64)
    upstream = rng.permutation(np.arange(N_D, N_ROWS)).astype(np.int64)[:22]
    by_provider = rng.random(n_o) < 0.5
    return (
        rng.uniform(0.0, 1e6, N_D),
        rng.uniform(0.0, 1e4, N_D),
        rng.uniform(30.0, 120.0, N_ROWS),
        des,
        rng.uniform(0.0, 1e4, N_ROWS),
        upstream,
        np.array([0, 7, 13, 19, 22], dtype=np.int64),
        3,
        rng.uniform(0.0, 1e4, N_ROWS),
        730.0,
        by_provider,
        rng.integers(0, N_R, n_o),
        rng.integers(0, N_D, n_o),
        rng.uniform(0.0, 1e5, n_o),
        rng.random(n_o) < 0.4,
        n_o,
        rng.integers(0, N_R, N_P),
        (rng.random((N_D, N_R)) < 0.8).astype(np.float64),
        rng.choice([0.0, 0.5, 1.0], (N_ROWS, N_R)),
    )


def cases() -> list[Case]:
    """Return the recorder's benchmark cases: a sample's (or a step's) call, 200 times each."""
    rng = np.random.default_rng(0)
    shares = _shares(rng)
    offsets = np.array([0, 5, 13, 22, 31, N_ROWS], dtype=np.int64)
    chain = (
        rng.uniform(0.0, 1e4, N_ROWS),
        rng.integers(0, N_R, N_ROWS),
        rng.permutation(N_ROWS).astype(np.int64),
        offsets,
        N_R,
        365.25,
    )
    weights = rng.uniform(0.0, 1e5, (N_R, N_D))
    quotes = rng.uniform(30.0, 700.0, N_D)
    cap = rng.uniform(0.0, 1e6, (5, N_R))
    stages = np.array([0, 1, 2, 3], dtype=np.int64)
    bought = rng.uniform(1e5, 1e6, N_R)
    n_b = 60  # builds started over a run: the sites', the chains' and the market's
    builds = (
        rng.uniform(0.0, 1000.0, n_b),
        rng.integers(0, 4, n_b),
        rng.integers(0, N_ROWS, n_b),
        rng.uniform(1e8, 1e10, n_b),
        rng.integers(0, N_R, N_ROWS),
        500.0,
        1,
        N_R,
    )
    return [
        repeated_call_case(
            "record.concentration",
            kr.concentration,
            kr.concentration_ref,
            (shares, rng.random(N_P) < 0.2),
        ),
        repeated_call_case(
            "record.exposure", kr.exposure, kr.exposure_ref, _exposure_args(rng), target=10.0
        ),
        repeated_call_case(
            "record.data_location",
            kr.data_location,
            kr.data_location_ref,
            (shares, rng.integers(0, N_R, N_P), rng.random((N_R, N_P)) < 0.5, rng.random(N_R)),
        ),
        repeated_call_case(
            "record.capacity_by_region", kr.capacity_by_region, kr.capacity_by_region_ref, chain
        ),
        # a few numpy calls in the twin: the call's own cost is most of the kernel's
        repeated_call_case(
            "record.buyer_lead_times",
            kr.buyer_lead_times,
            kr.buyer_lead_times_ref,
            (weights, quotes, 730.0),
            target=3.0,
        ),
        repeated_call_case(
            "record.self_sufficiency",
            kr.self_sufficiency,
            kr.self_sufficiency_ref,
            (cap, stages, bought),
            target=3.0,
        ),
        # five numpy calls on the regions' demand in the twin before the same kernel
        repeated_call_case(
            "record.self_sufficiency_at",
            kr.self_sufficiency_at,
            kr.self_sufficiency_at_ref,
            (cap, stages, bought, bought * 1.3, rng.uniform(3.0, 7.0, N_R), 1.7),
            target=3.0,
        ),
        repeated_call_case(
            "record.committed_capex",
            kr.committed_capex,
            kr.committed_capex_ref,
            builds,
            target=3.0,
        ),
        # four rules in one call, the twin's few dozen numpy calls among them
        repeated_call_case(
            "record.lead_time_readings",
            kr.lead_time_readings,
            kr.lead_time_readings_ref,
            _lead_time_args(rng),
            target=5.0,
        ),
        # six in-place additions of small arrays at every step: the calls' own cost is most of
        # the twin's
        in_place_case(
            "record.add_step_flows",
            kr.add_step_flows,
            kr.add_step_flows_ref,
            _flows_args,
            CALLS,
            2.0,
        ),
        in_place_case(
            "record.close_job_period",
            kr.close_job_period,
            kr.close_job_period_ref,
            _period_args,
            CALLS,
            3.0,
        ),
        # a few numpy calls in the twin; one region holding nothing takes the fallback
        repeated_call_case(
            "record.designer_dependence",
            kr.designer_dependence,
            kr.designer_dependence_ref,
            (
                rng.uniform(0.0, 1e6, (N_R, N_D)) * (np.arange(N_R) > 0)[:, None],
                (rng.random((N_D, N_R)) < 0.8).astype(np.float64),
            ),
            target=3.0,
        ),
    ]
