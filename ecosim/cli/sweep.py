"""The experiment commands: ``sweep``, ``status``, ``analyze`` and ``export``.

Heavy libraries (Dask, Zarr, SALib, Numba) load inside the commands, so ``ecosim --help`` and
input checks stay fast.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ecosim.cli import options as opt
from ecosim.cli import tables
from ecosim.cli.app import (
    EXIT_RUN_FAILED,
    app,
    err,
    fail_input,
    fail_output,
    note,
    out,
    output_errors_exit_1,
)
from ecosim.errors import InputError, OutputError

if TYPE_CHECKING:
    from rich.console import Console

    from ecosim.experiments.driver import Estimate, Prepared
    from ecosim.experiments.executors import SlurmOptions
    from ecosim.experiments.locks import WriterLock

SWEEP_EPILOG = (
    "Examples: ecosim sweep scenarios/sweeps/small_fab.yaml --out outputs/fab.zarr --workers 2  "
    "|  ecosim sweep --resume outputs/fab.zarr  "
    "|  ecosim sweep FILE --out STORE --init-only, then in a job array: "
    "ecosim sweep FILE --out STORE --shard auto"
)


def _shard(text: str) -> tuple[int, int]:
    """Parse ``I/N`` or ``auto`` (from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT)."""
    if text == "auto":
        task = os.environ.get("SLURM_ARRAY_TASK_ID")
        count = os.environ.get("SLURM_ARRAY_TASK_COUNT")
        if task is None or count is None:
            raise InputError(
                "--shard",
                [],
                "I/N, or 'auto' inside a SLURM job array",
                "auto without SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT",
            )
        low = int(os.environ.get("SLURM_ARRAY_TASK_MIN", "0"))
        return int(task) - low, int(count)
    index, sep, count = text.partition("/")
    if not sep or not index.strip().isdigit() or not count.strip().isdigit():
        raise InputError("--shard", [], "I/N such as 0/4, or auto", repr(text))
    i, n = int(index), int(count)
    if n < 1 or not 0 <= i < n:
        raise InputError("--shard", [], "0 <= I < N", text)
    return i, n


def _human_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000:
            return f"{n:.0f} {unit}"
        n /= 1000
    return f"{n:.0f} PB"


@app.command(epilog=SWEEP_EPILOG)
def sweep(
    sweep_file: Annotated[
        Path | None, typer.Argument(help="Sweep YAML file (not needed with --resume).")
    ] = None,
    out_store: Annotated[
        Path | None, typer.Option("--out", "-o", help="Zarr store to create or continue.")
    ] = None,
    resume: Annotated[
        Path | None, typer.Option(help="Continue this store: compute only what is missing.")
    ] = None,
    workers: opt.Workers = 0,
    scheduler: opt.Scheduler = None,
    slurm: opt.Slurm = False,
    jobs: opt.Jobs = 1,
    cores: opt.Cores = 1,
    memory: opt.Memory = "4GB",
    walltime: opt.Walltime = "01:00:00",
    partition: opt.Partition = None,
    interface: opt.Interface = None,
    shard: Annotated[
        str | None,
        typer.Option(
            help="Run only shard I/N of the blocks, in this process; 'auto' in a "
            "SLURM job array. The store must exist (--init-only)."
        ),
    ] = None,
    block_size: Annotated[
        int | None,
        typer.Option(help="Runs per block (store chunk); default ~5 s blocks.", min=1),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option(help="Report runs, expected time and disk; run nothing.")
    ] = False,
    retry_failed: Annotated[bool, typer.Option(help="Also rerun runs that failed.")] = False,
    force: Annotated[
        bool,
        typer.Option(
            help="Continue a store from another ecosim version or sweep file, or "
            "replace a store made from another sweep file."
        ),
    ] = False,
    init_only: Annotated[
        bool, typer.Option(help="Write the store's template and stop (before a job array).")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    dashboard: Annotated[
        bool,
        typer.Option(
            help="With --workers: serve Dask's dashboard on 127.0.0.1:8787 (off: no HTTP routes)."
        ),
    ] = False,
) -> None:
    """Run a sweep of uncertainties and levers into a Zarr store (resumable).

    Exit codes: 0 every run done, 1 some runs failed (now or before, and were not rerun), the
    sweep was stopped (resume it), the store cannot be written or another process is writing
    the same runs, 2 bad input (nothing written).
    """
    held: list[WriterLock] = []
    try:
        _sweep(
            sweep_file=sweep_file,
            out_store=out_store,
            resume=resume,
            workers=workers,
            scheduler=scheduler,
            slurm=slurm_options(slurm, jobs, cores, memory, walltime, partition, interface),
            shard=shard,
            block_size=block_size,
            dry_run=dry_run,
            retry_failed=retry_failed,
            force=force,
            init_only=init_only,
            quiet=quiet,
            dashboard=dashboard,
            held=held,
        )
    finally:
        for lock in held:
            lock.release()


def slurm_options(
    slurm: bool,
    jobs: int,
    cores: int,
    memory: str,
    walltime: str,
    partition: str | None,
    interface: str | None,
) -> SlurmOptions | None:
    """The ``--slurm`` options as one value, or ``None`` without ``--slurm``."""
    from ecosim.experiments.executors import SlurmOptions

    return SlurmOptions(jobs, cores, memory, walltime, partition, interface) if slurm else None


def _lock(store: Path, runs: range, held: list[WriterLock], *, whole: bool) -> None:
    """Lock ``runs`` of ``store`` (all of them if ``whole``) and clean what killed writers left.

    Raises
    ------
    OutputError
        When the store's place cannot be written.
    StoreBusy
        When another running process writes some of these runs.
    """
    from ecosim.experiments.locks import acquire, clean_temporaries
    from ecosim.experiments.outputs import check_writable

    check_writable(store)
    if not runs:
        return
    lock = acquire(store, runs.start, runs.stop)
    held.append(lock)
    # chunk files a killed writer left are removed only by a writer of the whole store: a
    # shard cannot tell another running shard's chunk in progress from a dead one's
    note([*lock.notes, *clean_temporaries(store, chunks=whole)])


def _shard_runs(prepared: Prepared, shard_of: tuple[int, int]) -> range:
    from ecosim.experiments.design import blocks, shard_blocks

    all_blocks = blocks(prepared.table.n_runs, prepared.block_size)
    mine = shard_blocks(len(all_blocks), *shard_of)
    if not mine:
        return range(0)
    return range(all_blocks[mine.start].start, all_blocks[mine.stop - 1].stop)


def _sweep(
    *,
    sweep_file: Path | None,
    out_store: Path | None,
    resume: Path | None,
    workers: int,
    scheduler: str | None,
    slurm: SlurmOptions | None,
    shard: str | None,
    block_size: int | None,
    dry_run: bool,
    retry_failed: bool,
    force: bool,
    init_only: bool,
    quiet: bool,
    dashboard: bool,
    held: list[WriterLock],
) -> None:
    import sys

    from ecosim.experiments import driver, executors, runner
    from ecosim.experiments.design import blocks, shard_blocks
    from ecosim.experiments.locks import StoreBusy

    try:
        opt.check_one_executor(
            workers=workers, scheduler=scheduler, slurm=slurm is not None, shard=shard is not None
        )
        if dashboard and workers == 0:
            raise InputError("--dashboard", [], "--dashboard with --workers N", "no --workers")
        shard_of = _shard(shard) if shard is not None else None
        if resume is not None:
            if out_store is not None and out_store != resume:
                raise InputError("--out", [], "no --out with --resume", str(out_store))
            store = resume
            prepared = driver.reopen(store, force=force)
            if sweep_file is not None and prepared.sweep.path != sweep_file.resolve():
                raise InputError(
                    "command line",
                    [],
                    f"the store's sweep file {prepared.sweep.path}",
                    str(sweep_file),
                )
            estimate = None
            if not dry_run:
                runs = (
                    _shard_runs(prepared, shard_of)
                    if shard_of is not None
                    else range(prepared.table.n_runs)
                )
                _lock(store, runs, held, whole=shard_of is None)
        else:
            if sweep_file is None or out_store is None:
                raise InputError(
                    "command line",
                    [],
                    "SWEEP_FILE --out STORE, or --resume STORE",
                    "missing " + ("SWEEP_FILE" if sweep_file is None else "--out"),
                )
            store = out_store
            n_workers = workers or (slurm.jobs * slurm.cores if slurm is not None else 1)
            prepared, template, estimate = driver.new_sweep(sweep_file, n_workers, block_size)
            if not dry_run and shard_of is None:
                # held before the store is looked at: whether to create, continue or replace
                # it is decided by one writer at a time
                _lock(store, range(prepared.table.n_runs), held, whole=True)
            if store.exists():
                from ecosim.experiments.store import read_attrs

                attrs = read_attrs(store)
                if attrs.get("sweep_sha256") == prepared.sweep.sha256:
                    # the same sweep again continues its store (e.g. after a walltime kill)
                    prepared = driver.reopen(store, force=force)
                elif not force or shard_of is not None:
                    # a shard never replaces a store: its siblings are writing into it
                    raise InputError(
                        store,
                        [],
                        f"a store made from {sweep_file}",
                        f"one made from {attrs.get('sweep_path')} "
                        + (
                            "(--force without --shard replaces it)"
                            if force
                            else "(--force replaces it)"
                        ),
                    )
                elif not dry_run:
                    shutil.rmtree(store)
            if dry_run:
                _report_estimate(out, estimate, store)
                return
            if not store.exists():
                if shard_of is not None:
                    raise InputError(
                        "--out",
                        [],
                        "a store created before the job array starts "
                        "(ecosim sweep FILE --out STORE --init-only)",
                        f"no store {store}",
                    )
                prepared = driver.create(store, prepared, template)
                out.print(
                    f"created {store}: {prepared.table.n_runs} runs x "
                    f"{prepared.sweep.spec.replicates} replicates, block size "
                    f"{prepared.block_size}",
                    highlight=False,
                )
            if shard_of is not None:
                _lock(store, _shard_runs(prepared, shard_of), held, whole=False)
            if init_only:
                return
    except InputError as exc:
        raise fail_input(exc) from None
    except OutputError as exc:
        fail_output(exc)
    except StoreBusy as exc:
        # a fault of the moment, not of the command: the same command works once the other
        # writer has finished, so it exits 1 like a run that did not complete
        err.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_RUN_FAILED) from None

    n_blocks = len(blocks(prepared.table.n_runs, prepared.block_size))
    only = shard_blocks(n_blocks, *shard_of) if shard_of is not None else None
    tasks = runner.plan(
        prepared.ctx,
        prepared.table,
        prepared.block_size,
        retry_failed=retry_failed,
        only_blocks=only,
    )
    if dry_run:
        cells = sum(len(t.todo) for t in tasks)
        out.print(f"{store}: {cells} runs to compute in {len(tasks)} blocks", highlight=False)
        return
    executor = executors.make_executor(
        workers=workers, scheduler=scheduler, slurm=slurm, dashboard=dashboard
    )
    if not tasks:
        _exit_if_failed_before(store, prepared, shard_of)
        out.print(f"[green]ok[/] {store}: nothing to compute", highlight=False)
        return
    with executor as ex:
        summary = driver.execute(tasks, ex, quiet=quiet, stream=sys.stderr)
    if summary.write_error:
        fail_output(
            OutputError(
                store,
                f"{summary.write_error} ({summary.computed} runs written; continue with "
                f"ecosim sweep --resume {store})",
            )
        )
    for line in summary.errors[:10]:
        err.print(f"[red]failed:[/] {line}", highlight=False)
    if summary.stopped:
        err.print(
            f"[yellow]stopped[/]: {summary.computed} runs written; continue with "
            f"ecosim sweep --resume {store}",
            highlight=False,
        )
        raise typer.Exit(EXIT_RUN_FAILED)
    if summary.failed:
        err.print(
            f"[red]{summary.failed} runs failed[/] ({summary.computed} computed, "
            f"{summary.seconds:.1f} s); see ecosim status {store}; rerun them with "
            f"--resume {store} --retry-failed",
            highlight=False,
        )
        raise typer.Exit(EXIT_RUN_FAILED)
    _exit_if_failed_before(store, prepared, shard_of)
    out.print(
        f"[green]ok[/] {store}: {summary.computed} runs in {summary.seconds:.1f} s "
        f"({summary.computed / max(summary.seconds, 1e-9):.2f} runs/s)",
        highlight=False,
    )


def _exit_if_failed_before(
    store: Path, prepared: Prepared, shard_of: tuple[int, int] | None
) -> None:
    """Exit 1 when runs of this writer's part of the store are recorded as failed."""
    from ecosim.experiments.store import read_flags

    done, failed = read_flags(store)
    runs = _shard_runs(prepared, shard_of) if shard_of is not None else range(len(done))
    n = int((done & failed)[runs.start : runs.stop].sum())
    if n:
        err.print(
            f"[red]{n} runs failed[/] and were not rerun; see ecosim status {store}; rerun "
            f"them with --resume {store} --retry-failed",
            highlight=False,
        )
        raise typer.Exit(EXIT_RUN_FAILED)


@app.command(epilog="Example: ecosim status outputs/fab.zarr")
def status(
    store: Annotated[Path, typer.Argument(help="Sweep store.")],
    errors: Annotated[int, typer.Option(help="Show up to this many errors.", min=0)] = 5,
) -> None:
    """Tell how many runs of a sweep store are done, failed and missing."""
    try:
        lines = tables.sweep_status_lines(store, errors)
    except InputError as exc:
        raise fail_input(exc) from None
    for line in lines:
        out.print(line, highlight=False)


@app.command(
    epilog="Example: ecosim analyze outputs/fab_sobol.zarr --out outputs/fab_sobol_analysis"
)
@output_errors_exit_1
def analyze(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="Sweep store.")],
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="DIR",
            help="Folder for tables and figures (default: STORE's name with _analysis).",
        ),
    ] = None,
    quantile: Annotated[
        float,
        typer.Option(
            metavar="Q",
            help="PRIM: a run fails when resilience loss is above this quantile.",
            min=0.0,
            max=1.0,
        ),
    ] = 0.8,
) -> None:
    """Analyze a sweep: sensitivity indices, PRIM failure boxes and lever robustness.

    Sobol' indices (S1, ST) need a sweep with design kind sobol (Saltelli's scheme, as in
    scenarios/sweeps/small_fab_sobol.yaml) and Morris screening one with kind morris; other
    designs get PRIM boxes and robustness only. Lever combinations are named by their settings.
    """
    from ecosim.experiments.analysis import analyze_store
    from ecosim.experiments.store import open_store

    try:
        open_store(store)
    except InputError as exc:
        raise fail_input(exc) from None
    target = out_dir or store.with_name(f"{store.stem}_analysis")
    written, lines = analyze_store(store, target, failure_quantile=quantile)
    for line in lines:
        out.print(line, highlight=False)
    out.print(f"[green]ok[/] wrote {len(written)} files to {target}", highlight=False)


@app.command(epilog="Example: ecosim export outputs/fab.zarr --format parquet --out fab.parquet")
def export(
    store: Annotated[Path, typer.Argument(help="Sweep store.")],
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="File to write.")] = None,
) -> None:
    """Write the metrics as a tidy table: one row per run, replicate and metric cell."""
    from ecosim.experiments.analysis import tidy_metrics
    from ecosim.experiments.store import open_store

    try:
        if fmt not in {"parquet", "csv"}:
            raise InputError("--format", [], "parquet or csv", fmt)
        open_store(store)
    except InputError as exc:
        raise fail_input(exc) from None
    from ecosim.experiments.outputs import check_writable
    from ecosim.observe.dataset import write_atomically

    target = out_file or store.with_suffix(f".{fmt}")
    try:
        check_writable(target)
        table = tidy_metrics(store)
        # encoded in memory, then written through a temporary file and a rename: a full or
        # read-only disk leaves nothing, a reader never sees half a table
        if fmt == "parquet":
            data = table.to_parquet(None, index=False)
        else:
            data = table.to_csv(index=False).encode()
        write_atomically(data, target)
    except OutputError as exc:
        fail_output(exc)
    out.print(f"[green]ok[/] wrote {len(table)} rows to {target}", highlight=False)


def _report_estimate(out: Console, est: Estimate, store: Path) -> None:
    out.print(
        f"dry run of {store}: {est.runs} runs x {est.replicates} replicates = {est.cells} "
        f"simulations in {est.blocks} blocks of {est.block_size} runs; about "
        f"{est.seconds_per_run:.2f} s each (one short run timed), so about "
        f"{est.seconds / 60:.1f} min on {est.workers} worker(s); store about "
        f"{_human_bytes(est.disk_bytes)} before compression. Nothing was written.",
        highlight=False,
    )
