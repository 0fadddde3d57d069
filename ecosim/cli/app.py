"""The bottom of the command line: the app, its consoles, exit codes and shared helpers.

Every command module imports :data:`app` from here and registers its commands on it; this
module imports none of them. Exit codes: 0 ok, 1 the run failed, 2 bad input (scenario file,
flag or store).
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from typer.core import TyperArgument, TyperCommand, TyperGroup

from ecosim.errors import InputError, OutputError

#: A value's type as typer shows it (``<path>``, ``<int range>``, ``<list[str]>``).
_TYPE = re.compile(r"<([a-z]+)[^>]*>")
#: ... and as click and most command lines show it.
_PLAIN = {"path": "PATH", "int": "N", "float": "NUMBER", "str": "TEXT", "list": "TEXT"}


def _plain_type(text: str) -> str:
    return _TYPE.sub(lambda m: _PLAIN.get(m.group(1), m.group(1).upper()), text)


def _argument_name(param: TyperArgument) -> str:
    """``SCENARIO``, ``SCENARIOS...``: the metavar, or the name in capitals as click writes it."""
    name = param.metavar or (param.name or "").upper()
    return name + ("..." if param.nargs != 1 else "")


class Command(TyperCommand):
    """A command whose usage and help read as click's do: ``SCENARIO``, ``--out PATH``.

    Typer would print a required argument as ``{scenario}`` in the usage line and each value's
    type in angle brackets beside its name.
    """

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """The usage line after the command's name: ``[OPTIONS] SCENARIO``."""
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = _argument_name(param)
                pieces.append(name if param.required else f"[{name}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """The arguments by name and the options with a plain value name, in two sections."""
        args: list[tuple[str, str]] = []
        opts: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if isinstance(param, TyperArgument):
                name = _argument_name(param)
                optional = "" if param.required else "  [optional]"
                args.append((name, (param.help or "") + optional))
            else:
                opts.append((_plain_type(record[0]), record[1]))
        for title, rows in (("Arguments", args), ("Options", opts)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def use_plain_help() -> None:
    """Make every registered command a :class:`Command` (called once all are registered)."""
    for info in app.registered_commands:
        # typer fills in its own class when a command names none
        if info.cls in (None, TyperCommand):
            info.cls = Command


class _Group(TyperGroup):
    """The command group, listing each command's whole first sentence (wrapped, not cut)."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [
            (name, cmd.get_short_help_str(limit=1000))
            for name in self.list_commands(ctx)
            if (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


app = typer.Typer(
    cls=_Group,
    name="ecosim",
    help="Simulate regional HPC-AI ecosystems and measure which sovereignty layer breaks first.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain click help, as git, pip and most command lines print it: paragraphs rewrapped to
    # the terminal, options as "-o, --out FILE", no boxes and no type column
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
err = Console(stderr=True, soft_wrap=True)
# without a terminal (logs, CI, pipes) rich would assume 80 columns and squeeze the table
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 110)

EXIT_OK, EXIT_RUN_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _print_version(given: bool) -> None:
    if given:
        from ecosim.api import ecosim_version

        out.print(f"ecosim {ecosim_version()}", highlight=False)
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_print_version,
            is_eager=True,
            help="Print the installed version of ecosim and exit.",
        ),
    ] = False,
) -> None:
    # the app's own options; each command is registered by its module
    pass


def fail_input(exc: InputError) -> typer.Exit:
    """Print a bad input's one-line message; the exit (code 2) for the caller to raise."""
    err.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


def refuse_to_replace(paths: list[Path], option: str, given: bool) -> None:
    """Refuse to replace results of an earlier command unless ``--force`` was given.

    Parameters
    ----------
    paths
        Files (or folders) the command is about to write.
    option
        The option that names where they go (``--out``).
    given
        Whether that option was given: without it, the hint offers it for another name.

    Raises
    ------
    InputError
        Naming the first of ``paths`` that exists, with the two ways on.
    """
    existing = [p for p in paths if p.exists()]
    if existing:
        other = f"{option} for another name, or " if not given else ""
        raise InputError(
            option,
            [],
            "a place with no earlier result",
            f"{existing[0]} already there",
            hint=f"pass {other}--force to replace it",
        )


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


def describe(label: str) -> str:
    """What a progress label says to a reader: ``"replicate 2/5: no-shock twin"``.

    Parameters
    ----------
    label
        A label of the studies' progress callbacks: ``"run"``, ``"twin"``, or a cell's label
        followed by one of them (``"replicate 2/5 twin"``, ``"portfolio build, replicate 1/3
        run"``).
    """
    what, _, which = label.rpartition(" ")
    plain = {"run": "run", "twin": "no-shock twin"}.get(which, which)
    return f"{what}: {plain}" if what else plain


class OverallProgress:
    """One bar for a whole command: the share of all its simulated time done, and what runs.

    Parameters
    ----------
    runs
        The simulations the command will make, twins included (each counts once).

    Each label's latest fraction is kept, so the bar stands at the sum of them over ``runs``:
    it moves with simulated time through every replicate and portfolio, whether they run one
    after another here or finish on workers in any order.
    """

    def __init__(self, runs: int) -> None:
        self.runs = max(runs, 1)
        self.done: dict[str, float] = {}
        self.description = "starting"

    def update(self, label: str, fraction: float) -> None:
        """Record that the run called ``label`` is ``fraction`` of the way through."""
        self.done[label] = max(self.done.get(label, 0.0), min(fraction, 1.0))
        what, _, which = label.rpartition(" ")
        pair = {"run": "twin", "twin": "run"}.get(which)
        other = (f"{what} {pair}" if what else pair) if pair is not None else None
        if other is None or other not in self.done:
            self.description = describe(label)
            return
        mine, theirs = self.done[label], self.done[other]
        if mine >= 1.0 and theirs >= 1.0:
            # after the run and its twin come the metrics: a few seconds with no steps to show
            self.description = f"{what}: metrics" if what else "metrics"
        elif mine < 1.0 and theirs < 1.0:
            # a run and its twin side by side (the twin in a process of its own)
            both = "run and no-shock twin"
            self.description = f"{what}: {both}" if what else both
        else:
            self.description = describe(label if mine < 1.0 else other)

    @property
    def fraction(self) -> float:
        """The share of all the command's simulated time done."""
        return min(sum(self.done.values()) / self.runs, 1.0)


def with_progress(job: Any, quiet: bool, runs: int = 1) -> Any:
    """Call ``job(callback)`` with a progress bar on a terminal, ``job(None)`` otherwise.

    Parameters
    ----------
    job
        Called with the callback of :class:`OverallProgress` (a label such as ``"run"``,
        ``"twin"`` or ``"replicate 2/5 twin"``, and the fraction of that run done).
    quiet
        No bar.
    runs
        The simulations ``job`` makes, twins included: the bar's whole length.
    """
    if quiet or not sys.stderr.isatty():
        return job(None)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    state = OverallProgress(runs)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        # redrawn at each report (a few a second) rather than by a refresh thread: a process
        # with a second thread does not fork, and a run forks its twin (ecosim.core.forked)
        auto_refresh=False,
    ) as bar:
        task = bar.add_task(state.description, total=1.0)

        def callback(label: str, fraction: float) -> None:
            state.update(label, fraction)
            bar.update(task, completed=state.fraction, description=state.description)
            bar.refresh()

        return job(callback)


def open_result(path: Path, option: str = "RESULT") -> Any:
    """Open a result file fully into memory, or raise InputError naming what is wrong."""
    import xarray as xr

    if not path.is_file():
        raise InputError(option, [], "an existing result file (.nc)", f"no file {path}")
    try:
        # read by the netCDF library: h5netcdf reads the same dataset, but its bookkeeping of
        # the dimensions costs about 1.5 s for a ten-year run's file, against 0.1 s
        with xr.open_dataset(path, engine="netcdf4") as ds:
            return ds.load()
    except (OSError, ValueError) as exc:
        raise InputError(path, [], "a NetCDF result written by ecosim", f"{exc}") from None
