"""The simulations of a study, run through an executor of :mod:`ecosim.experiments.executors`.

A cell is one simulation (and its no-shock twin): a scenario at a ``(future, replicate)``
position. Its random streams are spawned from the scenario's seed by that pair alone
(:mod:`ecosim.core.rng`), so what a cell gives depends on nothing else — not the executor, the
worker, the number of workers or the order in which cells finish — and :func:`run_cells` hands
the results back in the order of the cells. A study on 1 process, 2 workers or SLURM jobs is
therefore the same study, bit for bit.

Each cell is reduced where it ran (``reduce``), so only what the study keeps travels back from a
worker: the whole dataset for replicates, a few numbers for a comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, TypeVar, cast

import xarray as xr

from ecosim.scenario.loader import LoadedScenario

if TYPE_CHECKING:
    from ecosim.engine.simulation import StopRequest
    from ecosim.experiments.executors import Executor

R = TypeVar("R")

#: Called with a label (``"<cell label> run"`` or ``... twin``) and the fraction of it done.
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class Cell:
    """One simulation of a study.

    Attributes
    ----------
    scenario
        The scenario (small and picklable: it travels to the worker).
    future, replicate
        Position whose streams the run draws from.
    label
        What progress reports call it.
    """

    scenario: LoadedScenario
    future: int = 0
    replicate: int = 0
    label: str = ""


def keep_dataset(ds: xr.Dataset) -> xr.Dataset:
    """The reduction that keeps the whole result of a cell."""
    return ds


def simulate_cell(
    cell: Cell,
    reduce: Callable[[xr.Dataset], R],
    progress: Progress | None = None,
    stop: StopRequest | None = None,
) -> R:
    """Simulate one cell and reduce its result (what a worker runs).

    Parameters
    ----------
    cell
        The cell.
    reduce
        Applied to the dataset of :func:`ecosim.simulate`; a module-level function (or a
        ``functools.partial`` of one) when the cell runs on another process.
    progress
        Called with ``"<label> run"`` / ``"<label> twin"`` (or just ``"run"`` / ``"twin"``
        without a label) and the fraction done.
    """
    from ecosim.api import simulate

    callback = None
    if progress is not None:
        report = progress

        def callback(what: str, fraction: float) -> None:
            report(f"{cell.label} {what}" if cell.label else what, fraction)

    ds = simulate(
        cell.scenario,
        future=cell.future,
        replicate=cell.replicate,
        progress=callback,
        stop=stop,
    )
    return reduce(ds)


def run_cells(
    cells: Sequence[Cell],
    reduce: Callable[[xr.Dataset], R],
    executor: Executor | None = None,
    *,
    progress: Progress | None = None,
    announce: Callable[[int], None] | None = None,
    stop: StopRequest | None = None,
) -> list[R]:
    """Simulate every cell on ``executor`` and return the reduced results in the cells' order.

    Parameters
    ----------
    cells
        The simulations.
    reduce
        What to keep of each result (see :func:`simulate_cell`).
    executor
        An entered executor; by default the cells run one after another in this process.
    progress
        Progress of each run: live in this process, reported complete as each cell finishes
        on a worker.
    announce
        Called with each cell's index once: before it runs in this process, or when it
        finishes on a worker.
    stop
        Asked after every world step of a cell that runs in this process; when it returns
        true the cell ends there with :class:`ecosim.errors.RunStopped` and no later cell
        starts (a cancel button). Only for an executor that runs in this process: a worker
        cannot ask it.

    Returns
    -------
    list
        ``reduce`` of each cell's dataset, in the order of ``cells``.

    Raises
    ------
    Exception
        The first error a simulation or a reduction raised.
    ValueError
        When ``stop`` is given with an executor that runs cells on workers.
    """
    from ecosim.experiments.executors import InProcess

    ex = executor if executor is not None else InProcess()
    if stop is not None and not ex.in_process:
        raise ValueError("a stop request is asked in this process: run the cells here")
    results: dict[int, R] = {}
    if ex.in_process:

        def one(i: int) -> R:
            if announce is not None:
                announce(i)
            return simulate_cell(cells[i], reduce, progress, stop)

        for i, value in ex.map(one, range(len(cells))):
            results[i] = value
    else:
        for i, (outcome, error) in ex.map(partial(_cell_on_worker, reduce=reduce), cells):
            if error is not None:
                raise error
            if announce is not None:
                announce(i)
            if progress is not None:
                _report_done(cells[i], progress)
            # without an error the value is the reduction's, whatever it is (None too)
            results[i] = cast(R, outcome)
    return [results[i] for i in range(len(cells))]


def _cell_on_worker(
    cell: Cell, reduce: Callable[[xr.Dataset], R]
) -> tuple[R | None, Exception | None]:
    """:func:`simulate_cell` on a worker, an error handed back as a value.

    A simulation that raises raises again on every try, so Dask must not retry it (its retries
    are for workers that die) nor log it as a crash: the driver raises it instead, as if the
    cell had run in this process.
    """
    try:
        return simulate_cell(cell, reduce), None
    except Exception as exc:
        return None, exc


def _report_done(cell: Cell, progress: Progress) -> None:
    whats = ["run", "twin"] if cell.scenario.scenario.recording.twin else ["run"]
    for what in whats:
        progress(f"{cell.label} {what}" if cell.label else what, 1.0)
