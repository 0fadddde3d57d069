"""The bottom of the command line: the app, its consoles, exit codes and shared helpers.

Every command module imports :data:`app` from here and registers its commands on it; this
module imports none of them. Exit codes: 0 ok, 1 the run failed, 2 bad input (scenario file,
flag or store).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console

from ecosim.errors import InputError, OutputError

app = typer.Typer(
    name="ecosim",
    help="Simulate regional HPC-AI ecosystems and measure which sovereignty layer breaks first.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, soft_wrap=True)
# without a terminal (logs, CI, pipes) rich would assume 80 columns and squeeze the table
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 110)

EXIT_OK, EXIT_RUN_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def fail_input(exc: InputError) -> typer.Exit:
    """Print a bad input's one-line message; the exit (code 2) for the caller to raise."""
    err.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


def fail_output(exc: OutputError) -> NoReturn:
    """Print why a result could not be written, without a traceback, and exit with code 1."""
    err.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_RUN_FAILED) from None


P = ParamSpec("P")
R = TypeVar("R")


def output_errors_exit_1(command: Callable[P, R]) -> Callable[P, R]:
    """Make a command exit 1 with :func:`fail_output`'s one line on any :class:`OutputError`.

    For a command whose writes happen deep in a library call: the wrapped function keeps its
    signature, so its options are unchanged.
    """

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except OutputError as exc:
            fail_output(exc)

    return wrapper


def note(lines: list[str]) -> None:
    """Print what a command did on the side (a stale lock taken over), one line each."""
    for line in lines:
        err.print(f"[cyan]note:[/] {line}", highlight=False, soft_wrap=True)


def warn(notes: list[str]) -> None:
    """Print what a scenario leaves out (dates after its horizon), one line each."""
    for note in notes:
        err.print(f"[yellow]warning:[/] {note}", highlight=False, soft_wrap=True)


def fail_run(exc: BaseException) -> NoReturn:
    """Print why a run failed, without a traceback, and exit with code 1."""
    err.print(f"[bold red]run failed:[/] {type(exc).__name__}: {exc}", highlight=False)
    raise typer.Exit(EXIT_RUN_FAILED) from None


def with_progress(job: Any, quiet: bool) -> Any:
    """Call ``job(callback)`` with a progress bar on a terminal, ``job(None)`` otherwise.

    The callback takes a label (``"run"``, ``"twin"`` or ``"<what> run"`` ...) and the fraction
    of that run done; each label gets its own bar.
    """
    if quiet or not sys.stderr.isatty():
        return job(None)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def callback(label: str, fraction: float) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task("run" if label == "run" else "no-shock twin", total=1.0)
            bar.update(tasks[label], completed=fraction)

        return job(callback)


def open_result(path: Path, option: str = "RESULT") -> Any:
    """Open a result file fully into memory, or raise InputError naming what is wrong."""
    import xarray as xr

    if not path.is_file():
        raise InputError(option, [], "an existing result file (.nc)", f"no file {path}")
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            return ds.load()
    except (OSError, ValueError) as exc:
        raise InputError(path, [], "a NetCDF result written by ecosim", f"{exc}") from None
