"""Writing results where it cannot be done: a clear error, nothing left behind.

A read-only folder is a read-only tmpfs mount (root ignores file modes) and a full disk a
small tmpfs. Where the machine cannot mount, these tests skip with the reason, except under
``CI=true``, where they fail.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr

import ecosim
from ecosim.errors import OutputError
from ecosim.observe.dataset import write_netcdf

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"


@pytest.fixture(scope="module")
def result() -> xr.Dataset:
    """A short run: a few hundred kilobytes of NetCDF."""
    return ecosim.simulate(ecosim.load_scenario(SMALL, ["horizon_years=0.25"]))


def test_a_full_disk_is_an_output_error_and_leaves_nothing(
    result: xr.Dataset, full_disk: Path
) -> None:
    target = full_disk / "run.nc"
    with pytest.raises(OutputError, match="No space left on device") as caught:
        write_netcdf(result, target)
    assert caught.value.path == str(target)
    assert list(full_disk.iterdir()) == []


def test_a_read_only_folder_is_an_output_error_and_leaves_nothing(
    result: xr.Dataset, read_only: Path
) -> None:
    with pytest.raises(OutputError, match="Read-only file system"):
        write_netcdf(result, read_only / "sub" / "run.nc")
    assert list(read_only.iterdir()) == []


def test_a_killed_writer_leaves_the_old_file_and_its_temporary_is_cleaned_up(
    result: xr.Dataset, tmp_path: Path
) -> None:
    target = tmp_path / "run.nc"
    write_netcdf(result, target)
    before = xr.open_dataset(target, engine="h5netcdf").load()
    # a writer that rewrites the file in a loop, killed at some point of a write
    script = (
        "import sys, xarray as xr\n"
        "from ecosim.observe.dataset import write_netcdf\n"
        f"ds = xr.open_dataset({str(target)!r}, engine='h5netcdf').load()\n"
        "big = xr.concat([ds] * 20, dim='copy')\n"
        "print('ready', flush=True)\n"
        f"while True: write_netcdf(big, {str(target)!r})\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # whatever the moment of the kill, the file is whole: the old one or a complete new one
    after = xr.open_dataset(target, engine="h5netcdf").load()
    assert set(after.data_vars) == set(before.data_vars)
    write_netcdf(result, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.nc"]


def test_a_temporary_of_a_dead_writer_is_removed_and_a_live_ones_kept(
    result: xr.Dataset, tmp_path: Path
) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    stale = tmp_path / f".run.nc.{dead.stdout.strip()}.abcd.tmp"
    live = tmp_path / f".run.nc.{os.getpid()}.ef01.tmp"
    stale.write_bytes(b"half")
    live.write_bytes(b"busy")
    write_netcdf(result, tmp_path / "run.nc")
    assert not stale.exists() and live.exists()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecosim", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def test_run_to_a_place_nobody_can_write_is_refused_before_it_runs(tmp_path: Path) -> None:
    proc = _cli("run", str(SMALL), "--set", "horizon_years=0.05", "--out", "/proc/x.nc", "-q")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "cannot write /proc/x.nc" in proc.stderr and "ok" not in proc.stdout


def test_run_onto_a_full_disk_exits_1_with_a_message_and_leaves_nothing(
    full_disk: Path,
) -> None:
    proc = _cli(
        "run", str(SMALL), "--set", "horizon_years=0.05", "--out", str(full_disk / "run.nc"), "-q"
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "No space left on device" in proc.stderr
    assert list(full_disk.iterdir()) == []


ROADMAP = [str(ROOT / "scenarios" / "roadmap" / f) for f in ("0_today.yaml", "1_build.yaml")]


def test_compare_to_a_place_nobody_can_write_is_refused_before_it_runs() -> None:
    proc = _cli("compare", *ROADMAP, "--set", "horizon_years=0.05", "--out", "/proc/cmp", "-q")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "cannot write /proc/cmp" in proc.stderr and "ok" not in proc.stdout


def test_compare_onto_a_full_disk_exits_1_with_a_message(full_disk: Path) -> None:
    out = full_disk / "cmp"
    proc = _cli("compare", *ROADMAP, "--set", "horizon_years=0.05", "--out", str(out), "-q")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "No space left on device" in proc.stderr
    assert "cannot write" in proc.stderr and "ok" not in proc.stdout


def test_a_date_after_the_horizon_is_a_warning_on_the_command_line() -> None:
    proc = _cli("validate", str(SMALL), "--set", "horizon_years=0.05")
    assert proc.returncode == 0
    assert "warning: shock 'fab_quake' is dated 2025-04-01, after the horizon" in proc.stderr
