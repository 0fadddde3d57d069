"""Running sweeps: same store whatever the executor, kills, failures, bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
import xarray as xr

from ecosim.experiments.store import open_store, results_equal
from tests.experiments.conftest import ECOSIM, SMALL, env, run_cli


def _done(store: Path) -> np.ndarray:
    try:
        return np.asarray(xr.open_zarr(store, consolidated=False)["done"].values, bool)
    except Exception:  # a chunk being written right now
        return np.zeros((1, 1), bool)


def _restore_sigint() -> None:
    # as in a terminal: a suite started in the background (``cmd &`` in a script) passes on
    # an ignored SIGINT, which the sweep rightly leaves alone, and Ctrl-C would test nothing
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*ECOSIM, *args],
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_restore_sigint,
    )


def _wait_done(store: Path, at_least: int, proc: subprocess.Popen[str], limit: float = 120) -> None:
    deadline = time.time() + limit
    while time.time() < deadline and proc.poll() is None:
        if store.exists() and _done(store).sum() >= at_least:
            return
        time.sleep(0.05)
    raise AssertionError(f"no {at_least} runs done in time: {proc.poll()}")


def test_reference_store_is_complete(reference_store: Path) -> None:
    ds = open_store(reference_store)
    assert ds["done"].values.all() and not ds["failed"].values.any()
    assert ds.sizes["run"] == 8 and ds.sizes["replicate"] == 2
    assert ds["service"].dims[:3] == ("run", "replicate", "period")
    # every metric of a run (no time dim) is in the store, whatever it is
    import ecosim

    one = ecosim.simulate(ecosim.load_scenario(SMALL, ["horizon_years=0.02"]))
    metrics = {n for n, v in one.data_vars.items() if "time" not in v.dims}
    assert metrics <= set(ds.data_vars)


def test_a_sweep_run_equals_the_single_run_of_its_future(
    reference_store: Path, tiny_sweep: Path
) -> None:
    """The tiny sweep records weekly; its runs, run alone and recorded daily, are equal."""
    import ecosim
    from ecosim.experiments.design import expand
    from ecosim.experiments.seeds import resolve_entropy, stream_position
    from ecosim.experiments.sweepfile import read_sweep
    from ecosim.observe.dataset import pad_occurrences

    store = open_store(reference_store)
    sweep = read_sweep(tiny_sweep)
    table = expand(sweep.spec)
    entropy = resolve_entropy(sweep.spec, 0)
    assert entropy == 11
    for index in (0, table.n_runs - 1):
        spec = table.run(index)
        for rep in range(store.sizes["replicate"]):
            loaded = ecosim.load_scenario(
                sweep.base_path,
                [*sweep.spec.overrides, *spec.overrides, "recording.interval_days=1"],
                seed=entropy,
            )
            one = ecosim.simulate(loaded, **stream_position(spec.future, rep))
            one = pad_occurrences(one, store.sizes["occurrence"])
            cell = store.isel(run=index, replicate=rep)
            for name in [str(n) for n, v in one.data_vars.items() if "time" not in v.dims]:
                np.testing.assert_array_equal(cell[name].values, one[name].values, err_msg=name)


def test_local_cluster_equals_in_process(
    tiny_sweep: Path, reference_store: Path, tmp_path: Path
) -> None:
    store = tmp_path / "two.zarr"
    run_cli(
        "sweep",
        str(tiny_sweep),
        "--out",
        str(store),
        "--workers",
        "2",
        "--block-size",
        "2",
        "-q",
        check=True,
    )
    assert results_equal(open_store(reference_store), open_store(store)) == []


def test_ctrl_c_stops_a_sweep_cleanly_and_says_how_to_resume(
    tiny_sweep: Path, reference_store: Path, tmp_path: Path
) -> None:
    store = tmp_path / "interrupted.zarr"
    proc = _start("sweep", str(tiny_sweep), "--out", str(store), "--block-size", "1")
    _wait_done(store, 2, proc)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "Traceback" not in stderr
    assert f"continue with ecosim sweep --resume {store}" in stderr
    run_cli("sweep", "--resume", str(store), "-q", check=True)
    assert not results_equal(open_store(store), open_store(reference_store))


def test_killed_driver_resumes_without_recomputing(
    tiny_sweep: Path, reference_store: Path, tmp_path: Path
) -> None:
    store = tmp_path / "killed.zarr"
    proc = _start("sweep", str(tiny_sweep), "--out", str(store), "--block-size", "1")
    _wait_done(store, 4, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # a store creation killed earlier left its temporary directory too
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()
    orphan = tmp_path / f".killed.zarr.tmp-{dead}"
    (orphan / "run").mkdir(parents=True)
    before = open_store(store)
    done_before = before["done"].values.copy()
    stamps_before = before["computed_at"].values.copy()
    assert 0 < done_before.sum() < done_before.size
    resumed = run_cli("sweep", "--resume", str(store), "-q", check=True)
    # the killed sweep's lock is stale: taken over; its temporaries are removed
    assert f"took over the lock of process {proc.pid} on" in resumed.stderr
    assert f"removed {orphan}" in resumed.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["killed.zarr"]
    assert list(store.rglob("*.partial")) == []
    after = open_store(store)
    assert after["done"].values.all()
    # what was done before the kill was not computed again
    np.testing.assert_array_equal(
        after["computed_at"].values[done_before], stamps_before[done_before]
    )
    assert results_equal(open_store(reference_store), after) == []


def test_killed_worker_loses_no_run(
    tiny_sweep: Path, reference_store: Path, tmp_path: Path
) -> None:
    store = tmp_path / "worker.zarr"
    proc = _start(
        "sweep", str(tiny_sweep), "--out", str(store), "--workers", "2", "--block-size", "1"
    )
    _wait_done(store, 2, proc)
    workers = [
        p
        for p in psutil.Process(proc.pid).children(recursive=True)
        if "spawn_main" in " ".join(p.cmdline()) and "resource_tracker" not in " ".join(p.cmdline())
    ]
    assert workers, "no worker process found"
    workers[0].kill()
    _, errs = proc.communicate(timeout=180)
    assert proc.returncode == 0, errs
    ds = open_store(store)
    assert ds["done"].values.all()
    assert results_equal(open_store(reference_store), ds) == []


def test_failing_point_is_recorded_and_retried_alone(tmp_path: Path) -> None:
    sweep = tmp_path / "fail.yaml"
    sweep.write_text(
        f"base: {SMALL}\n"
        "overrides: [horizon_years=0.05, recording.interval_days=7]\n"
        "levers:\n  shocks.fab_quake.capacity_loss: [0.3, 1.5, 0.6]\n"
    )
    store = tmp_path / "fail.zarr"
    first = run_cli("sweep", str(sweep), "--out", str(store), "--block-size", "2", "-q")
    assert first.returncode == 1 and "1 runs failed" in first.stderr
    ds = open_store(store)
    assert ds["done"].values.all()
    assert ds["failed"].values[:, 0].tolist() == [False, True, False]
    assert "capacity_loss" in str(ds["error"].values[1, 0])
    stamps = ds["computed_at"].values.copy()
    status = run_cli("status", str(store))
    assert "2 done, 1 failed, 0 missing" in status.stdout
    # a plain resume has nothing to compute, but the store holds a failure: exit 1, say so
    plain = run_cli("sweep", "--resume", str(store), "-q")
    assert plain.returncode == 1 and "Traceback" not in plain.stderr
    assert "1 runs failed" in plain.stderr and f"ecosim status {store}" in plain.stderr
    again = run_cli("sweep", "--resume", str(store), "--retry-failed", "-q")
    assert again.returncode == 1
    after = open_store(store)["computed_at"].values
    assert after[0, 0] == stamps[0, 0] and after[2, 0] == stamps[2, 0]
    assert after[1, 0] > stamps[1, 0]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("base: nowhere.yaml\n", "base"),
        (
            f"base: {SMALL}\nuncertainties:\n"
            "  shocks.fab_quake.capacity_loss: {low: 0.9, high: 0.1}\n",
            "uncertainties.shocks.fab_quake.capacity_loss",
        ),
        (
            f"base: {SMALL}\nuncertainties:\n"
            "  regions.XX.demand.growth_per_year: {low: 0, high: 1}\n",
            "uncertainties.regions.XX.demand.growth_per_year",
        ),
        (
            f"base: {SMALL}\ndesign: {{kind: sobol, n: 6}}\n"
            "uncertainties: {seed: {low: 0, high: 1}}\n",
            "design",
        ),
        (f"base: {SMALL}\nreplicate: 2\n", "replicate"),
        (f"base: {SMALL}\noutputs: {{series: [nonsense]}}\n", "outputs.series[0]"),
    ],
)
def test_bad_sweep_files_exit_2_and_write_nothing(text: str, where: str, tmp_path: Path) -> None:
    sweep = tmp_path / "bad.yaml"
    sweep.write_text(text)
    store = tmp_path / "bad.zarr"
    from typer.testing import CliRunner

    from ecosim.cli import app

    result = CliRunner().invoke(app, ["sweep", str(sweep), "--out", str(store)])
    assert result.exit_code == 2, result.output
    assert str(sweep) in result.output and where in result.output
    assert not store.exists()


def test_status_export_analyze(reference_store: Path, tmp_path: Path) -> None:
    import pandas as pd

    out = run_cli("status", str(reference_store), check=True)
    assert "16 done, 0 failed, 0 missing" in out.stdout
    run_cli(
        "export",
        str(reference_store),
        "--format",
        "parquet",
        "--out",
        str(tmp_path / "m.parquet"),
        check=True,
    )
    table = pd.read_parquet(tmp_path / "m.parquet")
    assert {"run", "replicate", "metric", "region", "layer", "value", "status"} <= set(
        table.columns
    )
    assert set(table["run"]) == set(range(8))
    run_cli("analyze", str(reference_store), "--out", str(tmp_path / "an"), check=True)
    assert (tmp_path / "an" / "robustness.csv").exists()


def test_dry_run_writes_nothing(tiny_sweep: Path, tmp_path: Path) -> None:
    out = run_cli("sweep", str(tiny_sweep), "--out", str(tmp_path / "d.zarr"), "--dry-run")
    assert out.returncode == 0 and "8 runs x 2 replicates" in out.stdout
    assert not (tmp_path / "d.zarr").exists()
    _ = os
