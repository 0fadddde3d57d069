"""Fixtures of the sweep tests: a tiny sweep, its in-process reference store, a real SLURM.

The SLURM fixture starts a single-node cluster without systemd: munged as the munge user,
then slurmctld and slurmd with a minimal slurm.conf in a temporary directory, and stops them
afterwards. Without SLURM installed (``.ci/install-slurm.sh``) or when it cannot start, the
SLURM tests skip, except under ``CI=true`` where they fail.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
ECOSIM = [sys.executable, "-m", "ecosim"]


def tiny_sweep_text(extra: str = "") -> str:
    """A sweep of 4 futures x 2 lever combinations x 2 replicates of a 5-week small world."""
    return (
        textwrap.dedent(
            f"""\
        # tiny sweep for tests
        base: {SMALL}
        overrides: [horizon_years=0.1, recording.interval_days=7]
        uncertainties:
          shocks.fab_quake.capacity_loss: {{low: 0.2, high: 0.9}}
          regions.US.demand.growth_per_year: {{dist: normal, mean: 0.35, sd: 0.05}}
        levers:
          regions.TW.levers.build_share: [0.3, 0.7]
        design: {{kind: lhs, n: 4, seed: 3}}
        replicates: 2
        outputs: {{series: [service], coarsen_days: 14}}
        entropy: 11
        """
        )
        + extra
    )


def env() -> dict[str, str]:
    """The test session's environment (with the warmed NUMBA_CACHE_DIR) for subprocesses."""
    out = dict(os.environ)
    out["PYTHONPATH"] = str(ROOT) + os.pathsep + out.get("PYTHONPATH", "")
    return out


def run_cli(
    *args: str, timeout: float = 240, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ecosim ARGS`` with the session's environment."""
    proc = subprocess.run(
        [*ECOSIM, *args], env=env(), capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def tiny_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny sweep file."""
    path = tmp_path_factory.mktemp("sweep") / "tiny.yaml"
    path.write_text(tiny_sweep_text())
    return path


@pytest.fixture(scope="session")
def reference_store(tiny_sweep: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny sweep run in this process, block size 2: what every other way must equal."""
    from typer.testing import CliRunner

    from ecosim.cli import app

    store = tmp_path_factory.mktemp("ref") / "ref.zarr"
    result = CliRunner().invoke(
        app, ["sweep", str(tiny_sweep), "--out", str(store), "--block-size", "2", "-q"]
    )
    assert result.exit_code == 0, result.output
    return store


# --------------------------------------------------------------------------- SLURM


def _fail_or_skip(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"SLURM unavailable under CI=true: {reason}")
    pytest.skip(reason)


def _start_munge() -> subprocess.Popen[bytes] | int | None:
    """Start munged unless it runs; returns its pid if this fixture started it."""
    key = Path("/etc/munge/munge.key")
    if subprocess.run(["munge", "-n"], capture_output=True).returncode == 0:
        return None
    if not key.exists():
        subprocess.run(["mungekey", "--create", "--keyfile", str(key)], check=True)
    shutil.chown(key, "munge", "munge")
    key.chmod(0o400)
    for folder in ("/run/munge", "/var/log/munge", "/var/lib/munge"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.chown(folder, "munge", "munge")
    subprocess.run(["runuser", "-u", "munge", "--", "munged", "--force"], check=True)
    for _ in range(50):
        if subprocess.run(["munge", "-n"], capture_output=True).returncode == 0:
            pid_file = Path("/run/munge/munged.pid")
            return int(pid_file.read_text().strip()) if pid_file.exists() else None
        time.sleep(0.1)
    raise RuntimeError("munged did not start")


def _memory_mb() -> int:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    return 4096


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A running single-node SLURM; yields the environment (with SLURM_CONF) to submit from."""
    missing = [p for p in ("slurmctld", "slurmd", "sbatch", "munged") if not shutil.which(p)]
    if missing:
        _fail_or_skip(f"SLURM is not installed (missing {missing}; run .ci/install-slurm.sh)")
    if os.geteuid() != 0:
        _fail_or_skip("starting slurmd needs root")
    tmp = tmp_path_factory.mktemp("slurm")
    host = socket.gethostname().split(".")[0]
    cpus = os.cpu_count() or 1
    conf = tmp / "slurm.conf"
    for sub in ("state", "spool"):
        (tmp / sub).mkdir()
    conf.write_text(
        textwrap.dedent(
            f"""\
            ClusterName=ecosimtest
            SlurmctldHost={host}
            SlurmUser=root
            SlurmdUser=root
            SlurmctldPort={_free_port()}
            SlurmdPort={_free_port()}
            AuthType=auth/munge
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            SelectType=select/cons_tres
            SelectTypeParameters=CR_Core
            AccountingStorageType=accounting_storage/none
            JobAcctGatherType=jobacct_gather/none
            JobCompType=jobcomp/none
            SchedulerType=sched/backfill
            MpiDefault=none
            ReturnToService=2
            SlurmctldPidFile={tmp}/slurmctld.pid
            SlurmdPidFile={tmp}/slurmd.pid
            StateSaveLocation={tmp}/state
            SlurmdSpoolDir={tmp}/spool
            SlurmctldLogFile={tmp}/slurmctld.log
            SlurmdLogFile={tmp}/slurmd.log
            NodeName={host} CPUs={cpus} RealMemory={max(_memory_mb() - 1024, 512)} State=UNKNOWN
            PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
            """
        )
    )
    environ = env()
    environ["SLURM_CONF"] = str(conf)
    started_munge = None
    try:
        started_munge = _start_munge()
        subprocess.run(["slurmctld", "-c"], env=environ, check=True, timeout=30)
        subprocess.run(["slurmd", "-c"], env=environ, check=True, timeout=30)
        deadline = time.time() + 60
        state = ""
        while time.time() < deadline:
            out = subprocess.run(
                ["sinfo", "-h", "-o", "%T"], env=environ, capture_output=True, text=True
            )
            state = out.stdout.strip()
            if state == "idle":
                break
            time.sleep(0.5)
        else:
            raise RuntimeError(f"node not idle after 60 s (state {state!r})")
    except (subprocess.SubprocessError, OSError, RuntimeError) as exc:
        _stop_slurm(tmp, environ)
        log = (tmp / "slurmctld.log").read_text()[-800:] if (tmp / "slurmctld.log").exists() else ""
        _fail_or_skip(f"SLURM could not start: {exc}\n{log}")
    yield environ
    _stop_slurm(tmp, environ)
    if isinstance(started_munge, int):
        os.kill(started_munge, signal.SIGTERM)


def _stop_slurm(tmp: Path, environ: dict[str, str]) -> None:
    subprocess.run(["scontrol", "shutdown"], env=environ, capture_output=True, timeout=30)
    for name in ("slurmd.pid", "slurmctld.pid"):
        pid_file = tmp / name
        if pid_file.exists():
            try:
                pid = int(pid_file.read_text().strip())
                for _ in range(50):
                    os.kill(pid, 0)
                    time.sleep(0.1)
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
