"""The no-shock twin run in a child process beside the run: the same result, stoppable."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import xarray as xr

import ecosim
from ecosim import api
from ecosim.core import forked
from ecosim.errors import RunStopped
from ecosim.scenario.models import Scenario
from ecosim.testing import assert_runs_identical
from ecosim.world.state import World

SMALL = Path(__file__).resolve().parents[1] / "scenarios" / "small.yaml"

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="this system cannot fork")


def test_the_twin_apart_gives_the_same_result_to_the_bit() -> None:
    loaded = ecosim.load_scenario(SMALL, ["horizon_years=0.5"])
    after = ecosim.simulate(loaded, twin_apart=False)
    labels: list[str] = []
    beside = ecosim.simulate(loaded, twin_apart=True, progress=lambda w, f: labels.append(w))
    assert_runs_identical(beside, after)
    # the twin's progress reaches the caller while the run goes on, not only after it
    assert labels.index("twin") < len(labels) - labels[::-1].index("run") - 1
    assert {"run", "twin"} == set(labels)


def test_a_run_without_a_twin_forks_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(fn: object) -> None:
        raise AssertionError("forked without a twin")

    monkeypatch.setattr(forked, "start", refuse)
    ecosim.simulate(
        ecosim.load_scenario(SMALL, ["horizon_years=0.05", "recording.twin=false"]),
        twin_apart=True,
    )


def _stuck_twin(spec: Scenario, world: World, send: forked.Send) -> None:
    send(0.5)
    while True:
        time.sleep(0.01)


def test_a_stop_while_the_twin_runs_kills_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "_twin_in_child", _stuck_twin)
    loaded = ecosim.load_scenario(SMALL, ["horizon_years=0.1"])
    done: list[float] = []
    with pytest.raises(RunStopped) as info:
        ecosim.simulate(
            loaded,
            twin_apart=True,
            progress=lambda w, f: done.append(f) if w == "run" else None,
            stop=lambda: bool(done) and done[-1] >= 1.0,
        )
    # the day the twin last reported: half of the horizon
    assert info.value.day == pytest.approx(0.5 * loaded.scenario.horizon_days)


def _failing_twin(spec: Scenario, world: World, send: forked.Send) -> xr.Dataset:
    raise ValueError("the twin failed")


def test_the_twins_failure_is_the_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "_twin_in_child", _failing_twin)
    with pytest.raises(ValueError, match="the twin failed"):
        ecosim.simulate(ecosim.load_scenario(SMALL, ["horizon_years=0.05"]), twin_apart=True)
