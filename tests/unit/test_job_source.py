"""Job arrivals: sized so arrivals x work = demand, and independent of how they are taken."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ecosim import load_scenario
from ecosim.core.rng import Streams
from ecosim.scenario.models import Workload
from ecosim.world.jobs import JobSource, pareto_scale
from ecosim.world.workloads import WORKLOADS, profiles
from tests.conftest import SMALL

PRIORITIES = (0.5, 0.4, 0.1)


def _mix(workload: str = "domain_training") -> Workload:
    scenario = load_scenario(SMALL).scenario
    return profiles(scenario)[WORKLOADS.index(workload)]


@pytest.mark.parametrize(("workload", "rtol"), [(w, 0.02) for w in WORKLOADS])
def test_mean_work_matches_demand(workload: str, rtol: float) -> None:
    mix = _mix(workload)
    src = JobSource(Streams(1).get("j"), mix, lambda t: np.full_like(t, 1000.0), PRIORITIES)
    days = 3000.0 if mix.arrivals_per_day >= 30 else 30000.0
    t, size, dur, prio, *_ = src.take(days)
    work_per_day = (size * dur).sum() / days
    # heavy tails converge slowly: 2% on hundreds of thousands of jobs
    np.testing.assert_allclose(work_per_day, 1000.0, rtol=rtol)
    np.testing.assert_allclose(len(t) / days, mix.arrivals_per_day, rtol=0.01)
    assert size.max() <= mix.max_job_share * 1000.0 + 1e-9
    assert pareto_scale(mix) < mix.max_job_share
    assert math.isfinite(pareto_scale(mix))
    np.testing.assert_allclose(np.bincount(prio, minlength=3) / len(prio), PRIORITIES, atol=0.01)


def test_arrivals_scale_keeps_the_work() -> None:
    mix = _mix()
    src = JobSource(
        Streams(2).get("j"), mix, lambda t: np.full_like(t, 1000.0), PRIORITIES, 0.0, 0.2
    )
    t, size, dur, *_ = src.take(10000.0)
    np.testing.assert_allclose(len(t) / 10000.0, 0.2 * mix.arrivals_per_day, rtol=0.02)
    np.testing.assert_allclose((size * dur).sum() / 10000.0, 1000.0, rtol=0.03)


def test_arrivals_do_not_depend_on_how_often_they_are_taken() -> None:
    mix = _mix()

    def demand(t: np.ndarray) -> np.ndarray:
        return 10.0 * np.exp(t / 365.0)

    a = JobSource(Streams(5).get("j"), mix, demand, PRIORITIES)
    b = JobSource(Streams(5).get("j"), mix, demand, PRIORITIES)
    whole = a.take(100.0)
    cuts = [0.3, 7.0, 7.0, 31.9, 32.0, 64.5, 100.0]
    parts = [b.take(c) for c in cuts]
    for i in range(6):
        np.testing.assert_array_equal(whole[i], np.concatenate([p[i] for p in parts]))
    assert np.all(np.diff(whole[0]) >= 0)
    assert np.all(np.diff(whole[5]) == 1)
