"""Test session set-up: one Numba cache for every process of the session, warmed once.

Importing :mod:`ecosim.kernels` points ``NUMBA_CACHE_DIR`` at the hash-keyed cache and puts it
in ``os.environ``, so every CLI subprocess a test starts inherits it and loads compiled kernels
instead of compiling them again.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import ecosim.kernels

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
BASELINE = ROOT / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="session", autouse=True)
def numba_cache() -> Path:
    """The session's Numba cache, warmed by one short run before any test."""
    assert os.environ["NUMBA_CACHE_DIR"] == str(ecosim.kernels.CACHE_DIR)
    from ecosim import load_scenario, simulate

    simulate(load_scenario(SMALL, ["horizon_years=0.05"]))
    return ecosim.kernels.CACHE_DIR


@pytest.fixture(scope="session")
def small_run():  # type: ignore[no-untyped-def]
    """The small scenario run once for the whole session (read-only)."""
    from ecosim import load_scenario, simulate

    return simulate(load_scenario(SMALL))


def _mount(where: Path, options: str) -> Iterator[Path]:
    """A tmpfs at ``where``: the real thing, as root ignores file modes. Where the machine
    cannot mount, the test skips with the reason, except under ``CI=true``, where it fails."""
    where.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        reason = f"cannot mount a tmpfs here: {proc.stderr.strip() or proc.returncode}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 kB file system: too small for any result, store or table."""
    yield from _mount(tmp_path / "full", "size=64k")


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A read-only file system."""
    yield from _mount(tmp_path / "ro", "ro,size=1m")
