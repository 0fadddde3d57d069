"""Test session set-up: one Numba cache for every process of the session, warmed once.

Importing :mod:`ecosim.kernels` points ``NUMBA_CACHE_DIR`` at the hash-keyed cache and puts it
in ``os.environ``, so every CLI subprocess a test starts inherits it and loads compiled kernels
instead of compiling them again.
"""

from __future__ import annotations

import os
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
