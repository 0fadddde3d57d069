"""Studies on Dask workers give the same bits as on one worker and as in this process.

A study's runs are (scenario, future, replicate) cells whose random streams come from the seed
and that pair alone, so ``--workers N`` only changes where they run: ``ecosim compare``,
``ecosim run --replicates`` and the counterfactual modes of ``compare`` on a LocalCluster of one
or two processes write exactly what the Python API computes here. The world is the small one
for five weeks with TW's clouds withdrawn early, so every run loses resilience, replicates
differ and portfolios differ: a cell handed back to the wrong place would show.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import ecosim
from ecosim import load_scenario
from ecosim.testing import assert_runs_identical
from tests.conftest import ROOT, SMALL

CUTOFF = (
    "shocks=[{id: cut, type: cloud_cutoff, providers: [aws, azure, gcp, oracle, us_others],"
    " regions: [TW], "
    "grade: withdrawal, start: 2025-01-08, duration: {kind: fixed, days: 20}}]"
)
SETUP = ["horizon_years=0.1", CUTOFF]
REPLICATES = 2


def _ecosim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecosim", *args],
        cwd=ROOT,
        env=os.environ.copy(),  # carries the session's NUMBA_CACHE_DIR to the workers too
        capture_output=True,
        text=True,
        timeout=600,
    )


def _sets(overrides: list[str]) -> list[str]:
    return [arg for o in overrides for arg in ("--set", o)]


def _open(path: Path) -> xr.Dataset:
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.load()


@pytest.fixture(scope="module")
def portfolios(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two portfolios: TW exposed to the withdrawal, and TW with replicas of its data."""
    folder = tmp_path_factory.mktemp("portfolios")
    exposed, replicated = folder / "exposed.yaml", folder / "replicated.yaml"
    exposed.write_text(f"extends: {SMALL}\nname: exposed\n")
    replicated.write_text(
        f"extends: {SMALL}\nname: replicated\nregions:\n  TW: {{data: {{replica_share: 1}}}}\n"
    )
    return [exposed, replicated]


@pytest.fixture(scope="module")
def compared(portfolios: list[Path], tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """``compare.nc`` written by ``ecosim compare`` on one and on two workers."""
    written = {}
    for workers in (1, 2):
        out = tmp_path_factory.mktemp(f"compare{workers}")
        proc = _ecosim(
            "compare",
            *map(str, portfolios),
            *_sets(SETUP),
            "--replicates",
            str(REPLICATES),
            "--workers",
            str(workers),
            "--out",
            str(out),
            "--quiet",
        )
        assert proc.returncode == 0, proc.stderr
        written[workers] = out / "compare.nc"
    return written


def test_compare_on_two_workers_equals_one_worker(compared: dict[int, Path]) -> None:
    one, two = _open(compared[1]), _open(compared[2])
    assert_runs_identical(one, two)
    rl = two["rl_total"].transpose("portfolio", "replicate").values
    assert (rl > 0).all()
    assert rl[0, 0] != rl[0, 1], "replicates should differ"
    assert rl[0, 0] > rl[1, 0], "replicated data should lose less"


def test_compare_on_workers_equals_the_api_in_this_process(
    portfolios: list[Path], compared: dict[int, Path]
) -> None:
    ports = [
        ecosim.Portfolio(path.stem, load_scenario(path, SETUP), str(path)) for path in portfolios
    ]
    here = ecosim.compare(ports, replicates=REPLICATES)
    assert_runs_identical(here, _open(compared[2]))


def test_replicates_on_workers_equal_one_worker_and_this_process(tmp_path: Path) -> None:
    written = []
    for workers in (1, 2):
        out = tmp_path / f"reps{workers}.nc"
        proc = _ecosim(
            "run",
            str(SMALL),
            *_sets(SETUP),
            "--replicates",
            "3",
            "--workers",
            str(workers),
            "--out",
            str(out),
            "--no-figure",
            "--quiet",
        )
        assert proc.returncode == 0, proc.stderr
        written.append(_open(out))
    here = ecosim.run_replicates(load_scenario(SMALL, SETUP), 3)
    assert_runs_identical(written[0], written[1])
    assert_runs_identical(here, written[1])
    requested = written[1]["compute_requested"].transpose("replicate", ...).values
    assert not np.array_equal(requested[0], requested[1])
    assert not np.array_equal(requested[1], requested[2])


def test_counterfactuals_on_workers_equal_the_api_in_this_process(tmp_path: Path) -> None:
    proc = _ecosim(
        "compare",
        str(SMALL),
        "--sovereignty-value",
        "--alliance-gain",
        "--regions",
        "TW,US",
        *_sets(SETUP),
        "--replicates",
        str(REPLICATES),
        "--workers",
        "2",
        "--out",
        str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    # one progress line per run, whichever order the workers finish them in
    total = REPLICATES * (1 + 2 * 5 + 1)
    assert f"[{total}/{total}]" in proc.stderr
    regions = ["TW", "US"]
    value = ecosim.sovereignty_value(SMALL, SETUP, regions=regions, replicates=REPLICATES)
    gain = ecosim.alliance_gain(SMALL, SETUP, regions=regions, replicates=REPLICATES)
    assert_runs_identical(value, _open(tmp_path / "sovereignty_value.nc"))
    assert_runs_identical(gain, _open(tmp_path / "alliance_gain.nc"))
    assert float(value["rl_baseline"].sel(region="TW")) > 0.0


def test_an_error_on_a_worker_is_raised_here_as_in_this_process(portfolios: list[Path]) -> None:
    from ecosim.experiments.executors import DaskExecutor, local_cluster

    ports = [ecosim.Portfolio(p.stem, load_scenario(p, SETUP)) for p in portfolios]
    # an unknown region fails where each run is reduced: on the worker
    with pytest.raises(KeyError) as here:
        ecosim.compare(ports, regions=["XX"])
    with DaskExecutor(local_cluster(1)) as ex, pytest.raises(KeyError) as there:
        ecosim.compare(ports, regions=["XX"], executor=ex)
    assert str(there.value) == str(here.value)
    assert "region" in str(there.value)


def test_a_stop_request_is_refused_for_cells_on_workers() -> None:
    # a worker cannot ask this process's stop button: refused before any cell starts (the
    # executor is never entered, so no client is made)
    from ecosim.experiments.executors import DaskExecutor
    from ecosim.studies.cells import Cell, keep_dataset, run_cells

    def no_client() -> tuple[object, object, int]:
        raise AssertionError("the executor was entered")

    cell = Cell(load_scenario(SMALL, ["horizon_years=0.01"]))
    with pytest.raises(ValueError, match="stop request"):
        run_cells([cell], keep_dataset, DaskExecutor(no_client), stop=lambda: False)
