"""Driving a sweep: prepare (or reopen) its store, estimate it, run its blocks, report.

The driver never holds results: it plans block tasks from the store's ``done`` flags, hands
them to an executor, counts what comes back and shows progress. On SIGTERM (a walltime kill)
or SIGINT (Ctrl-C) it starts no new block, lets running blocks write what they finished, and
returns; the command then prints how to resume.
"""

from __future__ import annotations

import contextlib
import math
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from ecosim.errors import InputError
from ecosim.experiments.design import DesignTable, balanced_block_size, expand
from ecosim.experiments.executors import Executor
from ecosim.experiments.preflight import check_against_base
from ecosim.experiments.runner import BlockTask, RunContext, n_periods
from ecosim.experiments.seeds import resolve_entropy
from ecosim.experiments.store import (
    Template,
    create_store,
    metric_specs,
    provenance_attrs,
    read_attrs,
    series_specs,
)
from ecosim.experiments.sweepfile import Sweep, parse_sweep, read_sweep

# A block should last a few seconds: writing one costs about 10 ms (a file per variable) and
# Dask a few more per task, which a block of two seconds made half a per cent of the sweep;
# longer ones lose more on a kill and leave the workers fewer blocks to share out evenly.
TARGET_BLOCK_SECONDS = 5.0
# Blocks per worker at least, so that the workers' share of a small sweep evens out.
MIN_BLOCKS_PER_WORKER = 4
PILOT_YEARS = 0.25


@dataclass
class Prepared:
    """A sweep ready to run against its store."""

    sweep: Sweep
    table: DesignTable
    ctx: RunContext
    block_size: int
    seconds_per_run: float = float("nan")
    bytes_per_cell: int = 0


@dataclass
class Estimate:
    """What ``--dry-run`` reports."""

    runs: int
    replicates: int
    cells: int
    blocks: int
    block_size: int
    seconds_per_run: float
    workers: int
    disk_bytes: int

    @property
    def seconds(self) -> float:
        """Expected wall time with ``workers`` busy workers."""
        return self.cells * self.seconds_per_run / max(self.workers, 1)


def _version() -> str:
    from ecosim.api import ecosim_version

    return ecosim_version()


def new_sweep(
    sweep_path: Path, workers: int, block_size: int | None
) -> tuple[Prepared, Template, Estimate]:
    """Read and check a sweep file, run a pilot, lay out its store (nothing written yet).

    Parameters
    ----------
    sweep_path
        The sweep file.
    workers
        Workers that will run it (sizes the default block).
    block_size
        Runs per block, or ``None`` to aim at blocks of about five seconds, at least four per
        worker, that the workers share out evenly.

    Raises
    ------
    InputError
        On any mistake in the sweep file, its base scenario or its outputs.
    """
    from ecosim.world.shocks import occurrence_slots

    sweep = read_sweep(sweep_path)
    base = check_against_base(sweep)
    spec = sweep.spec
    entropy = resolve_entropy(spec, base.scenario.seed)
    table = expand(spec)
    pilot_ds, seconds = _pilot(sweep, entropy, base.scenario.horizon_years)
    times = [str(n) for n, v in pilot_ds.data_vars.items() if "time" in v.dims]
    for i, name in enumerate(spec.outputs.series):
        if name not in times:
            raise InputError(
                sweep.path,
                ["outputs", "series", i],
                f"one of the series ({', '.join(times)})",
                name,
            )
    rec = base.scenario.recording
    periods = n_periods(base.scenario.horizon_days, rec.interval_days, spec.outputs.coarsen_days)
    r = spec.replicates
    if block_size is None:
        per_block = max(1, math.ceil(TARGET_BLOCK_SECONDS / max(seconds * r, 1e-6)))
        spread = max(1, math.ceil(table.n_runs / (MIN_BLOCKS_PER_WORKER * max(workers, 1))))
        block_size = balanced_block_size(table.n_runs, workers, min(per_block, spread, 1000))
    block_size = max(1, min(block_size, table.n_runs))
    metrics = metric_specs(
        pilot_ds, {"occurrence": occurrence_slots(base.scenario, swept_rates(table))}
    )
    series = series_specs(pilot_ds, spec.outputs.series, periods)
    dims = {d for s in [*metrics, *series] for d in s.dims} - {"period"}
    dim_coords = {d: np.asarray(pilot_ds[d].values).astype(str) for d in dims if d in pilot_ds}
    attrs = provenance_attrs(
        version=_version(),
        sweep_path=sweep.path,
        sweep_text=sweep.text,
        sweep_sha256=sweep.sha256,
        base_sha256=base.sha256,
        entropy=entropy,
        block_size=block_size,
        parameters={
            "uncertainties": list(table.uncertainty_names),
            "levers": list(table.lever_names),
        },
    )
    attrs.update(
        {
            "design_kind": spec.design.kind,
            "n_futures": table.n_futures,
            "n_lever_combos": table.n_combos,
            "base_scenario": str(sweep.base_path),
            "scenario_name": base.scenario.name,
        }
    )
    template = Template(
        n_runs=table.n_runs,
        n_replicates=r,
        block_size=block_size,
        metrics=metrics,
        series=series,
        dim_coords=dim_coords,
        run_coords=run_coordinates(table),
        period_days=np.arange(periods, dtype=np.float64) * spec.outputs.coarsen_days,
        start=base.scenario.start,
        attrs=attrs,
    )
    cell_bytes = (
        sum(
            int(np.prod(s.shape, dtype=np.int64))
            * (16 if s.dtype == "|O" else np.dtype(s.dtype).itemsize)
            for s in [*metrics, *series]
        )
        + 2
        + 16
        + 16
        + 8
    )
    ctx = RunContext(
        store=Path(),
        base=sweep.base_path,
        base_overrides=tuple(spec.overrides),
        entropy=entropy,
        series=tuple(spec.outputs.series),
        coarsen_days=spec.outputs.coarsen_days,
        n_periods=periods,
    )
    prepared = Prepared(sweep, table, ctx, block_size, seconds, cell_bytes)
    cells = table.n_runs * r
    estimate = Estimate(
        runs=table.n_runs,
        replicates=r,
        cells=cells,
        blocks=math.ceil(table.n_runs / block_size),
        block_size=block_size,
        seconds_per_run=seconds,
        workers=workers,
        disk_bytes=cells * cell_bytes,
    )
    return prepared, template, estimate


def _pilot(sweep: Sweep, entropy: int, horizon_years: float) -> tuple[Any, float]:
    """Time one short run of the base scenario and scale it to the full horizon.

    The first call in a process also loads the compiled kernels, so a tiny run goes first and
    the timed run second.
    """
    from ecosim.api import simulate
    from ecosim.scenario.loader import load_scenario

    spec = sweep.spec
    tiny = load_scenario(
        sweep.base_path, [*spec.overrides, f"horizon_years={min(horizon_years, 0.02)}"], entropy
    )
    simulate(tiny, twin_apart=False)
    short = min(horizon_years, PILOT_YEARS)
    loaded = load_scenario(sweep.base_path, [*spec.overrides, f"horizon_years={short}"], entropy)
    t0 = time.perf_counter()
    # the twin after the run, as a sweep's workers run it, whatever this process could do
    ds = simulate(loaded, twin_apart=False)
    seconds = (time.perf_counter() - t0) * horizon_years / short
    return ds, seconds


def swept_rates(table: DesignTable) -> dict[str, float]:
    """The highest rate a sweep gives each Poisson shock whose ``rate_per_year`` it varies."""
    rates: dict[str, float] = {}
    for j, name in enumerate(table.uncertainty_names):
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "shocks" and parts[2] == "rate_per_year":
            rates[parts[1]] = float(np.max(table.futures[:, j]))
    return rates


def run_coordinates(table: DesignTable) -> dict[str, np.ndarray]:
    """The design as per-run coordinates: future, lever combination, every parameter's value."""
    runs = np.arange(table.n_runs)
    future, combo = np.divmod(runs, table.n_combos)
    coords: dict[str, np.ndarray] = {"future": future, "lever_combo": combo}
    for j, name in enumerate(table.uncertainty_names):
        coords[name] = table.futures[future, j].astype(np.float64)
    for j, name in enumerate(table.lever_names):
        values = [c[j] for c in table.combos]
        if all(isinstance(v, bool) for v in values):
            column = np.array(values, dtype=bool)
        elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            column = np.array(values, dtype=np.float64)
        else:
            column = np.array([str(v) for v in values], dtype=object)
        coords[name] = column[combo]
    return coords


def reopen(store: Path, *, force: bool) -> Prepared:
    """Rebuild a sweep from its store, for ``--resume``, ``--shard`` and analysis.

    Refuses (``InputError``) a store written by another ecosim version, or whose sweep file or
    base scenario has changed on disk since, unless ``force``.
    """
    from ecosim.scenario.loader import load_scenario

    attrs = read_attrs(store)
    version = _version()
    if attrs.get("ecosim_version") != version and not force:
        raise InputError(
            store,
            ["attrs", "ecosim_version"],
            f"a store written by this ecosim ({version})",
            f"{attrs.get('ecosim_version')} (use --force to continue it anyway)",
        )
    path = Path(str(attrs["sweep_path"]))
    sweep = parse_sweep(str(attrs["sweep_text"]), path)
    if path.is_file() and not force:
        current = read_sweep(path)
        if current.sha256 != sweep.sha256:
            raise InputError(
                path,
                [],
                f"the sweep file the store {store} was made from",
                "a file changed since (use --force to continue with the store's copy)",
            )
    spec = sweep.spec
    entropy = int(str(attrs["entropy"]))
    base = load_scenario(sweep.base_path, spec.overrides, seed=spec.entropy)
    if base.sha256 != attrs.get("base_scenario_sha256") and not force:
        raise InputError(
            sweep.base_path,
            [],
            f"the base scenario the store {store} was made from",
            "a scenario changed since (use --force to continue anyway)",
        )
    rec = base.scenario.recording
    periods = n_periods(base.scenario.horizon_days, rec.interval_days, spec.outputs.coarsen_days)
    ctx = RunContext(
        store=store,
        base=sweep.base_path,
        base_overrides=tuple(spec.overrides),
        entropy=entropy,
        series=tuple(spec.outputs.series),
        coarsen_days=spec.outputs.coarsen_days,
        n_periods=periods,
    )
    return Prepared(sweep, expand(spec), ctx, int(attrs["block_size"]))


def create(store: Path, prepared: Prepared, template: Template) -> Prepared:
    """Write the store's template; returns ``prepared`` pointed at it."""
    create_store(store, template)
    ctx = prepared.ctx
    prepared.ctx = RunContext(
        store,
        ctx.base,
        ctx.base_overrides,
        ctx.entropy,
        ctx.series,
        ctx.coarsen_days,
        ctx.n_periods,
    )
    return prepared


# --------------------------------------------------------------------------- running


@dataclass
class Summary:
    """What a call of :func:`execute` did."""

    computed: int = 0
    failed: int = 0
    stopped: bool = False
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    #: Why a block could not be written (the sweep stopped there), or "".
    write_error: str = ""


class Reporter:
    """Progress as a rich bar on a terminal, as log lines (at most one per ``every`` s) otherwise.

    Parameters
    ----------
    total
        Cells (run x replicate) this call will compute.
    stream
        Where to report (stderr).
    bar
        Draw a bar (only when ``stream`` is a terminal).
    """

    def __init__(self, total: int, stream: TextIO, bar: bool, every: float = 5.0) -> None:
        self.total = total
        self.stream = stream
        self.every = every
        self.done = 0
        self.failed = 0
        self.t0 = time.perf_counter()
        self._last = 0.0
        self._progress: Any = None
        self._task: Any = None
        if bar:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("sweep"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("runs  {task.fields[rate]} runs/s  failed {task.fields[failed]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(file=stream),
                transient=False,
            )
            self._task = self._progress.add_task("sweep", total=total, rate="-", failed=0)

    def __enter__(self) -> Reporter:
        if self._progress is not None:
            self._progress.start()
        else:
            self._line(force=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
        else:
            self._line(force=True)

    def advance(self, computed: int, failed: int) -> None:
        """Count ``computed`` more cells, ``failed`` of which failed."""
        self.done += computed
        self.failed += failed
        if self._progress is not None:
            self._progress.update(
                self._task, completed=self.done, rate=f"{self.rate:.2f}", failed=self.failed
            )
        else:
            self._line()

    @property
    def rate(self) -> float:
        """Runs (cells) per second so far."""
        return self.done / max(time.perf_counter() - self.t0, 1e-9)

    def _line(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last < self.every and self.done < self.total:
            return
        self._last = now
        rate = self.rate
        eta = (self.total - self.done) / rate if rate > 0 else float("nan")
        print(
            f"sweep: {self.done}/{self.total} runs done, {self.failed} failed, "
            f"{rate:.2f} runs/s, ETA {eta:.0f} s",
            file=self.stream,
            flush=True,
        )


@contextlib.contextmanager
def stop_on_sigterm() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT while the blocks run (the previous handlers come back
    after): a walltime kill and a Ctrl-C both stop the sweep cleanly, and it says how to go on.

    SIGINT is left alone where it is ignored (a job started in the background by a shell).
    """
    event = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield event
        return

    def handler(signum: int, frame: Any) -> None:
        event.set()

    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, handler)}
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, handler)
    try:
        yield event
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def execute(
    tasks: Sequence[BlockTask],
    executor: Executor,
    *,
    quiet: bool = False,
    stream: TextIO | None = None,
) -> Summary:
    """Run ``tasks`` on ``executor`` with progress; stop cleanly on SIGTERM.

    Parameters
    ----------
    tasks
        Block tasks from :func:`ecosim.experiments.runner.plan`.
    executor
        An entered executor.
    quiet
        No progress output.
    stream
        Where progress goes (default stderr).

    Returns
    -------
    Summary
        Counts of computed and failed cells, whether the sweep stopped early, the errors, and
        why the store could not be written, if it could not (the sweep stops at the first).
    """
    stream = stream or sys.stderr
    total = sum(len(t.todo) for t in tasks)
    summary = Summary()
    t0 = time.perf_counter()
    bar = not quiet and stream.isatty()
    reporter: contextlib.AbstractContextManager[Any] = (
        contextlib.nullcontext() if quiet else Reporter(total, stream, bar)
    )
    with stop_on_sigterm() as stop, reporter as rep:
        for result in executor.run(tasks, stop):
            summary.computed += result.computed
            summary.failed += result.failed
            summary.errors.extend(result.errors)
            summary.stopped |= result.stopped
            if result.write_error and not summary.write_error:
                # the store cannot take more: start no other block
                summary.write_error = result.write_error
                stop.set()
            if rep is not None:
                rep.advance(result.computed, result.failed)
        summary.stopped |= stop.is_set()
    summary.seconds = time.perf_counter() - t0
    return summary
