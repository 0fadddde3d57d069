"""Running blocks of a sweep: the task a worker executes, and the plan of tasks.

A task is a block of consecutive runs (one chunk of the store along ``run``) with the
(run, replicate) cells still to compute. :func:`run_block` loads each run's scenario,
simulates every replicate, keeps the metrics (and coarsened series), and writes the block to
the store itself, so results never travel back through the driver and its memory stays flat
however many runs the sweep has. A run that raises is recorded as failed with its error; the
others go on.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ecosim.experiments.design import DesignTable, blocks
from ecosim.experiments.store import FLAGS, fill_value, read_flags

MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class BlockTask:
    """One block of runs for a worker (small and picklable).

    Attributes
    ----------
    store
        The store's path.
    block
        Block (chunk) index along ``run``.
    start, stop
        Runs ``start:stop`` form the block.
    base, base_overrides, entropy
        How to load a run's scenario: the base file, the sweep's overrides and the seed.
    runs
        ``(run, future, overrides)`` of each run of the block that has cells to compute.
    todo
        ``(run, replicate)`` cells to compute.
    partial
        Whether other cells of the block are already recorded (they are read and kept).
    series, coarsen_days, n_periods
        Which series to keep and how to coarsen them.
    """

    store: str
    block: int
    start: int
    stop: int
    base: str
    base_overrides: tuple[str, ...]
    entropy: int
    runs: tuple[tuple[int, int, tuple[str, ...]], ...]
    todo: tuple[tuple[int, int], ...]
    partial: bool
    series: tuple[str, ...] = ()
    coarsen_days: float = 30.0
    n_periods: int = 0


@dataclass
class BlockResult:
    """What a block did (counts only: the results are in the store)."""

    block: int
    computed: int = 0
    failed: int = 0
    seconds: float = 0.0
    stopped: bool = False
    errors: list[str] = field(default_factory=list)
    #: Why the block could not be written to the store (a full or read-only disk), or "".
    write_error: str = ""


def run_block(task: BlockTask, should_stop: Callable[[], bool] | None = None) -> BlockResult:
    """Compute the cells of one block and write the block to the store.

    Parameters
    ----------
    task
        The block.
    should_stop
        Polled between runs; when it returns true, the runs finished so far are written
        (flagged done) and the rest are left for a resume. Used on SIGTERM.

    Returns
    -------
    BlockResult
        Counts of computed and failed cells.
    """
    from ecosim.api import simulate
    from ecosim.experiments.seeds import stream_position
    from ecosim.experiments.store import empty_block, read_block, store_dims, write_block
    from ecosim.observe.dataset import pad_occurrences
    from ecosim.scenario.loader import load_scenario

    wall0 = time.perf_counter()
    path = Path(task.store)
    n = task.stop - task.start
    arrays = read_block(path, task.start, task.stop) if task.partial else empty_block(path, n)
    dims = store_dims(path)
    metrics = [k for k, d in dims.items() if k not in FLAGS and "period" not in d]
    # room the store has for each shock's occurrences: a run is padded (or cut) to it
    slots = next(
        (arrays[k].shape[d.index("occurrence")] for k, d in dims.items() if "occurrence" in d),
        None,
    )
    result = BlockResult(task.block)
    todo: dict[int, list[int]] = {}
    for run, rep in task.todo:
        todo.setdefault(run, []).append(rep)
    for run, future, overrides in task.runs:
        i = run - task.start
        loaded: Any = None
        load_error = ""
        try:
            loaded = load_scenario(task.base, [*task.base_overrides, *overrides], seed=task.entropy)
        except Exception as exc:
            load_error = _describe_error(exc)
        for rep in todo.get(run, []):
            if should_stop is not None and should_stop():
                result.stopped = True
                break
            t0 = time.perf_counter()
            error = load_error
            if loaded is not None:
                try:
                    pos = stream_position(future, rep)
                    # only the series the store keeps are recorded (the metrics read
                    # their own): a sweep of metrics alone skips most of the recording. The
                    # store keeps no run's provenance, so the scenario goes without it (its
                    # text is never made)
                    ds = simulate(
                        loaded.scenario,
                        future=pos["future"],
                        replicate=pos["replicate"],
                        series=task.series,
                    )
                    if slots is not None:
                        ds = pad_occurrences(ds, slots)
                    values = _extract(ds, metrics, task)
                except Exception as exc:
                    error = _describe_error(exc)
            for name in [*metrics, *task.series]:
                cell = arrays[name][i, rep]
                if error:
                    arrays[name][i, rep] = fill_value(arrays[name].dtype)
                elif isinstance(cell, np.ndarray):
                    cell[...] = values[name]
                else:
                    arrays[name][i, rep] = values[name]
            arrays["failed"][i, rep] = bool(error)
            arrays["error"][i, rep] = error
            arrays["done"][i, rep] = True
            arrays["computed_at"][i, rep] = time.time()
            arrays["wall_time_s"][i, rep] = time.perf_counter() - t0
            result.computed += 1
            if error:
                result.failed += 1
                result.errors.append(f"run {run} replicate {rep}: {error.splitlines()[0]}")
        if result.stopped:
            break
    try:
        write_block(path, task.start, arrays)
    except OSError as exc:
        # nothing of the block counts: its done flags are written last, so a resume redoes it
        result.write_error = exc.strerror or str(exc)
        result.computed = result.failed = 0
        result.errors.clear()
    result.seconds = time.perf_counter() - wall0
    return result


def _describe_error(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc)
    text = f"{type(exc).__name__}: {message}"
    if not hasattr(exc, "message"):
        # an unexpected failure keeps where it happened; a bad input needs only its message
        frames = traceback.extract_tb(exc.__traceback__)[-3:]
        text += "\n" + "".join(traceback.format_list(frames))
    return text[:MAX_ERROR_CHARS]


def _extract(ds: Any, metrics: Sequence[str], task: BlockTask) -> dict[str, Any]:
    """The metrics of one run and its coarsened series, in the store's dim order."""
    values: dict[str, Any] = {}
    # the variables themselves: a DataArray of each, with its coordinates, cost about 0.1 ms
    variables = ds.variables
    for name in metrics:
        if name not in variables:
            raise RuntimeError(f"the run has no metric {name!r}, which the store expects")
        values[name] = np.asarray(variables[name].values)
    if task.series:
        day = np.asarray(variables["day"].values, dtype=np.float64)
        period = np.minimum((day // task.coarsen_days).astype(np.int64), task.n_periods - 1)
        counts = np.bincount(period, minlength=task.n_periods).astype(np.float64)
        for name in task.series:
            series = np.asarray(variables[name].transpose("time", ...).values, dtype=np.float64)
            sums = np.zeros((task.n_periods, *series.shape[1:]))
            np.add.at(sums, period, series)
            with np.errstate(invalid="ignore", divide="ignore"):
                values[name] = sums / counts.reshape((-1,) + (1,) * (series.ndim - 1))
    return values


def n_periods(horizon_days: float, interval_days: float, coarsen_days: float) -> int:
    """Number of coarsening periods covering the recording grid ``0, interval, ..., horizon``."""
    last = math.floor(horizon_days / interval_days + 1e-9) * interval_days
    return int(last // coarsen_days) + 1


@dataclass(frozen=True)
class RunContext:
    """What every task of a sweep shares."""

    store: Path
    base: Path
    base_overrides: tuple[str, ...]
    entropy: int
    series: tuple[str, ...]
    coarsen_days: float
    n_periods: int


def plan(
    ctx: RunContext,
    table: DesignTable,
    block_size: int,
    *,
    retry_failed: bool = False,
    only_blocks: Sequence[int] | range | None = None,
) -> list[BlockTask]:
    """The tasks still to do: one per block with cells missing (or failed, if asked).

    Parameters
    ----------
    ctx
        Shared settings of the sweep.
    table
        The expanded design.
    block_size
        Runs per block (the store's chunk along ``run``).
    retry_failed
        Also recompute cells recorded as failed.
    only_blocks
        Restrict to these blocks (a shard of a job array).
    """
    done, failed = read_flags(ctx.store)
    want = ~done | (failed if retry_failed else np.zeros_like(done))
    tasks = []
    all_blocks = blocks(table.n_runs, block_size)
    chosen = range(len(all_blocks)) if only_blocks is None else only_blocks
    for b in chosen:
        rng = all_blocks[b]
        cells = [(int(r), int(k)) for r, k in np.argwhere(want[rng.start : rng.stop])]
        if not cells:
            continue
        cells = [(r + rng.start, k) for r, k in cells]
        run_ids = sorted({r for r, _ in cells})
        runs = []
        for r in run_ids:
            spec = table.run(r)
            runs.append((r, spec.future, spec.overrides))
        tasks.append(
            BlockTask(
                store=str(ctx.store),
                block=b,
                start=rng.start,
                stop=rng.stop,
                base=str(ctx.base),
                base_overrides=ctx.base_overrides,
                entropy=ctx.entropy,
                runs=tuple(runs),
                todo=tuple(cells),
                partial=len(cells) < len(rng) * done.shape[1],
                series=ctx.series,
                coarsen_days=ctx.coarsen_days,
                n_periods=ctx.n_periods,
            )
        )
    return tasks
