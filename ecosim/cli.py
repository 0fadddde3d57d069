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
    replicates: Annotated[
        int,
        typer.Option(
            "--replicates",
            "-n",
            min=1,
            help="Run replicates 0..N-1 (other random streams, same assumptions) and stack them "
            "along a 'replicate' dimension with quantiles of every metric.",
        ),
    ] = 1,
) -> None:
    """Run one scenario and its no-shock twin; write results and print the bottleneck matrix.

    With --replicates N the matrix is the replicate mean of the resilience loss normalised over
    each region's layers, with the probability that the most fragile layer is the most fragile.
    """
    from ecosim.scenario.loader import load_scenario

    try:
        loaded = load_scenario(scenario, overrides or [], seed=seed)
        target = out_path or Path("outputs") / f"{loaded.scenario.name}.nc"
        _check_out_path(target)
    except InputError as exc:
        raise _fail_input(exc) from None

    from ecosim.api import simulate
    from ecosim.observe.dataset import write_netcdf
    from ecosim.studies.replicates import run_replicates

    try:
        if replicates == 1:
            ds = _with_progress(lambda cb: simulate(loaded, progress=cb), quiet)
        else:
            ds = _with_progress(lambda cb: run_replicates(loaded, replicates, progress=cb), quiet)
    except Exception as exc:
        err.print(f"[bold red]run failed:[/] {type(exc).__name__}: {exc}", highlight=False)
        raise typer.Exit(EXIT_RUN_FAILED) from None
    write_netcdf(ds, target)
    written = [str(target)]
    if figure and "bottleneck" in ds:
        from ecosim.observe.summary import bottleneck_view
        from ecosim.viz.bottleneck import plot_bottleneck

        png = target.with_name(f"{target.stem}_bottleneck.png")
        plot_bottleneck(bottleneck_view(ds), png)
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


def _print_bottleneck(result: Any) -> None:
    if "bottleneck" not in result:
        out.print("no bottleneck matrix: the run has no no-shock twin (recording.twin: false)")
        return
    from ecosim.observe.summary import bottleneck_view

    ds = bottleneck_view(result)
    n = int(ds.attrs.get("replicates", 1))
    over = f"replicate mean of {n}; " if n > 1 else ""
    layers = [str(x) for x in ds["layer"].values]
    table = Table(
        title=f"Bottleneck matrix (share of each region's resilience loss; {over}shocks: "
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
    p = ds["p_most_fragile"].transpose("region", "layer").values
    for i, region in enumerate(ds["region"].values):
        cells = [f"{v:.0%}" for v in share[i]]
        fragile = str(ds["most_fragile_layer"].values[i])
        if n > 1 and fragile in layers:
            fragile += f" (P={p[i, layers.index(fragile)]:.0%})"
        table.add_row(str(region), *cells, f"{rl[i].sum():.2f}", fragile)
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
    episodes: Annotated[
        bool,
        typer.Option(
            "--episodes",
            help="Run the historical episodes and analytic checks (the default "
            "without a scenario or --provenance); exit 1 if any check fails.",
        ),
    ] = False,
    episode: Annotated[
        list[str] | None,
        typer.Option("--episode", help="Only this episode (name or directory). Repeatable."),
    ] = None,
) -> None:
    """Check a scenario file without running it, list the assumptions behind the defaults, or
    (with no scenario) compare the model with historical episodes and closed forms.
    """
    from ecosim.report.provenance import assumption_entries
    from ecosim.scenario.loader import load_scenario

    if provenance:
        share = assumption_entries()
        assumed = share.assumed
        table = Table(title="Defaults resting on assumptions", title_justify="left")
        # keys are what a user greps and copies into --set: never wrapped or cut
        table.add_column("key", no_wrap=True)
        table.add_column("value", no_wrap=True)
        table.add_column("reason", overflow="fold")
        for e in assumed:
            table.add_row(e.path, str(e.value), e.assumption or "")
        out.print(table)
        out.print(share.sentence())
    if episodes or episode or (scenario is None and not provenance):
        from ecosim.calibrate.cli import run_validation

        try:
            code = run_validation(out, episode)
        except InputError as exc:
            raise _fail_input(exc) from None
        if code != EXIT_OK or scenario is None:
            raise typer.Exit(code)
    if scenario is None:
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


from ecosim.experiments.cli import register as _register_experiments  # noqa: E402

_register_experiments(app)

from ecosim.calibrate.cli import register as _register_calibrate  # noqa: E402

_register_calibrate(app)


def _open_result(path: Path, option: str = "RESULT") -> Any:
    """Open a result file fully into memory, or raise InputError naming what is wrong."""
    import xarray as xr

    if not path.is_file():
        raise InputError(option, [], "an existing result file (.nc)", f"no file {path}")
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            return ds.load()
    except (OSError, ValueError) as exc:
        raise InputError(path, [], "a NetCDF result written by ecosim", f"{exc}") from None


def _parse_horizons(text: str) -> list[int]:
    try:
        years = [int(y) for y in text.split(",") if y.strip()]
    except ValueError:
        raise InputError(
            "--horizons", [], "years separated by commas, e.g. 2026,2028", text
        ) from None
    if not years or any(y < 1900 or y > 2200 for y in years):
        raise InputError("--horizons", [], "years between 1900 and 2200", text)
    return sorted(set(years))


@app.command(
    epilog="Example: ecosim compare scenarios/baseline.yaml my_build.yaml --replicates 5 "
    "--budget 2e11 --horizons 2026,2028,2030 --out outputs/compare. "
    "Layer priority and alliances of one scenario: ecosim compare scenarios/baseline.yaml "
    "--sovereignty-value --alliance-gain --regions EU,US",
)
def compare(
    scenarios: Annotated[
        list[Path],
        typer.Argument(help="Scenario files, one per portfolio (the first is the reference)."),
    ],
    replicates: Annotated[
        int, typer.Option("--replicates", "-n", min=1, help="Replicates per portfolio.")
    ] = 1,
    budget: Annotated[
        float | None,
        typer.Option(help="Largest median mean cost (USD/yr) a portfolio may have to be chosen."),
    ] = None,
    horizons: Annotated[
        str, typer.Option(help="Years: RL accumulated up to 1 January of each.")
    ] = "2026,2028,2030",
    reference: Annotated[
        Path | None,
        typer.Option(help="Scenario file gains are measured against (default: the first)."),
    ] = None,
    regions: Annotated[
        list[str] | None,
        typer.Option(
            "--region",
            "--regions",
            help="Count only these regions' losses and costs (with --sovereignty-value or "
            "--alliance-gain: evaluate only these). Repeatable or comma-separated.",
        ),
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", help="KEY.PATH=VALUE applied to every portfolio. Repeatable."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(help="One seed for every portfolio (common random numbers).", min=0),
    ] = None,
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Directory for compare.nc and the figure.")
    ] = Path("outputs/compare"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    sovereignty_value: Annotated[
        bool,
        typer.Option(
            "--sovereignty-value",
            help="With one scenario file: for each region and layer, the resilience gained and "
            "the yearly cost of replacing the layer's foreign dependencies by domestic supply "
            "(one run per region x layer x replicate).",
        ),
    ] = False,
    alliance_gain: Annotated[
        bool,
        typer.Option(
            "--alliance-gain",
            help="With one scenario file: the resilience each region gains from a "
            "capacity-sharing alliance with each other region (one run per pair x replicate).",
        ),
    ] = False,
) -> None:
    """Compare strategy portfolios: resilience gained against cost, under common random numbers.

    Each scenario file is one portfolio; replicate k of every portfolio runs on the same random
    streams, so gains are paired per replicate. Prints gain (RL reduction vs the reference, days)
    and mean cost (USD/yr) with 5/50/95 % quantiles over replicates, the Pareto front, the
    minimax-regret choice within the budget, and gains at dated horizons. A portfolio is a
    scenario file; its dated lever actions (``actions:``) make it a roadmap.

    With --sovereignty-value and/or --alliance-gain, one scenario file is compared with
    counterfactual versions of itself on the same seed (see docs/model.md): it prints a table
    per analysis and writes sovereignty_value.nc / alliance_gain.nc and their figures in --out.
    """
    from ecosim.scenario.loader import load_scenario
    from ecosim.studies.compare import Portfolio

    regions = _split_regions(regions)
    if sovereignty_value or alliance_gain:
        _compare_counterfactuals(
            scenarios,
            sovereignty=sovereignty_value,
            alliances=alliance_gain,
            replicates=replicates,
            budget=budget,
            horizons=horizons,
            reference=reference,
            regions=regions,
            overrides=overrides or [],
            seed=seed,
            out_dir=out_dir,
            quiet=quiet,
        )
        return

    try:
        years = _parse_horizons(horizons)
        if budget is not None and budget <= 0:
            raise InputError("--budget", [], "a positive amount in USD per year", str(budget))
        loaded = [load_scenario(p, overrides or [], seed=seed) for p in scenarios]
        ref = 0
        if reference is not None:
            matches = [i for i, p in enumerate(scenarios) if p.resolve() == reference.resolve()]
            if not matches:
                raise InputError(
                    "--reference", [], "one of the scenario files given", str(reference)
                )
            ref = matches[0]
        known = set(loaded[0].scenario.regions)
        for r in regions or []:
            if r not in known:
                raise InputError("--region", [], f"one of {sorted(known)}", r)
        if out_dir.exists() and not out_dir.is_dir():
            raise InputError("--out", [], "a directory", f"the file {out_dir}")
    except InputError as exc:
        raise _fail_input(exc) from None
    names = [ls.scenario.name for ls in loaded]
    if len(set(names)) < len(names):
        names = [p.stem for p in scenarios]
    if len(set(names)) < len(names):
        names = [f"{i}:{n}" for i, n in enumerate(names)]
    seeds = {ls.scenario.seed for ls in loaded}
    if len(seeds) > 1:
        err.print(
            "[yellow]warning:[/] the portfolios have different seeds "
            f"({', '.join(map(str, sorted(seeds)))}), so they do not share random streams; "
            "pass --seed to compare them under common random numbers",
            highlight=False,
        )
    portfolios = [
        Portfolio(n, ls, str(p)) for n, ls, p in zip(names, loaded, scenarios, strict=True)
    ]
    from ecosim.observe.dataset import write_netcdf
    from ecosim.studies.compare import compare as run_compare
    from ecosim.viz.pareto import plot_cost_resilience

    try:
        cmp = _with_progress(
            lambda cb: run_compare(
                portfolios,
                replicates=replicates,
                reference=ref,
                budget=budget,
                horizons=years,
                regions=regions or None,
                progress=cb,
            ),
            quiet,
        )
    except Exception as exc:
        err.print(f"[bold red]run failed:[/] {type(exc).__name__}: {exc}", highlight=False)
        raise typer.Exit(EXIT_RUN_FAILED) from None
    target = out_dir / "compare.nc"
    write_netcdf(cmp, target)
    figures = plot_cost_resilience(cmp, out_dir / "compare_cost_resilience")
    _print_compare(cmp)
    out.print(
        f"[green]ok[/] {len(portfolios)} portfolios x {replicates} replicates; wrote {target}, "
        f"{', '.join(str(f) for f in figures)}",
        highlight=False,
    )


def _split_regions(regions: list[str] | None) -> list[str] | None:
    """``--region`` values, each of which may list several regions separated by commas."""
    if not regions:
        return None
    return [r.strip() for text in regions for r in text.split(",") if r.strip()] or None


#: The --horizons default, to tell whether it was given with a counterfactual flag.
_DEFAULT_HORIZONS = "2026,2028,2030"


def _compare_counterfactuals(
    scenarios: list[Path],
    *,
    sovereignty: bool,
    alliances: bool,
    replicates: int,
    budget: float | None,
    horizons: str,
    reference: Path | None,
    regions: list[str] | None,
    overrides: list[str],
    seed: int | None,
    out_dir: Path,
    quiet: bool,
) -> None:
    """``compare --sovereignty-value`` / ``--alliance-gain``: counterfactuals of one scenario."""
    from ecosim.scenario.loader import load_scenario
    from ecosim.scenario.models import LAYERS
    from ecosim.studies.counterfactuals import (
        Runner,
        alliance_run_count,
        sovereignty_run_count,
    )

    flags = " and ".join(
        f for f, on in (("--sovereignty-value", sovereignty), ("--alliance-gain", alliances)) if on
    )
    try:
        if len(scenarios) != 1:
            raise InputError(
                flags, [], "exactly one scenario file", f"{len(scenarios)} scenario files"
            )
        for option, given in (
            ("--budget", None if budget is None else str(budget)),
            ("--reference", None if reference is None else str(reference)),
            ("--horizons", None if horizons == _DEFAULT_HORIZONS else horizons),
        ):
            if given is not None:
                raise InputError(
                    option, [], f"no {option} with {flags} (it is for portfolios)", given
                )
        loaded = load_scenario(scenarios[0], overrides, seed=seed)
        names = loaded.scenario.region_names
        for r in regions or []:
            if r not in names:
                raise InputError("--region", [], f"one of {sorted(names)}", r)
        chosen = [r for r in names if regions is None or r in regions]
        if alliances and len(chosen) < 2:
            raise InputError("--alliance-gain", [], "at least two regions", ", ".join(chosen))
        if not loaded.scenario.recording.twin:
            raise InputError(
                "recording.twin", [], "true (resilience loss needs the no-shock twin)", "false"
            )
        if out_dir.exists() and not out_dir.is_dir():
            raise InputError("--out", [], "a directory", f"the file {out_dir}")
    except InputError as exc:
        raise _fail_input(exc) from None

    def progress(done: int, total: int, label: str) -> None:
        err.print(f"[{done}/{total}] {label}", highlight=False)

    from ecosim.observe.dataset import write_netcdf
    from ecosim.studies.counterfactuals import alliance_gain as run_alliance_gain
    from ecosim.studies.counterfactuals import sovereignty_value as run_sovereignty_value
    from ecosim.viz.counterfactuals import plot_alliance_gain, plot_sovereignty_value

    total = replicates
    if sovereignty:
        total += sovereignty_run_count(len(chosen), len(LAYERS), replicates)
    if alliances:
        total += alliance_run_count(len(chosen), replicates)
    results = []
    try:
        runner = Runner(
            scenarios[0], tuple(overrides), seed, replicates, None if quiet else progress, total
        )
        # both analyses share the runner, so the baseline runs once
        if sovereignty:
            results.append(run_sovereignty_value(scenarios[0], regions=chosen, runner=runner))
        if alliances:
            results.append(run_alliance_gain(scenarios[0], regions=chosen, runner=runner))
    except Exception as exc:
        err.print(f"[bold red]run failed:[/] {type(exc).__name__}: {exc}", highlight=False)
        raise typer.Exit(EXIT_RUN_FAILED) from None
    written: list[str] = []
    for ds in results:
        kind = str(ds.attrs["ecosim_kind"])
        target = out_dir / f"{kind}.nc"
        write_netcdf(ds, target)
        if kind == "sovereignty_value":
            figures = plot_sovereignty_value(ds, out_dir / kind)
            _print_sovereignty(ds)
        else:
            figures = plot_alliance_gain(ds, out_dir / kind)
            _print_alliances(ds)
        written += [str(target), *(str(f) for f in figures)]
    out.print(
        f"[green]ok[/] {runner.done} runs, each with its no-shock twin; wrote {', '.join(written)}",
        highlight=False,
    )


def _print_sovereignty(ds: Any) -> None:
    layers = [str(x) for x in ds["layer"].values]
    table = Table(
        title="Layer priority: resilience gained (d) and change in yearly spending (bn USD/yr) "
        f"when the layer is made domestic; mean of {ds.attrs['replicates']} replicate(s), shocks: "
        f"{ds.attrs.get('shocks', 'none')}",
        title_justify="left",
    )
    table.add_column("region")
    table.add_column("baseline RL (d)", justify="right")
    for layer in layers:
        table.add_column(layer, justify="right")
    table.add_column("top layer")
    value = ds["sovereignty_value"].transpose("region", "layer").values
    cost = ds["sovereignty_cost"].transpose("region", "layer").values
    per = ds["sovereignty_value_per_cost"].transpose("region", "layer").values
    flag = ds["sovereignty_value_per_cost_flag"].transpose("region", "layer").values
    for i, region in enumerate(ds["region"].values):
        cells = [f"{value[i, j]:.2f} d\n{cost[i, j] / 1e9:+.3f} bn" for j in range(len(layers))]
        top = "-"
        j = int(value[i].argmax())
        # a gain that rounds to 0.00 d in the table is not a priority
        if value[i, j] >= 0.005:
            ratio = f"{per[i, j]:.3g} d per bn/yr" if flag[i, j] == 0 else "no extra cost"
            top = f"{layers[j]}\n({ratio})"
        table.add_row(str(region), f"{float(ds['rl_baseline'].values[i]):.2f}", *cells, top)
    out.print(table)


def _print_alliances(ds: Any) -> None:
    partners = [str(p) for p in ds["partner"].values]
    table = Table(
        title="Alliance gain: resilience (d) each region (row) gains from a capacity-sharing "
        f"alliance with each partner (column); mean of {ds.attrs['replicates']} replicate(s), "
        f"shocks: {ds.attrs.get('shocks', 'none')}",
        title_justify="left",
    )
    table.add_column("region")
    table.add_column("baseline RL (d)", justify="right")
    for p in partners:
        table.add_column(p, justify="right")
    gain = ds["alliance_gain"].transpose("region", "partner").values
    for i, region in enumerate(ds["region"].values):
        cells = ["-" if i == j else f"{gain[i, j]:.2f}" for j in range(len(partners))]
        table.add_row(str(region), f"{float(ds['rl_baseline'].values[i]):.2f}", *cells)
    out.print(table)


def _print_compare(cmp: Any) -> None:
    table = Table(
        title=f"Portfolios vs {cmp.attrs['reference']}: resilience gained (RL reduction, days) "
        f"and mean cost, median [5 %, 95 %] over {cmp.attrs['replicates']} replicate(s)",
        title_justify="left",
    )
    table.add_column("portfolio")
    table.add_column("gain, whole run (d)", justify="right")
    for year in cmp["horizon_year"].values:
        table.add_column(f"gain to {int(year)} (d)", justify="right")
    table.add_column("cost (bn USD/yr)", justify="right")
    table.add_column("regret (d)", justify="right")
    table.add_column("")
    for i, name in enumerate(cmp["portfolio"].values):
        g = cmp["gain_q"].values[i]
        c = cmp["cost_q"].values[i] / 1e9
        cells = [f"{g[1]:.2f} [{g[0]:.2f}, {g[2]:.2f}]"]
        for h in range(cmp.sizes["horizon_year"]):
            gh = cmp["gain_at_horizon_q"].values[i, h]
            cells.append(f"{gh[1]:.2f}")
        regret = float(cmp["regret"].values[i])
        marks = []
        if bool(cmp["pareto"].values[i]):
            marks.append("Pareto")
        if str(name) == cmp.attrs["minimax_regret_choice"]:
            marks.append("minimax-regret choice")
        if not bool(cmp["within_budget"].values[i]):
            marks.append("over budget")
        table.add_row(
            str(name),
            *cells,
            f"{c[1]:.2f} [{c[0]:.2f}, {c[2]:.2f}]",
            "-" if regret < 0 else f"{regret:.2f}",
            ", ".join(marks),
        )
    out.print(table)
    if cmp.attrs.get("horizons_skipped", "none") != "none":
        out.print(f"horizons outside the run, left out: {cmp.attrs['horizons_skipped']}")
    out.print(f"Minimax-regret choice: {cmp.attrs['minimax_regret_choice']}", highlight=False)


@app.command(epilog="Example: ecosim plot outputs/baseline.nc --out outputs/figures")
def plot(
    result: Annotated[Path, typer.Argument(help="Result of ecosim run or ecosim compare.")],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Directory for the figures (default: beside RESULT)."),
    ] = None,
) -> None:
    """Write every figure of a result as PNG and SVG.

    For a run: the bottleneck heatmap, share of demand met per layer with the compute shortfall
    and shock markers (replicate bands), market shares per region and lead times. For a
    comparison: resilience gained against cost with the Pareto front.
    """
    try:
        ds = _open_result(result)
        target = out_dir or result.parent
        if target.exists() and not target.is_dir():
            raise InputError("--out", [], "a directory", f"the file {target}")
        known = ("service", "sovereignty_value", "alliance_gain")
        if ds.attrs.get("ecosim_kind") != "compare" and not any(k in ds for k in known):
            raise InputError(result, [], "a result of ecosim run or compare", "no 'service'")
    except InputError as exc:
        raise _fail_input(exc) from None
    from ecosim.viz import write_figures

    written = write_figures(ds, target, result.stem)
    out.print(f"[green]ok[/] wrote {len(written)} files to {target}", highlight=False)


@app.command(epilog="Example: ecosim report outputs/baseline.nc --out outputs/baseline.html")
def report(
    result: Annotated[Path, typer.Argument(help="Result of ecosim run (.nc).")],
    out_path: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="HTML file to write (default: RESULT with .html)."),
    ] = None,
    compare_path: Annotated[
        Path | None,
        typer.Option("--compare", help="Also show a comparison written by ecosim compare."),
    ] = None,
) -> None:
    """Write one self-contained HTML report: results if the shocks happen, then figures, then
    probabilities over replicates, then provenance (version, scenario hash, assumption share).
    """
    try:
        ds = _open_result(result)
        if "service" not in ds:
            raise InputError(result, [], "a result of ecosim run", "no 'service' variable")
        cmp = _open_result(compare_path, "--compare") if compare_path else None
        if cmp is not None and cmp.attrs.get("ecosim_kind") != "compare":
            raise InputError("--compare", [], "a result of ecosim compare", str(compare_path))
        target = out_path or result.with_suffix(".html")
        if target.suffix.lower() not in {".html", ".htm"}:
            raise InputError("--out", [], "an HTML file name ending in .html", str(target))
        if target.exists() and target.is_dir():
            raise InputError("--out", [], "a file path", f"the directory {target}")
    except InputError as exc:
        raise _fail_input(exc) from None
    from ecosim.report import write_report

    write_report(ds, target, cmp)
    out.print(f"[green]ok[/] wrote {target}", highlight=False)


def main() -> None:
    """Entry point of the ``ecosim`` console script."""
    app()


if __name__ == "__main__":
    main()
