"""Replicates: the same scenario point under other seeds, stacked and summarised.

Replicate ``k`` of an N-replicate run is exactly the single run with ``replicate=k`` (its streams
are spawned from the scenario's seed by ``(future, k)``), so replicates differ only by the
stochastic variability of the model under fixed assumptions — never by their order, their
number, or the executor and workers they ran on.

:func:`run_replicates` stacks the runs along a ``replicate`` dimension and adds the summary of
:func:`ecosim.observe.summary.summarize` (quantiles, ``P(TTS < TTR)``, the bottleneck over
replicates).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import xarray as xr

from ecosim.observe.summary import stack_replicates, summarize
from ecosim.scenario.loader import LoadedScenario
from ecosim.studies.cells import Cell, Progress, keep_dataset, run_cells

if TYPE_CHECKING:
    from ecosim.engine.simulation import StopRequest
    from ecosim.experiments.executors import Executor


def run_replicates(
    loaded: LoadedScenario,
    n: int,
    *,
    future: int = 0,
    progress: Progress | None = None,
    executor: Executor | None = None,
    stop: StopRequest | None = None,
) -> xr.Dataset:
    """Run replicates ``0 .. n-1`` of a scenario and stack them along ``replicate``.

    Parameters
    ----------
    loaded
        The scenario.
    n
        Number of replicates (at least 1).
    future
        Position of the point in a sweep (0 for a plain run).
    progress
        Called with a label (``"replicate k/n run"`` or ``... twin``) and the fraction of that
        run's simulated time done.
    executor
        An entered executor of :mod:`ecosim.experiments.executors` to run the replicates on;
        by default one after another in this process. The result does not depend on it.
    stop
        Asked after every world step when the replicates run in this process; when it returns
        true :class:`ecosim.errors.RunStopped` is raised (see :func:`run_cells`).

    Returns
    -------
    xarray.Dataset
        Every variable of :func:`ecosim.simulate` with a leading ``replicate`` dimension, and
        the summary of :func:`ecosim.observe.summary.summarize`.

    Examples
    --------
    >>> import ecosim
    >>> from ecosim.experiments.executors import DaskExecutor, local_cluster
    >>> loaded = ecosim.load_scenario("scenarios/baseline.yaml")  # doctest: +SKIP
    >>> with DaskExecutor(local_cluster(2)) as ex:  # doctest: +SKIP
    ...     reps = ecosim.run_replicates(loaded, 10, executor=ex)
    """
    if n < 1:
        raise ValueError(f"replicates must be at least 1, got {n}")
    cells = [Cell(loaded, future, k, f"replicate {k + 1}/{n}") for k in range(n)]
    stacked = stack_replicates(
        run_cells(cells, keep_dataset, executor, progress=progress, stop=stop)
    )
    return stacked.merge(summarize(stacked), combine_attrs="override")


def run_one(
    loaded: LoadedScenario,
    *,
    future: int = 0,
    replicate: int = 0,
    progress: Progress | None = None,
    executor: Executor | None = None,
    stop: StopRequest | None = None,
) -> xr.Dataset:
    """One run and its twin, as :func:`ecosim.simulate` gives it, on ``executor``.

    Parameters
    ----------
    loaded
        The scenario.
    future, replicate
        Position whose streams the run draws from.
    progress
        Called with ``"run"`` or ``"twin"`` and the fraction done.
    executor
        An entered executor; by default this process.
    stop
        Asked after every world step when the run is in this process (see :func:`run_cells`).
    """
    cell = Cell(loaded, future, replicate)
    return run_cells([cell], keep_dataset, executor, progress=progress, stop=stop)[0]
