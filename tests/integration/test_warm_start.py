"""A run opens with its job queues in flight, not empty."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import ecosim

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


def test_compute_service_of_the_first_sixty_days_is_that_of_the_year() -> None:
    # From empty queues the first jobs' work counted as requested on arrival and was served
    # over their durations: compute service read about 0.55 in every region in week one.
    flags = ["shocks=[]", "horizon_years=1", "recording.interval_days=1", "recording.twin=false"]
    ds = ecosim.simulate(ecosim.load_scenario(BASELINE, flags))
    service = ds["service"].sel(layer="compute").transpose("time", "region").values
    median = np.median(service, axis=0)
    first = service[:60]
    worst = first.min(axis=0) / median
    assert (worst >= 0.9).all(), dict(zip(ds.region.values, np.round(worst, 3), strict=True))
    # and the warm-up is not counted: the recorded flows start at the run's start
    assert float(ds["compute_requested"].isel(time=0).sum()) == 0.0


def test_no_warm_up_is_the_cold_start_it_replaces() -> None:
    flags = [
        "shocks=[]",
        "horizon_years=0.1",
        "recording.interval_days=1",
        "recording.twin=false",
        "uncertainties.jobs.warm_up_days=0",
    ]
    ds = ecosim.simulate(ecosim.load_scenario(BASELINE, flags))
    week = ds["service"].sel(layer="compute").isel(time=slice(1, 8))
    assert float(week.min()) < 0.8
