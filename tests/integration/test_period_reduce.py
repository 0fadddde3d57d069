"""Series summarised per calendar period for the figures: what xarray's resample gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import ecosim
from ecosim.viz._common import Period, period_for, period_reduce, when

SMALL = Path(__file__).resolve().parents[1] / "scenarios" / "small.yaml"


def _resampled(
    da: xr.DataArray, ds: xr.Dataset, how: str, skip_days: float, period: Period
) -> tuple[np.ndarray, xr.DataArray]:
    """The summary through xarray's resample, as the figures made it before."""
    days = np.asarray(ds["day"].values, dtype=np.float64)
    keep = days >= days[0] + skip_days
    series = xr.DataArray(
        np.asarray(da.transpose("time", ...).values)[keep],
        dims=("time", *[d for d in da.dims if d != "time"]),
        coords={
            "time": ds["time"].values[keep],
            **{d: da[d].values for d in da.dims if d != "time" and d in da.coords},
        },
    )
    reduced = getattr(series.resample(time=period.freq), how)()
    centre = xr.DataArray(days[keep], dims="time", coords={"time": ds["time"].values[keep]})
    centres = centre.resample(time=period.freq).mean()
    ok = np.isfinite(centres.values)
    x = np.array([when(ds, float(d)) for d in centres.values[ok]], dtype="datetime64[s]")
    return x, reduced.isel(time=np.flatnonzero(ok))


@pytest.fixture(scope="module")
def runs() -> dict[str, xr.Dataset]:
    """A run of over a year (monthly periods) and a short one on a weekly grid."""
    return {
        "monthly": ecosim.simulate(ecosim.load_scenario(SMALL, ["horizon_years=1.3"])),
        "weekly": ecosim.simulate(
            ecosim.load_scenario(SMALL, ["horizon_years=0.4", "recording.interval_days=3"])
        ),
    }


@pytest.mark.parametrize("kind", ["monthly", "weekly"])
@pytest.mark.parametrize("how", ["mean", "median", "max"])
@pytest.mark.parametrize("skip", [0.0, 45.0])
def test_each_period_is_xarrays_resample_to_the_bit(
    runs: dict[str, xr.Dataset], kind: str, how: str, skip: float
) -> None:
    ds = runs[kind]
    period = period_for(ds)
    assert period.word == kind
    for name in ("service", "lead_time", "market_share", "jobs_overflow", "backlog"):
        da = ds[name]
        x, got = period_reduce(da, ds, how, skip, period)
        want_x, want = _resampled(da, ds, how, skip, period)
        np.testing.assert_array_equal(x, want_x, name)
        assert got.dims == want.dims, name
        np.testing.assert_array_equal(got.values, want.values, name)
        np.testing.assert_array_equal(got["time"].values, want["time"].values, name)
        for dim in got.dims[1:]:
            np.testing.assert_array_equal(got[dim].values, want[dim].values, name)


def test_a_series_with_nothing_left_after_the_skip_has_no_periods(
    runs: dict[str, xr.Dataset],
) -> None:
    ds = runs["weekly"]
    x, got = period_reduce(ds["service"], ds, "mean", skip_days=1e6)
    assert x.size == 0 and got.sizes["time"] == 0
    assert got.dims == ("time", "region", "layer")
