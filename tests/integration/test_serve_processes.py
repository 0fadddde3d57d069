"""The page's runs in processes forked from a fork server: the same result, progress, stops."""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from pathlib import Path

import pytest

from ecosim.core import forked
from ecosim.errors import RunStopped
from ecosim.scenario.loader import load_scenario
from ecosim.serve import processes
from ecosim.studies.replicates import run_one
from ecosim.testing import assert_runs_identical

SMALL = Path(__file__).resolve().parents[1] / "scenarios" / "small.yaml"

pytestmark = pytest.mark.skipif(
    not processes.available(), reason="this system has no fork server (no fork)"
)


def test_a_run_apart_is_the_run_in_this_process_and_forks_its_twin() -> None:
    loaded = load_scenario(SMALL, ["horizon_years=0.5"])
    here = run_one(loaded)
    labels: list[str] = []
    threads: set[int] = set()

    def progress(label: str, fraction: float) -> None:
        labels.append(label)
        threads.add(threading.get_ident())

    # from a thread, as the page's jobs call it: a fork here would be unsafe, the server's is not
    result: list[object] = []
    caller = threading.Thread(
        target=lambda: result.append(
            processes.run_apart(loaded, 1, progress, lambda: False, poll_seconds=0.01)
        )
    )
    caller.start()
    caller.join()
    apart = result[0]
    assert_runs_identical(apart, here)  # type: ignore[arg-type]
    # the reports reach the caller's thread; the twin's come while the run goes on, so the
    # child forked its twin beside it (it is a process of one thread)
    assert threads == {caller.ident}
    assert {"run", "twin"} == set(labels)
    assert labels.index("twin") < len(labels) - labels[::-1].index("run") - 1


def test_a_stop_request_stops_the_run_at_a_day_before_its_horizon() -> None:
    loaded = load_scenario(SMALL, ["horizon_years=3"])
    reports: list[float] = []
    # asked once the run itself has reported a day past its start (not its twin, which
    # runs beside it and may be ahead): it stops at a later step
    with pytest.raises(RunStopped) as stopped:
        processes.run_apart(
            loaded,
            1,
            lambda label, f: reports.append(f) if label == "run" else None,
            lambda: any(f > 0.0 for f in reports),
            poll_seconds=0.01,
        )
    assert 0.0 < stopped.value.day < loaded.scenario.horizon_days
    assert not [p for p in mp.active_children() if p.name == "ecosim-page-run"]


def test_a_run_whose_process_dies_fails_with_the_reason() -> None:
    loaded = load_scenario(SMALL, ["horizon_years=3"])

    def kill_it(label: str, fraction: float) -> None:
        for child in mp.active_children():
            if child.name == "ecosim-page-run" and child.pid is not None:
                os.kill(child.pid, 9)

    with pytest.raises(processes.RunFailed, match=r"ended without a result \(exit code -9\)"):
        processes.run_apart(loaded, 1, kill_it, lambda: False, poll_seconds=0.01)


def test_an_exception_that_does_not_pickle_whole_is_told_by_its_name() -> None:
    class Odd(Exception):
        def __init__(self, a: int, b: int) -> None:
            super().__init__(f"{a} and {b}")

    failed = forked.portable(Odd(1, 2), processes.RunFailed)
    assert isinstance(failed, processes.RunFailed) and str(failed) == "Odd: 1 and 2"
    plain = ValueError("bad value")
    assert forked.portable(plain, processes.RunFailed) is plain
