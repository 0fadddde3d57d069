"""Sweeps on a real single-node SLURM: a job array of shards, and dask-jobqueue workers."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from ecosim.experiments.store import open_store, results_equal
from tests.experiments.conftest import ROOT, run_cli

SCRIPT = ROOT / "docs" / "sweep_array.sbatch"


def test_job_array_of_shards_fills_the_store(
    slurm_cluster: dict[str, str], tiny_sweep: Path, reference_store: Path, tmp_path: Path
) -> None:
    store = tmp_path / "array.zarr"
    run_cli(
        "sweep",
        str(tiny_sweep),
        "--out",
        str(store),
        "--init-only",
        "--block-size",
        "2",
        check=True,
    )
    environ = {
        **slurm_cluster,
        "SWEEP": str(tiny_sweep),
        "STORE": str(store),
        "ECOSIM": f"{sys.executable} -m ecosim",
    }
    # poll squeue rather than sbatch --wait, whose back-off adds tens of seconds
    job = (
        subprocess.run(
            ["sbatch", "--parsable", "--array=0-1", f"--chdir={tmp_path}", str(SCRIPT)],
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        .stdout.strip()
        .split(";")[0]
    )
    deadline = time.time() + 240
    while time.time() < deadline:
        queue = subprocess.run(
            ["squeue", "-h", "-j", job], env=environ, capture_output=True, text=True
        )
        if not queue.stdout.strip():
            break
        time.sleep(0.3)
    logs = "".join(p.read_text() for p in tmp_path.glob("ecosim-sweep-*.out"))
    status = run_cli("status", str(store), check=True)
    assert "16 done, 0 failed, 0 missing" in status.stdout, logs
    assert results_equal(open_store(reference_store), open_store(store)) == []


def test_dask_jobqueue_workers_fill_the_store(
    slurm_cluster: dict[str, str], tiny_sweep: Path, reference_store: Path, tmp_path: Path
) -> None:
    store = tmp_path / "jobqueue.zarr"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ecosim",
            "sweep",
            str(tiny_sweep),
            "--out",
            str(store),
            "--slurm",
            "--jobs",
            "1",
            "--cores",
            "2",
            "--memory",
            "2GB",
            "--walltime",
            "00:10:00",
            "--interface",
            "lo",
            "--block-size",
            "2",
            "-q",
        ],
        env=slurm_cluster,
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert results_equal(open_store(reference_store), open_store(store)) == []
