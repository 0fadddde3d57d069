"""Resilience metrics kernel: closed forms, edge cases and agreement with its reference twin."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from ecosim.kernels.metrics import (
    min_service,
    resilience_loss,
    resilience_loss_ref,
    shortfall_area,
)


def dip_and_recover(
    time_days: NDArray[np.float64], start: float, depth: float, recovery: float
) -> NDArray[np.float64]:
    """Return service 1 that drops by ``depth`` at ``start``, then recovers linearly."""
    since = time_days - start
    return np.where(
        (since >= 0.0) & (since < recovery), 1.0 - depth * (1.0 - since / recovery), 1.0
    )


@pytest.mark.parametrize(("depth", "recovery"), [(0.4, 30.0), (1.0, 7.0), (0.05, 365.0)])
def test_step_loss_with_linear_recovery_has_triangle_area(depth: float, recovery: float) -> None:
    time_days = np.linspace(0.0, 2.0 * recovery + 20.0, 20001)
    shape = (time_days.size, 2, 3)
    service = np.broadcast_to(
        dip_and_recover(time_days, 10.0, depth, recovery)[:, None, None], shape
    )
    service = np.ascontiguousarray(service)
    twin = np.ones(shape)
    step = time_days[1] - time_days[0]
    # The trapezoid is exact on the linear ramp; only the step itself is smeared over one sample.
    np.testing.assert_allclose(
        resilience_loss(service, twin, time_days), depth * recovery / 2.0, atol=depth * step
    )


def test_non_uniform_grid_is_integrated_exactly_for_piecewise_linear_loss() -> None:
    # Samples at every kink of the shortfall make the trapezoidal rule exact.
    time_days = np.array([0.0, 1.0, 1.5, 4.0, 10.0, 10.25, 30.0])
    gap = np.array([0.0, 0.0, 0.5, 0.5, 0.2, 0.0, 0.0])
    service = (0.9 - gap)[:, None, None]
    twin = np.full_like(service, 0.9)
    expected = 0.5 * 0.5 * 0.5 + 0.5 * 2.5 + 0.5 * (0.5 + 0.2) * 6.0 + 0.5 * 0.2 * 0.25
    assert resilience_loss(service, twin, time_days)[0, 0] == pytest.approx(expected)


def test_service_that_never_dips_has_no_loss() -> None:
    rng = np.random.default_rng(0)
    time_days = np.cumsum(rng.uniform(0.1, 3.0, 500))
    twin = rng.uniform(0.0, 1.0, (500, 3, 4))
    service = np.minimum(twin + rng.uniform(0.0, 0.5, twin.shape), 1.0)
    np.testing.assert_array_equal(resilience_loss(service, twin, time_days), 0.0)
    np.testing.assert_array_equal(resilience_loss(twin, twin, time_days), 0.0)


def test_service_above_the_twin_does_not_offset_an_earlier_loss() -> None:
    time_days = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    service = np.array([1.0, 0.5, 1.0, 1.0, 1.0])[:, None, None]
    twin = np.array([1.0, 1.0, 1.0, 0.5, 1.0])[:, None, None]
    assert resilience_loss(service, twin, time_days)[0, 0] == pytest.approx(0.5)


@pytest.mark.parametrize("n_times", [0, 1])
def test_fewer_than_two_samples_give_zero(n_times: int) -> None:
    service = np.zeros((n_times, 2, 3))
    twin = np.ones((n_times, 2, 3))
    time_days = np.arange(n_times, dtype=np.float64)
    for kernel in (resilience_loss, resilience_loss_ref):
        np.testing.assert_array_equal(kernel(service, twin, time_days), np.zeros((2, 3)))


@pytest.mark.parametrize("seed", range(15))
def test_kernel_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_times = int(rng.integers(2, 400))
    n_regions = int(rng.integers(1, 6))
    n_layers = int(rng.integers(1, 6))
    time_days = np.cumsum(rng.uniform(0.01, 5.0, n_times))
    twin = rng.uniform(0.5, 1.0, (n_times, n_regions, n_layers))
    service = np.clip(twin - rng.normal(0.0, 0.2, twin.shape), 0.0, 1.0)
    np.testing.assert_allclose(
        resilience_loss(service, twin, time_days),
        resilience_loss_ref(service, twin, time_days),
        rtol=1e-12,
        atol=0.0,
    )


def test_kernel_accepts_non_contiguous_views() -> None:
    # Callers may hand over transposed views of (R, L, T) arrays.
    rng = np.random.default_rng(5)
    service_rlt = rng.uniform(0.0, 1.0, (3, 4, 50))
    twin_rlt = rng.uniform(0.0, 1.0, (3, 4, 50))
    time_days = np.arange(50, dtype=np.float64)
    service = service_rlt.transpose(2, 0, 1)
    twin = twin_rlt.transpose(2, 0, 1)
    np.testing.assert_allclose(
        resilience_loss(service, twin, time_days),
        resilience_loss_ref(service, twin, time_days),
        rtol=1e-12,
    )


def test_shortfall_area_is_the_resilience_loss() -> None:
    assert shortfall_area is resilience_loss


def test_min_service() -> None:
    service = np.array([[[1.0, 0.8]], [[0.3, 0.9]], [[0.6, 0.85]]])
    result = min_service(service)
    assert result.shape == (1, 2)
    np.testing.assert_array_equal(result, [[0.3, 0.8]])
