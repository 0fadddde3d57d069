"""Faults around sweep stores and the commands that write: each gets one line and an exit code.

A read-only folder is a read-only tmpfs mount (root ignores file modes) and a full disk a
small tmpfs. Where the machine cannot mount, those tests skip with the reason, except under
``CI=true``, where they fail. Writers are real processes, killed with SIGKILL.
"""

from __future__ import annotations

import ast
import os
import shlex
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import xarray as xr

from ecosim.experiments.store import open_store, results_equal
from tests.experiments.conftest import ROOT, SMALL, env, run_cli


@pytest.fixture(scope="module")
def result_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short run's result, for plot and report."""
    import ecosim
    from ecosim.observe.dataset import write_netcdf

    path = tmp_path_factory.mktemp("result") / "run.nc"
    write_netcdf(ecosim.simulate(ecosim.load_scenario(SMALL, ["horizon_years=0.1"])), path)
    return path


def _clean_exit_1(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in proc.stderr, proc.stderr


def _holder(store: Path, start: int, stop: int) -> subprocess.Popen[str]:
    """A real process that holds the lock of runs ``start:stop`` of ``store`` until killed."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from ecosim.experiments.locks import acquire\n"
        f"lock = acquire(Path({str(store)!r}), {start}, {stop})\n"
        "print('ready', flush=True)\n"
        "time.sleep(300)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], env=env(), cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".lock" in p.name or ".tmp" in p.name)


# --------------------------------------------------------------------------- output faults


def test_every_writing_command_refuses_a_read_only_place_in_one_line(
    read_only: Path, tiny_sweep: Path, reference_store: Path, result_file: Path
) -> None:
    calls = [
        ("sweep", str(tiny_sweep), "--out", str(read_only / "s.zarr"), "-q"),
        ("export", str(reference_store), "--out", str(read_only / "m.parquet")),
        ("analyze", str(reference_store), "--out", str(read_only / "an")),
        ("plot", str(result_file), "--out", str(read_only / "fig")),
        ("report", str(result_file), "--out", str(read_only / "r.html")),
    ]
    for args in calls:
        _clean_exit_1(run_cli(*args), "cannot write", str(read_only), "Read-only file system")
    assert list(read_only.iterdir()) == []


def test_a_place_nobody_can_write_is_refused_before_any_work(
    tiny_sweep: Path, reference_store: Path
) -> None:
    _clean_exit_1(run_cli("sweep", str(tiny_sweep), "--out", "/proc/x.zarr", "-q"), "/proc/x.zarr")
    _clean_exit_1(
        run_cli("export", str(reference_store), "--out", "/proc/x.csv", "--format", "csv")
    )


def test_a_full_disk_exits_1_and_leaves_no_temporary(
    full_disk: Path, tiny_sweep: Path, reference_store: Path, result_file: Path
) -> None:
    sweep = run_cli("sweep", str(tiny_sweep), "--out", str(full_disk / "s.zarr"), "-q")
    _clean_exit_1(sweep, "cannot write", "No space left on device")
    assert _leftovers(full_disk) == []
    # what the store's template left free is filled, so the smallest table does not fit
    with open(full_disk / "filler", "wb", buffering=0) as fh, pytest.raises(OSError):
        for _ in range(64):
            fh.write(b"x" * 4096)
            os.fsync(fh.fileno())
    for args in [
        ("export", str(reference_store), "--out", str(full_disk / "m.csv"), "--format", "csv"),
        ("analyze", str(reference_store), "--out", str(full_disk / "an")),
        ("plot", str(result_file), "--out", str(full_disk / "fig")),
    ]:
        _clean_exit_1(run_cli(*args), "No space left on device")
        assert not (full_disk / "m.csv").exists() and not (full_disk / "an").exists()
        assert not (full_disk / "fig").exists()
    assert _leftovers(full_disk) == []


# --------------------------------------------------------------------------- stores


def test_a_store_opens_consolidated_without_warnings(reference_store: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = xr.open_zarr(reference_store)
        assert bool(ds["done"].values.all())


def test_a_second_writer_is_refused_naming_the_holder_and_shards_share_a_store(
    tiny_sweep: Path, reference_store: Path, tmp_path: Path
) -> None:
    store = tmp_path / "two.zarr"
    run_cli(
        "sweep", str(tiny_sweep), "--out", str(store), "--block-size", "2", "--init-only",
        check=True,
    )  # fmt: skip
    holder = _holder(store, 0, 4)  # what shard 0/2 of the four blocks would hold
    try:
        for args in [("--resume", str(store)), ("--resume", str(store), "--shard", "0/2")]:
            refused = run_cli("sweep", *args, "-q")
            _clean_exit_1(refused, f"process {holder.pid} on", socket.gethostname().split(".")[0])
        # the other shard owns other runs, and runs beside the holder
        run_cli("sweep", "--resume", str(store), "--shard", "1/2", "-q", check=True)
    finally:
        holder.kill()
        holder.wait()
    # the holder was killed: its lock is stale, taken over by the next writer
    again = run_cli("sweep", "--resume", str(store), "-q", check=True)
    assert f"the lock of process {holder.pid} on" in again.stderr
    assert "not running" in again.stderr
    assert results_equal(open_store(reference_store), open_store(store)) == []
    assert _leftovers(tmp_path) == []


# --------------------------------------------------------------------------- Dask


def test_a_local_cluster_listens_on_loopback_with_tls_and_serves_no_pages() -> None:
    import urllib.error
    import urllib.request

    import psutil
    from distributed import Client

    from ecosim.experiments.executors import local_cluster

    client, cluster, _ = local_cluster(1)()
    try:
        assert cluster.scheduler_address.startswith("tls://127.0.0.1:")
        assert client.submit(sum, [1, 2]).result() == 3
        me = psutil.Process()
        listening = [
            c.laddr
            for p in [me, *me.children(recursive=True)]
            for c in p.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN
        ]
        assert listening and {a.ip for a in listening} == {"127.0.0.1"}
        port = cluster.scheduler.http_server.port
        with pytest.raises(urllib.error.HTTPError) as page:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10)
        assert page.value.code == 404
        # a client without the cluster's credentials cannot connect
        with pytest.raises((OSError, TypeError)):
            # not the default client: a failed one would stay the default of this process
            Client(cluster.scheduler_address, timeout="3s", set_as_default=False)
        # the workers run without Dask's profiler, with a slow tick and slow monitors: each
        # takes the interpreter lock from the simulation they run
        (settings,) = client.run(_worker_settings).values()
        # glibc hands freed memory back as in a plain process (Dask's nannies set 64 kB)
        assert settings == (False, "1s", "1s", "5s", "1", None)
    finally:
        client.close()
        cluster.close()


def _worker_settings() -> tuple[object, object, object, object, str | None, str | None]:
    import os

    import dask

    return (
        dask.config.get("distributed.worker.profile.enabled"),
        dask.config.get("distributed.admin.tick.interval"),
        dask.config.get("distributed.worker.memory.monitor-interval"),
        dask.config.get("distributed.admin.system-monitor.interval"),
        os.environ.get("NUMBA_NUM_THREADS"),
        os.environ.get("MALLOC_TRIM_THRESHOLD_"),
    )


def test_a_job_scripts_workers_get_the_same_settings_from_their_environment() -> None:
    import dask.config

    from ecosim.experiments.executors import QUIET_WORKERS, worker_env

    env = worker_env()
    for key, (value, name, _) in QUIET_WORKERS.items():
        # what a worker started by a job script reads from its environment
        parsed = dask.config.collect_env({name: env[name]})
        # as Dask reads a key: hyphens and underscores alike
        assert dask.config.get(key, config=parsed) == value


def test_a_job_script_s_nanny_starts_its_workers_without_memory_trimming(tmp_path: Path) -> None:
    """The job script's first lines, run by a shell as SLURM runs them: the nanny the script
    starts lists the variables Dask sets before a worker starts, without glibc's trimming."""
    from ecosim.experiments.executors import job_prologue

    # what a nanny sets in the environment of each worker it starts (Dask's own reading)
    probe = (
        "from distributed.nanny import _get_env_variables\n"
        "print(sorted(_get_env_variables('distributed.nanny.pre-spawn-environ')))\n"
    )
    script = tmp_path / "job.sh"
    lines = [*job_prologue(), f'exec {shlex.quote(sys.executable)} -c "$PROBE"']
    script.write_text("\n".join(lines))
    base = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    out = subprocess.run(
        ["bash", str(script)], env={**base, "PROBE": probe}, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    listed = ast.literal_eval(out.stdout.strip())
    assert "MALLOC_TRIM_THRESHOLD_" not in listed
    # the rest of Dask's list stays
    assert "OMP_NUM_THREADS" in listed
