"""The episode mapping language on a synthetic dataset."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from ecosim.calibrate.expr import parse
from ecosim.errors import InputError


def _ds() -> xr.Dataset:
    days = np.arange(10.0)
    flows = np.stack([np.ones(10), np.arange(10.0)], axis=1)  # region A: 1/day, B: 0..9
    return xr.Dataset(
        {"deliveries": (("time", "region"), flows)},
        coords={
            "time": np.datetime64("2025-01-01") + days.astype("timedelta64[D]"),
            "day": ("time", days),
            "region": ["A", "B"],
        },
    )


def test_trailing_sums_a_flow_over_the_window() -> None:
    got = parse("deliveries[region=A].trailing(3)").evaluate(_ds()).values
    np.testing.assert_allclose(got, [1, 2, 3, 3, 3, 3, 3, 3, 3, 3])


def test_a_share_of_trailing_flows() -> None:
    expr = "deliveries[region=B].trailing(2) / deliveries.sum(region).trailing(2) | percent"
    got = parse(expr).evaluate(_ds()).values
    b = np.arange(10.0)
    b2 = b + np.concatenate([[0.0], b[:-1]])
    a2 = np.minimum(np.arange(1, 11), 2).astype(float)
    np.testing.assert_allclose(got, 100 * b2 / (a2 + b2))


def test_a_bad_window_is_an_input_error() -> None:
    with pytest.raises(InputError):
        parse("deliveries[region=A].trailing(abc)").evaluate(_ds())
