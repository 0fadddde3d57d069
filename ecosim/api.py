"""The Python API of one run: load a scenario, simulate it, open results.

Studies of many runs (replicates, portfolio comparison, counterfactuals) are in
:mod:`ecosim.studies`, which runs its simulations through :func:`simulate`; both are exported
from :mod:`ecosim`.
"""

from __future__ import annotations

import datetime as dt
import platform
import time
from collections.abc import Callable, Collection
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import xarray as xr

from ecosim.core import forked
from ecosim.core.rng import Streams
from ecosim.engine.simulation import Simulation, StopRequest
from ecosim.errors import RunStopped
from ecosim.observe.dataset import to_dataset, to_trace
from ecosim.observe.metrics import MetricOptions, add_metrics
from ecosim.observe.recorder import TRACE_VARIABLES, Recorder
from ecosim.scenario.loader import LoadedScenario
from ecosim.scenario.models import Scenario
from ecosim.world.build import build_world
from ecosim.world.state import World, twin_copy

Progress = Callable[[str, float], None]


def ecosim_version() -> str:
    """Installed version of ecosim."""
    try:
        return version("ecosim")
    except PackageNotFoundError:
        return "0+unknown"


def _run_one(
    scenario: Scenario,
    streams: Streams,
    with_shocks: bool,
    progress: Progress | None,
    label: str,
    stop: StopRequest | None,
    world: World | None = None,
    trace_only: bool = False,
) -> tuple[xr.Dataset, xr.Dataset]:
    """The recorded dataset of one run and its step trace (the metrics' inputs)."""
    sim = Simulation(scenario, streams, with_shocks=with_shocks, world=world)
    # of the no-shock twin, the metrics read only the trace
    rec = Recorder(scenario, sim.world, sim.occurrences, trace_only=trace_only or not with_shocks)
    callback = (lambda f: progress(label, f)) if progress else None
    sim.run(rec.observe, callback, stop)
    if sim.stopped_at is not None:
        raise RunStopped(sim.stopped_at)
    return to_dataset(rec, scenario), to_trace(rec, scenario)


def simulate(
    scenario: LoadedScenario | Scenario,
    *,
    future: int = 0,
    replicate: int = 0,
    progress: Progress | None = None,
    stop: StopRequest | None = None,
    series: Collection[str] | None = None,
    twin_apart: bool | None = None,
) -> xr.Dataset:
    """Run one scenario point with one seed, and its no-shock twin.

    Parameters
    ----------
    scenario
        A scenario from :func:`ecosim.load_scenario` (or a validated :class:`Scenario`).
    future, replicate
        Position in a sweep; the run's streams are spawned from the scenario's seed by them.
    progress
        Called with a label (``"run"`` or ``"twin"``) and the fraction of that run's simulated
        time done.
    stop
        Asked after every world step; when it returns true the run ends there and
        :class:`ecosim.errors.RunStopped` is raised (a cancel button, a time limit).
    series
        The time series the caller will read; ``None`` (the default) keeps every one. When
        all of them are among those the metrics read (:data:`TRACE_VARIABLES`: ``service``,
        ``service_direct``, ``hhi``), the run records only those, as its twin does: a sweep
        that stores metrics alone then skips the rest of the recording, about a tenth of a
        ten-year run. The metrics and everything else without a ``time`` dim are the same
        either way; any other name keeps every series.
    twin_apart
        Run the no-shock twin in a forked child process, beside the run, rather than after
        it: the same twin to the bit, the two simulated in about the wall time of the run
        alone where a second core is free (loading, metrics and writing stay as they are).
        ``None`` (the default) does so where :func:`ecosim.core.forked.can_fork` says it is
        safe and helps (a single-threaded process with two usable cores: not on a Dask
        worker, which runs them one after the other; the page runs each simulation in a
        process of its own, :mod:`ecosim.serve.processes`, where it can).

    Returns
    -------
    xarray.Dataset
        Series on the recording grid, the metrics against the no-shock twin, and provenance
        in ``attrs``.

    Examples
    --------
    >>> import ecosim
    >>> ds = ecosim.simulate(ecosim.load_scenario("scenarios/baseline.yaml"))  # doctest: +SKIP
    >>> ds["bottleneck"].sel(region="EU")  # doctest: +SKIP
    """
    loaded = scenario if isinstance(scenario, LoadedScenario) else None
    spec = loaded.scenario if loaded else scenario
    assert isinstance(spec, Scenario)
    started = dt.datetime.now(dt.UTC)
    wall0 = time.perf_counter()
    streams = Streams(spec.seed, future, replicate)
    world = build_world(spec, streams)
    # the twin starts from the same build, copied with the streams it drew from (the world
    # holds them), rather than building it again: a build is a large part of a short run
    twin_world = twin_copy(world, {id(spec): spec}) if spec.recording.twin else None
    trace_only = series is not None and set(series) <= set(TRACE_VARIABLES)
    apart = None
    if twin_world is not None and (forked.can_fork() if twin_apart is None else twin_apart):
        apart = _TwinApart(forked.start(partial(_twin_in_child, spec, twin_world)), progress)
    try:
        relay = apart.relay if apart is not None else progress
        ds, trace = _run_one(spec, streams, True, relay, "run", stop, world, trace_only)
        twin = twin_trace = None
        if apart is not None:
            twin, twin_trace = apart.result(spec, stop)
        elif twin_world is not None:
            twin, twin_trace = _run_one(
                spec, twin_world.streams, False, progress, "twin", stop, twin_world
            )
    finally:
        if apart is not None:
            apart.child.kill()  # when the run failed or stopped, its twin is not wanted
    options = MetricOptions(material_loss_days=spec.recording.material_loss_days)
    ds = add_metrics(ds, twin, trace=trace, twin_trace=twin_trace, options=options)
    _check_invariants(ds)
    ds.attrs.update(
        {
            "title": f"ecosim run of scenario {spec.name}",
            "ecosim_version": ecosim_version(),
            "scenario_name": spec.name,
            "scenario_text": loaded.text if loaded else "",
            "scenario_sha256": loaded.sha256 if loaded else "",
            "seed_entropy": str(spec.seed),
            "future": future,
            "replicate": replicate,
            "shocks": ", ".join(s.id for s in spec.shocks) or "none",
            "started_utc": started.isoformat(timespec="seconds"),
            "finished_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "wall_time_s": round(time.perf_counter() - wall0, 3),
            "platform": f"{platform.platform()} python {platform.python_version()} "
            f"numpy {np.__version__}",
            "status": "ok",
        }
    )
    return ds


def _twin_in_child(
    spec: Scenario, world: World, send: forked.Send
) -> tuple[xr.Dataset, xr.Dataset]:
    """The no-shock twin, run in a forked child: its progress is posted as it goes.

    It always posts its progress, asked for or not, so that the parent knows the day it has
    reached when it is told to stop.
    """
    return _run_one(spec, world.streams, False, lambda _, f: send(f), "twin", None, world)


class _TwinApart:
    """The twin running in a child: its progress passed on as it comes, the day it reached.

    Parameters
    ----------
    child
        The child running :func:`_twin_in_child`.
    progress
        The caller's progress callback.
    """

    def __init__(
        self, child: forked.Forked[tuple[xr.Dataset, xr.Dataset]], progress: Progress | None
    ) -> None:
        self.child = child
        self.progress = progress
        self.reached = 0.0  # the share of its horizon the twin last reported

    def note(self, fraction: float) -> None:
        """Take one progress report of the twin."""
        self.reached = fraction
        if self.progress is not None:
            self.progress("twin", fraction)

    def relay(self, label: str, fraction: float) -> None:
        """The run's progress callback: the run's report, then the twin's reports so far.

        The run's first report comes first whatever the twin has done by then, so a caller
        hears of the run before its twin, as when the twin runs after it. Reading the twin's
        reports as the run goes also keeps the pipe from filling up on a long run.
        """
        if self.progress is not None:
            self.progress(label, fraction)
        self.child.poll(self.note)

    def result(self, spec: Scenario, stop: StopRequest | None) -> tuple[xr.Dataset, xr.Dataset]:
        """The twin's dataset and trace, waited for.

        Raises
        ------
        RunStopped
            ``stop`` asked for it before the twin was done; the day is the last the twin
            reported.
        """
        result = self.child.wait(self.note, stop)
        if result is None:
            raise RunStopped(self.reached * spec.horizon_days)
        return result


def _check_invariants(ds: xr.Dataset) -> None:
    """Fail loudly, rather than write a result that breaks the promised invariants."""
    for name, var in ds.data_vars.items():
        if var.dtype.kind == "f" and not np.isfinite(var.values).all():
            raise RuntimeError(f"variable {name!r} holds NaN or infinite values")
    service = ds["service"].values
    if service.min() < 0.0 or service.max() > 1.0:
        raise RuntimeError("service left [0, 1]")


def open_results(path: str | Path) -> xr.Dataset:
    """Open a result file written by ``ecosim run`` (lazily: values are read when used)."""
    return xr.open_dataset(path, engine="netcdf4")
