"""Whole runs of the small scenario: reproducible, invariant-keeping, shocks visible."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from ecosim import load_scenario, simulate
from ecosim.core.rng import Streams
from ecosim.engine.simulation import Simulation
from ecosim.scenario.models import LAYERS
from ecosim.testing import assert_invariants, assert_runs_identical
from tests.conftest import SMALL

SHORT = ["horizon_years=0.5"]


def test_same_seed_gives_a_bit_identical_dataset(small_run: xr.Dataset) -> None:
    again = simulate(load_scenario(SMALL))
    assert_runs_identical(small_run, again)


def test_another_seed_gives_another_dataset() -> None:
    a = simulate(load_scenario(SMALL, SHORT))
    b = simulate(load_scenario(SMALL, SHORT, seed=12345))
    assert not np.array_equal(a["compute_requested"].values, b["compute_requested"].values)


def test_invariants_hold(small_run: xr.Dataset) -> None:
    assert_invariants(small_run)
    assert small_run["service"].dims == ("time", "region", "layer")
    assert list(small_run["layer"].values) == list(LAYERS)
    assert small_run.attrs["status"] == "ok"
    for key in ("ecosim_version", "scenario_text", "scenario_sha256", "seed_entropy"):
        assert small_run.attrs[key]


def test_a_lever_changes_neither_the_shocks_nor_the_jobs() -> None:
    a = Simulation(load_scenario(SMALL, SHORT).scenario, Streams(1))
    lever = ["regions.US.levers.build_share=0.9", "regions.CN.levers.open_stack_share=0.9"]
    b = Simulation(load_scenario(SMALL, [*SHORT, *lever]).scenario, Streams(1))
    assert a.occurrences == b.occurrences
    for src_a, src_b in zip(a.jobs.sources, b.jobs.sources, strict=True):
        for x, y in zip(src_a.take(60.0), src_b.take(60.0), strict=True):
            np.testing.assert_array_equal(x, y)


def test_twin_shares_the_job_stream() -> None:
    s = load_scenario(SMALL, SHORT).scenario
    run = Simulation(s, Streams(s.seed), with_shocks=True)
    twin = Simulation(s, Streams(s.seed), with_shocks=False)
    assert run.occurrences and not twin.occurrences
    for x, y in zip(run.jobs.sources[0].take(30.0), twin.jobs.sources[0].take(30.0), strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.fixture(scope="module")
def cutoff_run() -> xr.Dataset:
    withdrawal = (
        "shocks=[{id: cut, type: cloud_cutoff, providers: [aws, azure, gcp, oracle, us_others],"
        " regions: [US], grade: withdrawal, start: 2025-03-01, duration: {kind: fixed, days: 60}}]"
    )
    return simulate(load_scenario(SMALL, [withdrawal, "horizon_years=0.6"]))


def test_a_cloud_withdrawal_lowers_service_where_it_hits(cutoff_run: xr.Dataset) -> None:
    ds = cutoff_run
    during = ds.sel(time=slice("2025-03-10", "2025-05-01"))
    us = during.sel(region="US")
    gap = (us["service_twin"] - us["service"]).sel(layer="compute").max()
    assert float(gap) > 0.2
    rl = ds["resilience_loss"].sel(region="US")
    assert float(rl.sel(layer="compute")) > 5.0
    assert float(rl.sel(layer="data")) > 1.0
    assert ds["most_fragile_layer"].sel(region="US").item() in {"compute", "data"}
    # the region it does not touch barely moves
    assert float(ds["resilience_loss"].sel(region="TW").sum()) < 0.1 * float(rl.sum())


def test_market_shares_move_away_from_a_withdrawn_provider(cutoff_run: xr.Dataset) -> None:
    share = cutoff_run["market_share"].sel(region="US", provider="aws")
    assert float(share.sel(time="2025-02-15")) > 0.2
    assert float(share.sel(time="2025-04-15")) < 0.01


def test_no_shock_scenario_has_no_loss() -> None:
    ds = simulate(load_scenario(SMALL, ["shocks=[]", *SHORT]))
    assert float(ds["resilience_loss"].sum()) == 0.0
    assert set(ds["most_fragile_layer"].values) == {"none"}
