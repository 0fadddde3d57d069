"""The ``ecosim`` command.

Exit codes: 0 ok, 1 the run failed, 2 bad input (scenario file, flag or store). A user mistake
never shows a traceback and never leaves a half-written output file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ecosim.errors import InputError

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


def _fail_input(exc: InputError) -> typer.Exit:
    err.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


def _check_out_path(path: Path) -> None:
    if path.exists() and path.is_dir():
        raise InputError("--out", [], "a file path", f"the directory {path}")
    if path.suffix.lower() not in {".nc", ".nc4", ".netcdf"}:
        raise InputError("--out", [], "a NetCDF file name ending in .nc", str(path))
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not _writable(parent):
        raise InputError("--out", [], "a location you can write to", str(path.parent))


def _writable(path: Path) -> bool:
    import os

    return os.access(path, os.W_OK)


@app.command(
    epilog="Example: ecosim run scenarios/baseline.yaml --out outputs/baseline.nc "
    "--set regions.EU.levers.build_share=0.6",
)
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    out_path: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="NetCDF file to write (default outputs/<name>.nc)."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Replace the scenario's seed.", min=0)] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a value: KEY.PATH=VALUE (shocks by id). Repeatable."),
    ] = None,
    figure: Annotated[bool, typer.Option(help="Also write the bottleneck heatmap PNG.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run one scenario and its no-shock twin; write results and print the bottleneck matrix."""
    from ecosim.scenario.loader import load_scenario

    try:
        loaded = load_scenario(scenario, overrides or [], seed=seed)
        target = out_path or Path("outputs") / f"{loaded.scenario.name}.nc"
        _check_out_path(target)
    except InputError as exc:
        raise _fail_input(exc) from None

    from ecosim.api import simulate
    from ecosim.observe.dataset import write_netcdf

    try:
        ds = _with_progress(lambda cb: simulate(loaded, progress=cb), quiet)
    except Exception as exc:
        err.print(f"[bold red]run failed:[/] {type(exc).__name__}: {exc}", highlight=False)
        raise typer.Exit(EXIT_RUN_FAILED) from None
    write_netcdf(ds, target)
    written = [str(target)]
    if figure and "bottleneck" in ds:
        from ecosim.viz.bottleneck import plot_bottleneck

        png = target.with_name(f"{target.stem}_bottleneck.png")
        plot_bottleneck(ds, png)
        written.append(str(png))
    _print_bottleneck(ds)
    out.print(
        f"[green]ok[/] {loaded.scenario.name}: {len(ds.region)} regions, "
        f"{ds.attrs['wall_time_s']:.1f} s; wrote {', '.join(written)}",
        highlight=False,
    )


def _with_progress(job: Any, quiet: bool) -> Any:
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


def _print_bottleneck(ds: Any) -> None:
    if "bottleneck" not in ds:
        out.print("no bottleneck matrix: the run has no no-shock twin (recording.twin: false)")
        return
    layers = [str(x) for x in ds["layer"].values]
    table = Table(
        title=f"Bottleneck matrix (share of each region's resilience loss; shocks: "
        f"{ds.attrs.get('shocks', 'none')})",
        title_justify="left",
    )
    table.add_column("region")
    for layer in layers:
        table.add_column(layer, justify="right")
    table.add_column("RL total (d)", justify="right")
    table.add_column("most fragile")
    share = ds["bottleneck"].transpose("region", "layer").values
    rl = ds["resilience_loss"].transpose("region", "layer").values
    for i, region in enumerate(ds["region"].values):
        cells = [f"{v:.0%}" for v in share[i]]
        table.add_row(
            str(region), *cells, f"{rl[i].sum():.2f}", str(ds["most_fragile_layer"].values[i])
        )
    out.print(table)
    fragile = ", ".join(
        f"{r}: {f}"
        for r, f in zip(ds["region"].values, ds["most_fragile_layer"].values, strict=True)
    )
    out.print(f"Most fragile layer per region: {fragile}", highlight=False)


@app.command(epilog="Example: ecosim schema > ecosim.schema.json")
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor completion)."""
    from ecosim.scenario.models import Scenario

    out.print_json(json.dumps(Scenario.model_json_schema()))


@app.command(epilog="Example: ecosim validate scenarios/baseline.yaml --set seed=7")
def validate(
    scenario: Annotated[Path | None, typer.Argument(help="Scenario file to check.")] = None,
    overrides: Annotated[list[str] | None, typer.Option("--set", help="KEY.PATH=VALUE")] = None,
    provenance: Annotated[
        bool, typer.Option(help="List every default that is an assumption, with its reason.")
    ] = False,
) -> None:
    """Check a scenario file without running it, or list the assumptions behind the defaults."""
    from ecosim.scenario.defaults import iter_provenance, load_defaults_raw
    from ecosim.scenario.loader import load_scenario

    if provenance:
        entries = list(iter_provenance(load_defaults_raw()))
        numeric = [
            e
            for e in entries
            if isinstance(e.value, int | float | list) and not isinstance(e.value, bool)
        ]
        assumed = [e for e in numeric if not e.fact]
        table = Table(title="Defaults resting on assumptions", title_justify="left")
        table.add_column("key")
        table.add_column("value")
        table.add_column("reason")
        for e in assumed:
            table.add_row(e.path, str(e.value), e.assumption or "")
        out.print(table)
        out.print(
            f"{len(assumed)} of {len(numeric)} default numbers are assumptions "
            f"({len(assumed) / max(len(numeric), 1):.0%}); the rest cite calibration/facts.csv."
        )
    if scenario is None:
        if not provenance:
            err.print("[bold red]error:[/] give a scenario file, or --provenance")
            raise typer.Exit(EXIT_BAD_INPUT)
        return
    try:
        loaded = load_scenario(scenario, overrides or [])
    except InputError as exc:
        raise _fail_input(exc) from None
    s = loaded.scenario
    out.print(
        f"[green]ok[/] {scenario}: {len(s.regions)} regions, {len(s.suppliers)} suppliers, "
        f"{len(s.shocks)} shocks, sha256 {loaded.sha256[:12]}",
        highlight=False,
    )


def main() -> None:
    """Entry point of the ``ecosim`` console script."""
    app()


if __name__ == "__main__":
    main()
