"""A run opens with its job queues and the providers' orders in flight, not empty."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import ecosim
from ecosim.core.rng import Streams
from ecosim.engine.simulation import Simulation
from ecosim.world import policy, supply

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


def _order_start(warm: bool) -> tuple[np.ndarray, np.ndarray]:
    """Daily headline accelerator quote (d) and the providers' orders placed on each review day
    from day 0 (H100e), in the no-shock baseline with or without the warm order book."""
    flags = [
        "shocks=[]",
        "horizon_years=0.6",
        "recording.twin=false",
        f"uncertainties.supply.warm_order_book={'true' if warm else 'false'}",
    ]
    s = ecosim.load_scenario(BASELINE, flags).scenario
    sim = Simulation(s, Streams(s.seed), with_shocks=False)
    quotes: list[float] = []

    def observe(step: int, w: Any, jobs: Any, flows: Any) -> None:
        quotes.append(float(supply.lead_times(w, w.t)[0][0]))

    sim.run(observe)
    book = sim.world.orders
    n = book.n
    placed, quantity = book.placed[:n], book.quantity[:n]
    reviews = np.unique(placed[(placed >= 0.0) & book.by_provider[:n]])
    ordered = np.array([quantity[book.by_provider[:n] & (placed == d)].sum() for d in reviews])
    return np.array(quotes), ordered


def test_the_order_book_starts_warm_without_a_burst_of_orders_on_day_one() -> None:
    # From an empty book the first review ordered the whole pipeline, 1.37 times the mean of
    # the next three months' orders, and the first month's quote averaged 76.9 days against
    # 67.8 in days 60-180. Warm: 0.55 times, and 63.5 days. The cold run is checked too, so
    # the test is known to tell the two apart.
    for warm in (False, True):
        quotes, ordered = _order_start(warm)
        first = ordered[0] / ordered[1:4].mean()
        month = quotes[:30].mean() / quotes[60:180].mean()
        if warm:
            assert first <= 1.1, f"day-0 orders x{first:.2f} a month's"
            assert abs(month - 1.0) <= 0.1, f"first month's quote x{month:.2f} the later ones"
        else:
            assert first > 1.3 and month > 1.1, (first, month)


def test_regions_open_with_their_builds_under_way() -> None:
    # With no build under way at day 0, every region's own capacity retired for a
    # construction time before its first decision came live: the US's fell from 1.50M to
    # 1.08M H100e in the first eighteen months of the no-shock baseline.
    flags = ["shocks=[]", "horizon_years=1.5", "recording.interval_days=30", "recording.twin=false"]
    ds = ecosim.simulate(ecosim.load_scenario(BASELINE, flags))
    own = ds["capacity_own"].transpose("time", "region")
    start, low = own.isel(time=0), own.min("time")
    for region in ("US", "EU", "CN"):
        assert float(low.sel(region=region)) >= 0.97 * float(start.sel(region=region)), region
        assert float(own.sel(region=region).isel(time=-1)) > 1.2 * float(start.sel(region=region))


def test_builds_decided_before_the_run_leave_the_later_reviews_as_they_were() -> None:
    spec = ecosim.load_scenario(BASELINE, ["horizon_years=0.2"]).scenario
    sim = Simulation(spec, Streams(spec.seed))
    w = sim.world
    us = w.regions.index("US")
    warm = policy.warm_decisions(w, us, 0.0)
    assert warm, "the US builds every month: some of its builds are under way at day 0"
    delay = spec.regions["US"].policy.procurement_delay_days
    for decided, decision in warm:
        assert decided < 0.0 < decided + delay + decision.lead_time_days
    # their lead times come from a stream of their own: a review in the run draws what it
    # drew without them
    fresh = Streams(spec.seed).get("policy/lead_time/US").standard_normal()
    assert w.streams.get("policy/lead_time/US").standard_normal() == fresh
