"""Layer priority and collaboration matrix on the small world with a cloud withdrawal from TW."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from ecosim.scenario.loader import load_scenario
from ecosim.scenario.models import LAYERS
from ecosim.studies.counterfactuals import (
    Runner,
    alliance_gain,
    alliance_overrides,
    layer_overrides,
)
from tests.conftest import ROOT, SMALL

CUTOFF = (
    "shocks=[{id: cut, type: cloud_cutoff, providers: [aws, azure, gcp, oracle, us_others],"
    " regions: [TW], "
    "grade: withdrawal, start: 2025-03-01, duration: {kind: fixed, days: 120}}]"
)
SETUP = ["horizon_years=0.5", CUTOFF]
HIGH_INTEROP = "regions.TW.levers.interoperability={US: 1.0}"


def _ecosim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecosim", *args],
        cwd=ROOT,
        env=os.environ,  # carries the session's NUMBA_CACHE_DIR: nothing compiles again
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def written(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One ``ecosim compare`` run of both analyses for TW and the US, shared by the tests.

    TW's high interoperability with the US is what lets the US lend to it; the runs are
    whole-world runs, so one call (a shared baseline, 2 x 5 layer runs and one pair) covers
    the layer priority, the alliance matrix and the files.
    """
    out = tmp_path_factory.mktemp("counterfactuals")
    proc = _ecosim(
        "compare",
        str(SMALL),
        "--sovereignty-value",
        "--alliance-gain",
        "--regions",
        "TW,US",
        *(arg for o in [*SETUP, HIGH_INTEROP] for arg in ("--set", o)),
        "--out",
        str(out),
    )
    return proc, out


@pytest.fixture(scope="module")
def priority(written: tuple[subprocess.CompletedProcess[str], Path]) -> xr.Dataset:
    """Layer priority written by the CLI."""
    proc, out = written
    assert proc.returncode == 0, proc.stderr
    with xr.open_dataset(out / "sovereignty_value.nc", engine="h5netcdf") as ds:
        return ds.load()


@pytest.fixture(scope="module")
def alliances(written: tuple[subprocess.CompletedProcess[str], Path]) -> xr.Dataset:
    """Alliance matrix written by the CLI."""
    proc, out = written
    assert proc.returncode == 0, proc.stderr
    with xr.open_dataset(out / "alliance_gain.nc", engine="h5netcdf") as ds:
        return ds.load()


def test_counterfactual_overrides_carry_real_prices() -> None:
    s = load_scenario(SMALL, SETUP).scenario
    tw = s.regions["TW"]
    compute = layer_overrides(s, "TW", "compute")
    assert "regions.TW.levers.sovereign_cloud_share=1" in compute
    assert f"regions.TW.levers.build_share={max(tw.levers.build_share, 0.6)!r}" in compute
    assert f"regions.TW.costs.capex_usd_per_h100e={tw.costs.capex_usd_per_h100e * 1.5!r}" in (
        compute
    )
    models = layer_overrides(s, "TW", "models")
    own = tw.models.own_share + tw.models.foreign_api_share
    assert any(o.startswith("regions.TW.models.own_share=") for o in models)
    assert "regions.TW.models.foreign_api_share=0" in models
    # every counterfactual is a valid scenario on the same seed
    for layer in LAYERS:
        cf = load_scenario(SMALL, [*SETUP, *layer_overrides(s, "TW", layer)]).scenario
        assert cf.seed == s.seed
    cf = load_scenario(SMALL, [*SETUP, *models]).scenario.regions["TW"]
    assert cf.models.own_share == pytest.approx(own)
    assert cf.models.open_weights_share == tw.models.open_weights_share
    pair = load_scenario(SMALL, [*SETUP, *alliance_overrides(s, "TW", "US")]).scenario
    assert pair.regions["TW"].levers.alliance == ["US"]
    assert pair.regions["US"].levers.alliance == ["TW"]
    with pytest.raises(ValueError, match="unknown layer"):
        layer_overrides(s, "TW", "energy")


def test_sovereignty_value_ranks_compute_or_data_first(priority: xr.Dataset) -> None:
    value = priority["sovereignty_value"].sel(region="TW")
    cost = priority["sovereignty_cost"].sel(region="TW")
    assert list(priority["layer"].values) == list(LAYERS)
    assert list(priority["region"].values) == ["US", "TW"]
    assert str(value.idxmax("layer").item()) in {"compute", "data"}
    assert float(value.max()) > 0.0
    assert np.isfinite(cost.values).all()
    assert float(cost.sel(layer="compute")) > 0.0
    assert float(priority["rl_baseline"].sel(region="TW")) > float(value.max())
    for name in ("sovereignty_value", "sovereignty_cost", "sovereignty_value_per_cost"):
        assert priority[name].attrs["units"] and priority[name].attrs["long_name"]
        assert not np.isnan(priority[name].values).any()
    assert priority["sovereignty_value"].attrs["units"] == "d"
    assert priority["sovereignty_cost"].attrs["units"] == "USD/yr"


def test_alliance_gain_reaches_the_interoperable_borrower(alliances: xr.Dataset) -> None:
    gain = alliances["alliance_gain"]
    assert float(gain.sel(region="TW", partner="US")) > 0.0
    assert np.all(np.diag(gain.transpose("region", "partner").values) == 0.0)
    assert not np.isnan(gain.values).any()
    assert "diagonal" in alliances.attrs
    assert float(alliances["interoperability"].sel(region="TW", partner="US")) == 1.0
    # by layer: the parts sum to the whole, and a capacity-sharing alliance gains in compute
    by_layer = alliances["alliance_gain_by_layer"]
    np.testing.assert_allclose(by_layer.sum("layer"), gain, rtol=1e-9, atol=1e-9)
    assert float(by_layer.sel(region="TW", partner="US", layer="compute")) > 0.0


def test_cli_writes_tables_files_and_figures(
    written: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    proc, out = written
    assert proc.returncode == 0, proc.stderr
    assert "Layer priority" in proc.stdout
    assert "Alliance gain" in proc.stdout
    # one progress line per run: the shared baseline, 2 regions x 5 layers and one pair
    assert "[12/12] alliance US+TW, replicate 1/1" in proc.stderr
    for stem in ("sovereignty_value", "alliance_gain"):
        assert (out / f"{stem}.png").stat().st_size > 5_000
        assert (out / f"{stem}.svg").is_file()
        assert (out / f"{stem}.nc").is_file()
    assert not list(out.glob(".*.tmp"))


def test_api_matches_the_cli_on_the_same_seed(alliances: xr.Dataset) -> None:
    # replicate 0 of the same scenario and seed: the Python API gives the CLI's numbers
    again = alliance_gain(SMALL, [*SETUP, HIGH_INTEROP], regions=["TW", "US"])
    np.testing.assert_array_equal(again["alliance_gain"].values, alliances["alliance_gain"].values)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--sovereignty-value", str(SMALL), str(SMALL)], "exactly one scenario file"),
        (["--alliance-gain", "--regions", "TW"], "at least two regions"),
        (["--sovereignty-value", "--regions", "TW,XX"], "XX"),
        (["--sovereignty-value", "--budget", "1e9"], "--budget"),
    ],
)
def test_cli_rejects_bad_options(tmp_path: Path, args: list[str], needle: str) -> None:
    files = [] if str(SMALL) in args else [str(SMALL)]
    proc = _ecosim("compare", *files, *args, "--out", str(tmp_path / "cf"))
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "cf").exists()


def test_runner_needs_the_no_shock_twin() -> None:
    with pytest.raises(ValueError, match="twin"):
        Runner(SMALL, ("recording.twin=false",))
    with pytest.raises(ValueError, match="at least two regions"):
        alliance_gain(SMALL, SETUP, regions=["TW"])


def test_plot_redraws_a_counterfactual_result(alliances: xr.Dataset, tmp_path: Path) -> None:
    from ecosim.viz import write_figures

    written = write_figures(alliances, tmp_path, "ag")
    assert written and all(p.stat().st_size > 1000 for p in written)
