"""Time metrics against the no-shock twin: closed forms, censoring, and the reference twins."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from ecosim.kernels.metrics import (
    BEYOND_HORIZON,
    FILL_DAYS,
    MEASURED,
    NO_DIP,
    NO_SHOCK,
    NOT_RECOVERED,
    annual_resilience,
    annual_resilience_ref,
    recovery_ratio,
    recovery_ratio_ref,
    recovery_time,
    recovery_time_ref,
    resilience_loss,
    time_to_survive,
    time_to_survive_ref,
)

DAYS = np.arange(0.0, 401.0)  # daily grid, 400 days


def cube(series: NDArray[np.float64]) -> NDArray[np.float64]:
    """A (T, 1, 1) array of one series."""
    return np.ascontiguousarray(series[:, None, None])


def step_then_linear(depth: float, start: float, recovery: float) -> NDArray[np.float64]:
    """Service 1 that drops by ``depth`` at ``start`` and climbs back linearly over ``recovery``."""
    since = DAYS - start
    return np.where((since >= 0) & (since < recovery), 1.0 - depth * (1 - since / recovery), 1.0)


def test_step_loss_closed_forms() -> None:
    depth, start, recovery = 0.4, 50.0, 100.0
    q, twin = cube(step_then_linear(depth, start, recovery)), cube(np.ones(DAYS.size))
    assert resilience_loss(q, twin, DAYS)[0, 0] == pytest.approx(depth * recovery / 2, abs=depth)
    days, flag = time_to_survive(q, twin, DAYS, start, 0.95)
    assert (days[0, 0], flag[0, 0]) == (0.0, MEASURED)  # falls at once
    # back within 1 % once depth * (1 - s / T) <= 0.01 * 1: s >= T (1 - 0.01 / depth)
    expected = np.ceil(recovery * (1 - 0.01 / depth) + 1e-9)
    days, flag = recovery_time(q, twin, DAYS, start, start, 0.01)
    assert flag[0, 0] == MEASURED
    assert days[0, 0] == pytest.approx(expected, abs=1.0)
    # the shock lasts longer than the service needs to recover: ttr waits for its end
    days, flag = recovery_time(q, twin, DAYS, start, start + 150.0, 0.01)
    assert (days[0, 0], flag[0, 0]) == (150.0, MEASURED)
    ratio, flag = recovery_ratio(q, twin, DAYS, start, np.array([30.0, 90.0, 500.0]), 0.01)
    np.testing.assert_allclose(ratio[0, 0, :2], [0.3, 0.9], atol=1e-12)
    assert list(flag[0, 0]) == [MEASURED, MEASURED, BEYOND_HORIZON]
    assert ratio[0, 0, 2] == FILL_DAYS
    assert annual_resilience(q, twin, DAYS)[0, 0] == pytest.approx(
        1 - resilience_loss(q, twin, DAYS)[0, 0] / 400.0
    )


def test_gradual_decline_survives_until_the_threshold() -> None:
    # falls by 0.001 a day from day 20: below 0.95 of the twin after 50 days more
    q = cube(np.clip(1.0 - 0.001 * np.maximum(DAYS - 20.0, 0.0), 0, 1))
    days, flag = time_to_survive(q, cube(np.ones(DAYS.size)), DAYS, 20.0, 0.95)
    assert flag[0, 0] == MEASURED and days[0, 0] == pytest.approx(51.0)


def test_series_that_never_dips() -> None:
    twin = cube(np.full(DAYS.size, 0.8))
    q = twin.copy()
    assert resilience_loss(q, twin, DAYS)[0, 0] == 0.0
    days, flag = time_to_survive(q, twin, DAYS, 100.0, 0.95)
    # "infinite" time to survive: censored, holding the days observed (a lower bound)
    assert (flag[0, 0], days[0, 0]) == (NO_DIP, 300.0)
    for t_end in (100.0, 160.0):
        days, flag = recovery_time(q, twin, DAYS, 100.0, t_end, 0.01)
        assert (flag[0, 0], days[0, 0]) == (NO_DIP, 0.0)  # decided: zero, flagged no_dip
    ratio, flag = recovery_ratio(q, twin, DAYS, 100.0, np.array([30.0]), 0.01)
    assert (flag[0, 0, 0], ratio[0, 0, 0]) == (NO_DIP, FILL_DAYS)
    assert annual_resilience(q, twin, DAYS)[0, 0] == 1.0


def test_series_that_never_recovers_is_horizon_limited() -> None:
    q = cube(np.where(DAYS >= 100.0, 0.5, 1.0))
    twin = cube(np.ones(DAYS.size))
    for t_end in (100.0, 200.0, np.inf):
        days, flag = recovery_time(q, twin, DAYS, 100.0, t_end, 0.01)
        assert (flag[0, 0], days[0, 0]) == (NOT_RECOVERED, 300.0)
    # recovered service under a shock still going at the end: not restored either
    days, flag = recovery_time(twin, twin * 1.5, DAYS, 100.0, np.inf, 0.01)
    assert flag[0, 0] == NOT_RECOVERED


def test_shock_after_the_run_is_flagged_no_shock() -> None:
    q = twin = cube(np.ones(DAYS.size))
    for days, flag in (
        time_to_survive(q, twin, DAYS, np.inf, 0.95),
        recovery_time(q, twin, DAYS, 1e6, 1e6, 0.01),
    ):
        assert (flag[0, 0], days[0, 0]) == (NO_SHOCK, FILL_DAYS)
    ratio, flag = recovery_ratio(q, twin, DAYS, np.inf, np.array([30.0]), 0.01)
    assert (flag[0, 0, 0], ratio[0, 0, 0]) == (NO_SHOCK, FILL_DAYS)


@pytest.mark.parametrize("seed", range(12))
def test_kernels_match_their_references(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_t, n_r, n_l = int(rng.integers(2, 300)), int(rng.integers(1, 4)), int(rng.integers(1, 5))
    days = np.cumsum(rng.uniform(0.1, 3.0, n_t))
    twin = rng.uniform(0.5, 1.0, (n_t, n_r, n_l))
    dips = np.abs(rng.normal(0, 0.1, twin.shape)) * (rng.uniform(size=twin.shape) < 0.3)
    q = np.clip(twin - dips, 0.0, 1.0)
    t0 = float(rng.uniform(-5.0, days[-1] + 5.0))
    t1 = t0 + float(rng.uniform(0.0, 60.0))
    horizons = np.array([1.0, 10.0, 100.0])
    np.testing.assert_allclose(
        annual_resilience(q, twin, days), annual_resilience_ref(q, twin, days), rtol=1e-12
    )
    for fast, ref in (
        (time_to_survive(q, twin, days, t0, 0.95), time_to_survive_ref(q, twin, days, t0, 0.95)),
        (
            recovery_time(q, twin, days, t0, t1, 0.01),
            recovery_time_ref(q, twin, days, t0, t1, 0.01),
        ),
        (
            recovery_ratio(q, twin, days, t0, horizons, 0.01),
            recovery_ratio_ref(q, twin, days, t0, horizons, 0.01),
        ),
    ):
        np.testing.assert_allclose(fast[0], ref[0], rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(fast[1], ref[1])
        assert fast[1].dtype == ref[1].dtype == np.int8
