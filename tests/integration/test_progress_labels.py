"""Progress names what is running and moves with simulated time.

The callbacks of a replicated run and of a comparison are captured as the command line's bar
receives them, and replayed into the bar's state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import pytest

from ecosim.cli.app import OverallProgress, describe
from ecosim.core import forked
from ecosim.core.clock import step_grid
from ecosim.scenario.loader import LoadedScenario, load_scenario
from ecosim.studies.compare import Portfolio, compare
from ecosim.studies.replicates import run_replicates
from tests.conftest import SMALL

#: 36 days: three progress reports per run (days 0, 30 and the last step).
SHORT = ["horizon_years=0.1"]


@pytest.fixture(autouse=True)
def twin_after_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each twin after its run, whatever the machine: the order of the reports these tests
    read is then fixed (a twin in a process of its own reports as it goes)."""
    monkeypatch.setattr(forked, "can_fork", lambda: False)


@pytest.fixture(scope="module")
def short() -> LoadedScenario:
    return load_scenario(SMALL, SHORT)


def capture() -> tuple[list[tuple[str, float]], Callable[[str, float], None]]:
    calls: list[tuple[str, float]] = []

    def progress(label: str, fraction: float) -> None:
        calls.append((label, fraction))

    return calls, progress


def by_label(calls: list[tuple[str, float]]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = defaultdict(list)
    for label, fraction in calls:
        out[label].append(fraction)
    return dict(out)


def test_a_replicated_run_names_each_replicate_and_its_twin(short: LoadedScenario) -> None:
    calls, progress = capture()
    run_replicates(short, 2, progress=progress)
    fractions = by_label(calls)
    assert list(fractions) == [
        "replicate 1/2 run",
        "replicate 1/2 twin",
        "replicate 2/2 run",
        "replicate 2/2 twin",
    ]
    steps = step_grid(short.scenario.horizon_days, short.scenario.step_days)
    # the share of simulated time: day 0, day 30 of the run's last step, the end
    expected = [0.0, float(steps[30] / steps[-1]), 1.0]
    for label, values in fractions.items():
        assert values == pytest.approx(expected), label

    state = OverallProgress(runs=4)
    seen = []
    for label, fraction in calls:
        state.update(label, fraction)
        seen.append((state.description, round(state.fraction, 6)))
    assert seen[0] == ("replicate 1/2: run", 0.0)
    assert ("replicate 1/2: no-shock twin", round((1 + expected[1]) / 4, 6)) in seen
    assert ("replicate 1/2: metrics", 0.5) in seen
    assert seen[-1] == ("replicate 2/2: metrics", 1.0)
    assert [f for _, f in seen] == sorted(f for _, f in seen)


def test_a_comparison_names_each_portfolio_and_replicate(short: LoadedScenario) -> None:
    other = load_scenario(SMALL, [*SHORT, "regions.US.levers.build_share=0.6"])
    calls, progress = capture()
    compare(
        [Portfolio("buy", short), Portfolio("build", other)],
        replicates=1,
        horizons=[],
        progress=progress,
    )
    assert list(by_label(calls)) == [
        "portfolio buy, replicate 1/1 run",
        "portfolio buy, replicate 1/1 twin",
        "portfolio build, replicate 1/1 run",
        "portfolio build, replicate 1/1 twin",
    ]
    assert describe(calls[-1][0]) == "portfolio build, replicate 1/1: no-shock twin"


def test_a_single_run_reads_run_then_no_shock_twin() -> None:
    assert describe("run") == "run"
    assert describe("twin") == "no-shock twin"
    state = OverallProgress(runs=2)
    state.update("run", 0.5)
    assert (state.description, state.fraction) == ("run", 0.25)
    state.update("run", 1.0)
    assert state.description == "run"
    state.update("twin", 0.5)
    assert (state.description, state.fraction) == ("no-shock twin", 0.75)
    state.update("twin", 1.0)
    assert (state.description, state.fraction) == ("metrics", 1.0)


def test_a_run_and_its_twin_side_by_side_read_as_both() -> None:
    state = OverallProgress(runs=4)
    state.update("replicate 1/2 run", 0.0)
    assert state.description == "replicate 1/2: run"
    state.update("replicate 1/2 twin", 0.25)
    assert state.description == "replicate 1/2: run and no-shock twin"
    state.update("replicate 1/2 run", 0.5)
    assert state.description == "replicate 1/2: run and no-shock twin"
    # the twin is done first: what still runs is the run
    state.update("replicate 1/2 twin", 1.0)
    assert state.description == "replicate 1/2: run"
    state.update("replicate 1/2 run", 1.0)
    assert (state.description, state.fraction) == ("replicate 1/2: metrics", 0.5)
    state.update("replicate 2/2 run", 0.0)
    assert state.description == "replicate 2/2: run"
