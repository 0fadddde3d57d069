"""The autarky scenario runs: each chain produces only after its construction, the regions
with lithography at home close their chain within years, the others do not."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import xarray as xr

import ecosim
from ecosim.observe.chains import ChainSummary, chain_summaries
from ecosim.scenario.models import Scenario
from ecosim.testing import assert_invariants
from ecosim.world import capacity

ROOT = Path(__file__).resolve().parents[2]
AUTARKY = ROOT / "scenarios" / "autarky.yaml"
START = np.datetime64("2026-01-01")


@cache
def _run() -> tuple[xr.Dataset, Scenario]:
    # no twin: what is checked is the run itself, in half the time
    loaded = ecosim.load_scenario(
        AUTARKY, ["horizon_years=5.5", "recording.interval_days=30", "recording.twin=false"]
    )
    return ecosim.simulate(loaded), loaded.scenario


def _summary(region: str) -> ChainSummary:
    ds, s = _run()
    return next(c for c in chain_summaries(ds, s) if c.region == region)


def test_the_autarky_run_keeps_the_output_invariants() -> None:
    ds, _ = _run()
    assert_invariants(ds)
    for name in ("chip_capacity", "self_sufficiency", "chip_capex", "chain_capex"):
        assert np.isfinite(ds[name].values).all(), name
        assert (ds[name].values >= 0.0).all(), name
        assert ds[name].attrs["units"]


def test_the_eus_chain_makes_nothing_before_its_fabs_are_built() -> None:
    ds, s = _run()
    built = START + np.timedelta64(int(capacity.construction_days(s, "wafer", "EU")), "D")
    wafers = ds["chip_capacity"].sel(region="EU", stage="wafer")
    assert float(wafers.sel(time=slice(None, built - np.timedelta64(31, "D"))).max()) == 0.0
    assert float(wafers.isel(time=-1)) > 0.0
    # the EU spends from the start, years before any output
    capex = ds["chain_capex"].sel(region="EU")
    assert float(capex.sel(time=slice(START, START + np.timedelta64(100, "D"))).max()) > 1e9


def test_regions_with_lithography_at_home_cover_their_purchases_within_five_years() -> None:
    eu = _summary("EU")  # ASML
    assert eu.covered is not None and eu.years_to_cover is not None
    assert 3.0 < eu.years_to_cover < 5.0
    assert eu.capex_usd > 0.0 and eu.annualised_usd < eu.capex_usd
    # the US, with no lithography of its own before the mid-2030s, wears its tools down
    us = _summary("US")
    assert us.covered is None
    ds, _ = _run()
    assert float(ds["self_sufficiency"].sel(region="US").max()) < 1.0


def test_a_region_that_can_buy_nothing_pays_far_over_the_trend_until_its_chain_produces() -> None:
    ds, _ = _run()
    index = ds["accelerator_price_index"].sel(region="EU")
    waiting = index.sel(time=slice(np.datetime64("2026-07-01"), np.datetime64("2028-06-30")))
    assert float(waiting.min()) > 2.0
    # once its own chain makes its chips, the price falls back toward the trend's
    assert float(index.isel(time=-1)) < 0.5 * float(waiting.min())
