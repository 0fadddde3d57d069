"""Job arrivals: sized so arrivals x work = demand, and independent of how they are taken."""

from __future__ import annotations

import math

import numpy as np

from ecosim import load_scenario
from ecosim.core.rng import Streams
from ecosim.world.jobs import JobSource, pareto_scale
from tests.conftest import SMALL


def _mix():  # type: ignore[no-untyped-def]
    return load_scenario(SMALL).scenario.uncertainties.jobs


def test_mean_work_matches_demand() -> None:
    mix = _mix()
    src = JobSource(Streams(1).get("j"), mix, lambda t: np.full_like(t, 1000.0))
    t, size, dur, *_ = src.take(3000.0)
    work_per_day = (size * dur).sum() / 3000.0
    # heavy tails converge slowly: 2% on ~450k jobs
    np.testing.assert_allclose(work_per_day, 1000.0, rtol=0.02)
    np.testing.assert_allclose(len(t) / 3000.0, mix.arrivals_per_day, rtol=0.01)
    assert size.max() <= mix.max_job_share * 1000.0 + 1e-9
    assert pareto_scale(mix) < mix.max_job_share
    assert math.isfinite(pareto_scale(mix))


def test_arrivals_do_not_depend_on_how_often_they_are_taken() -> None:
    mix = _mix()

    def demand(t: np.ndarray) -> np.ndarray:
        return 10.0 * np.exp(t / 365.0)

    a = JobSource(Streams(5).get("j"), mix, demand)
    b = JobSource(Streams(5).get("j"), mix, demand)
    whole = a.take(100.0)
    cuts = [0.3, 7.0, 7.0, 31.9, 32.0, 64.5, 100.0]
    parts = [b.take(c) for c in cuts]
    for i in range(6):
        np.testing.assert_array_equal(whole[i], np.concatenate([p[i] for p in parts]))
    assert np.all(np.diff(whole[0]) >= 0)
    assert np.all(np.diff(whole[5]) == 1)
