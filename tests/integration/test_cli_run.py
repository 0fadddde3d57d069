"""``ecosim run`` as a user meets it: a subprocess writing NetCDF and the heatmap."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr

from ecosim.observe.summary import bottleneck_view
from ecosim.viz.bottleneck import bottleneck_image
from tests.conftest import BASELINE, ROOT, SMALL


def _ecosim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecosim", *args],
        cwd=ROOT,
        env=os.environ.copy(),  # carries the session's NUMBA_CACHE_DIR
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_run_writes_results_and_prints_the_matrix(tmp_path: Path) -> None:
    out = tmp_path / "small.nc"
    proc = _ecosim("run", str(SMALL), "--out", str(out), "--set", "horizon_years=0.5")
    assert proc.returncode == 0, proc.stderr
    assert "Bottleneck matrix" in proc.stdout
    assert "Most fragile layer per region: US:" in proc.stdout
    assert out.is_file()
    assert (tmp_path / "small_bottleneck.png").stat().st_size > 10_000
    assert not list(tmp_path.glob(".*.tmp"))
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        # the heatmap, drawn beside the writing of the file where a core is free, is the
        # picture of the result that was written
        png = (tmp_path / "small_bottleneck.png").read_bytes()
        assert png == bottleneck_image(bottleneck_view(ds.load()))
        assert ds["service"].dims == ("time", "region", "layer")
        assert ds.attrs["status"] == "ok"
        for name, var in ds.data_vars.items():
            assert "units" in var.attrs and "long_name" in var.attrs, name


def test_seed_flag_changes_the_run(tmp_path: Path) -> None:
    a, b = tmp_path / "a.nc", tmp_path / "b.nc"
    common = ["--set", "horizon_years=0.2", "--no-figure"]
    assert _ecosim("run", str(SMALL), "--out", str(a), *common).returncode == 0
    assert _ecosim("run", str(SMALL), "--out", str(b), "--seed", "9", *common).returncode == 0
    with xr.open_dataset(a) as da, xr.open_dataset(b) as db:
        assert da.attrs["seed_entropy"] != db.attrs["seed_entropy"]
        assert not da["compute_requested"].equals(db["compute_requested"])


@pytest.mark.slow
def test_full_baseline_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "baseline.nc"
    proc = _ecosim("run", str(BASELINE), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert ds.sizes["region"] == 9 and ds.sizes["layer"] == 5
        assert list(ds["region"].values) == ["US", "EU", "CN", "JP", "KR", "TW", "UK", "IN", "RoW"]
        rl = ds["resilience_loss"]
        # each shock visibly lowers the service of the regions it touches
        assert float(rl.sel(region="CN", layer="compute")) > 30.0  # chip controls
        assert float(rl.sel(region="EU", layer="compute")) > 10.0  # cloud withdrawal
        assert float(rl.sel(region="EU", layer="data")) > 5.0
        # and the US, which imposes the controls and keeps its clouds, loses little
        assert float(rl.sel(region="US").sum()) < 0.05 * float(rl.sel(region="CN").sum())
        assert ds["service"].min() >= 0 and ds["service"].max() <= 1
