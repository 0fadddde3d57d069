"""Decaying growth: starts at the level given, rate decays from g0 to g_inf."""

from __future__ import annotations

import numpy as np

from ecosim.world.growth import growth_factor, growth_rate


def test_factor_is_one_at_start_and_matches_the_rate() -> None:
    assert float(growth_factor(0.0, 0.9, 0.25, 3.0)) == 1.0
    t, h = 500.0, 1e-3
    numeric = (
        np.log(growth_factor(t + h, 0.9, 0.25, 3.0)) - np.log(growth_factor(t - h, 0.9, 0.25, 3.0))
    ) / (2 * h)
    np.testing.assert_allclose(numeric * 365.25, growth_rate(t, 0.9, 0.25, 3.0), rtol=1e-6)


def test_rate_settles_to_the_long_run() -> None:
    np.testing.assert_allclose(growth_rate(365.25 * 40, 0.9, 0.25, 3.0), 0.25, atol=1e-4)
