"""A comparison answers the planner's question: extra cost against the reference, gain per
unit of it by horizon, what each cost is made of, in tables that fit 80 columns and that
``ecosim show`` prints again from the saved file."""

from __future__ import annotations

import io
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from rich.console import Console

import ecosim
from ecosim.cli import tables
from ecosim.observe.dataset import write_netcdf
from tests.conftest import SMALL

#: Two portfolios of the small world over a year and a month, so 1 January 2026 is inside it:
#: today, and TW spreading most of its cloud work over two providers, at a premium.
OVERRIDES = ["horizon_years=1.1", "recording.interval_days=7"]
SPREAD = "regions.TW.levers.multi_cloud=0.8"


@cache
def _compare() -> xr.Dataset:
    today = ecosim.Portfolio("today", ecosim.load_scenario(SMALL, OVERRIDES))
    spread = ecosim.Portfolio("multi_cloud", ecosim.load_scenario(SMALL, [*OVERRIDES, SPREAD]))
    return ecosim.compare([today, spread], replicates=2, regions=["TW"], horizons=[2026])


def _render(cmp: xr.Dataset, money: tables.Currency = tables.USD) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=80, color_system=None)
    tables.print_compare(console, cmp, money)
    return buffer.getvalue()


def test_the_comparison_holds_incremental_cost_and_gain_per_cost_with_units() -> None:
    cmp = _compare()
    assert cmp["incremental_cost"].dims == ("portfolio",)
    assert cmp["incremental_cost"].attrs["units"] == "USD/yr"
    assert cmp["gain_per_cost"].dims == ("portfolio", "horizon_year")
    assert cmp["gain_per_cost"].attrs["units"] == "d/(USD bn/yr)"
    extra = cmp["incremental_cost"].values
    assert extra[0] == 0.0  # the reference against itself
    # a second provider for most of the work costs a premium on TW's cloud spend
    assert extra[1] > 0.0
    gain = np.median(cmp["gain_at_horizon"].values[1, :, 0])
    spent = np.median(
        cmp["cost_at_horizon"].values[1, :, 0] - cmp["cost_at_horizon"].values[0, :, 0]
    )
    assert bool(cmp["gain_per_cost_defined"].values[1, 0])
    assert cmp["gain_per_cost"].values[1, 0] == pytest.approx(gain / (spent / 1e9))
    assert not np.isnan(cmp["gain_per_cost"].values).any()


def test_the_cost_breakdown_sums_to_the_cost_and_shows_the_lever() -> None:
    cmp = _compare()
    parts = cmp["cost_breakdown"]
    np.testing.assert_allclose(parts.sum("cost_item").values, cmp["cost_mean"].values, rtol=1e-9)
    more = parts.sel(cost_item="multi_cloud")
    assert (more.sel(portfolio="multi_cloud").values > more.sel(portfolio="today").values).all()


def test_the_tables_fit_80_columns_and_explain_their_terms() -> None:
    text = _render(_compare())
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in text  # no name or number is cut
    for name in ("today", "multi_cloud"):
        assert name in text
    for term in ("RL:", "gain:", "extra cost:", "gain per bn:", "regret:"):
        assert term in text
    assert "by 2026" in text
    assert "multi_cloud 0." in text  # the lever's own line in what the cost is made of


def test_amounts_in_euros_use_the_calibrated_dated_rate() -> None:
    cmp = _compare()
    eur = tables.currency("EUR")
    assert eur.per_usd == pytest.approx(1 / 1.0824)
    text = _render(cmp, eur)
    cost = float(cmp["cost_q"].values[0, 1]) / 1e9 / 1.0824
    assert f"{cost:.2f}" in text
    assert "bn EUR/yr" in text and "1.0824 USD per EUR" in text
    with pytest.raises(ecosim.InputError):
        tables.currency("XYZ")


def test_show_prints_the_tables_of_a_saved_comparison_and_run(tmp_path: Path) -> None:
    target = tmp_path / "compare.nc"
    write_netcdf(_compare(), target)
    proc = subprocess.run(
        [sys.executable, "-m", "ecosim", "show", str(target), "--currency", "EUR"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Resilience gained against today" in proc.stdout
    assert "What the cost is made of (bn EUR/yr" in proc.stdout
    run = tmp_path / "run.nc"
    write_netcdf(ecosim.simulate(ecosim.load_scenario(SMALL, ["horizon_years=0.2"])), run)
    proc = subprocess.run(
        [sys.executable, "-m", "ecosim", "show", str(run)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Bottleneck matrix" in proc.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "ecosim", "show", str(tmp_path / "nothing.nc")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr and "nothing there" in missing.stderr
