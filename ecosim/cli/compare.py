"""``ecosim compare``: strategy portfolios, or counterfactuals of one scenario (layer priority,
alliances), under common random numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ecosim.cli import options as opt
from ecosim.cli import tables
from ecosim.cli.app import (
    app,
    err,
    fail_input,
    fail_output,
    fail_run,
    out,
    refuse_to_replace,
    warn,
    with_progress,
)
from ecosim.errors import InputError, OutputError

if TYPE_CHECKING:
    import xarray as xr

    #: A figure of a result: the function that draws it into a path, and its file's stem.
    Figure = tuple[Callable[[xr.Dataset, Path], list[Path]], str]


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
        typer.Argument(
            metavar="SCENARIO",
            help="Scenario files, one per portfolio (the first is the reference).",
        ),
    ],
    replicates: Annotated[
        int,
        typer.Option("--replicates", "-n", metavar="N", min=1, help="Replicates per portfolio."),
    ] = 1,
    budget: Annotated[
        float | None,
        typer.Option(
            metavar="USD",
            help="Largest median mean cost (USD/yr) a portfolio may have to be chosen.",
        ),
    ] = None,
    horizons: Annotated[
        str,
        typer.Option(metavar="YEARS", help="Years: RL accumulated up to 1 January of each."),
    ] = "2026,2028,2030",
    reference: Annotated[
        Path | None,
        typer.Option(
            metavar="SCENARIO",
            help="Scenario file gains are measured against (default: the first).",
        ),
    ] = None,
    regions: Annotated[
        list[str] | None,
        typer.Option(
            "--region",
            "--regions",
            metavar="REGIONS",
            help="Count only these regions' losses and costs (with --sovereignty-value or "
            "--alliance-gain: evaluate only these). Repeatable or comma-separated.",
        ),
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY.PATH=VALUE",
            help="Override a value of every portfolio. Repeatable.",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            metavar="INT", help="One seed for every portfolio (common random numbers).", min=0
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="DIR",
            help="Folder for the results and their figures (default outputs/compare).",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", "-f", help="Replace the results of an earlier compare in --out."),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    currency: Annotated[
        str,
        typer.Option(
            metavar="CODE",
            help="Show amounts in this currency (USD or EUR), at the dated rate "
            "calibration/defaults.yaml gives with its source; --budget stays in USD.",
        ),
    ] = "USD",
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
    workers: opt.Workers = 0,
    scheduler: opt.Scheduler = None,
    slurm: opt.SlurmFlag = False,
    jobs: opt.Jobs = 1,
    cores: opt.Cores = 1,
    memory: opt.Memory = "4GB",
    walltime: opt.Walltime = "01:00:00",
    partition: opt.Partition = None,
    interface: opt.Interface = None,
) -> None:
    """Compare strategy portfolios: resilience gained against cost, under common random numbers.

    The results go to --out (default outputs/compare): compare.nc and its figure. Results of an
    earlier compare there are never replaced silently: compare refuses (exit 2, nothing run)
    unless --force is given.

    Each scenario file is one portfolio; replicate k of every portfolio runs on the same random
    streams, so gains are paired per replicate. Prints gain (RL reduction vs the reference, days)
    and mean cost (USD/yr) with 5/50/95 % quantiles over replicates, the Pareto front, the
    minimax-regret choice within the budget, and gains at dated horizons. A portfolio is a
    scenario file; its dated lever actions (actions:) make it a roadmap.

    With --sovereignty-value and/or --alliance-gain, one scenario file is compared with
    counterfactual versions of itself on the same seed (see docs/model.md): it prints a table
    per analysis and writes sovereignty_value.nc / alliance_gain.nc and their figures in --out.

    The runs go to --workers, --scheduler or --slurm with the same results as in this process:
    each run's random streams depend only on the seed and its replicate.
    """
    from ecosim.scenario.loader import load_scenario
    from ecosim.studies.compare import Portfolio

    regions = _split_regions(regions)
    out_given = out_dir is not None
    out_dir = out_dir or _DEFAULT_OUT
    executor_options: dict[str, Any] = {
        "workers": workers,
        "scheduler": scheduler,
        "slurm": slurm,
        "jobs": jobs,
        "cores": cores,
        "memory": memory,
        "walltime": walltime,
        "partition": partition,
        "interface": interface,
    }
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
            out_given=out_given,
            force=force,
            quiet=quiet,
            executor_options=executor_options,
        )
        return

    try:
        money = tables.currency(currency)
        years = _parse_horizons(horizons)
        if budget is not None and budget <= 0:
            raise InputError("--budget", [], "a positive amount in USD per year", str(budget))
        loaded = [load_scenario(p, overrides or [], seed=seed) for p in scenarios]
        for each in loaded:
            warn(each.warnings)
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
        if not force:
            refuse_to_replace(_outputs(out_dir, ["compare"]), "--out", out_given)
        executor = opt.study_executor(**executor_options)
    except InputError as exc:
        raise fail_input(exc) from None
    _refuse_unwritable(out_dir)
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
    from ecosim.studies.compare import compare as run_compare
    from ecosim.viz.pareto import plot_cost_resilience, plot_gains_by_horizon

    try:
        with executor as ex:
            cmp = with_progress(
                lambda cb: run_compare(
                    portfolios,
                    replicates=replicates,
                    reference=ref,
                    budget=budget,
                    horizons=years,
                    regions=regions or None,
                    progress=cb,
                    executor=ex,
                ),
                quiet,
                # every portfolio has its no-shock twin (compare requires it)
                runs=2 * len(portfolios) * replicates,
            )
    except Exception as exc:
        fail_run(exc)
    target = out_dir / "compare.nc"
    drawn: list[Figure] = [(plot_cost_resilience, "compare_cost_resilience")]
    if cmp.sizes["horizon_year"]:
        drawn.append((plot_gains_by_horizon, "compare_gains_by_horizon"))
    figures = _write_result(cmp, target, drawn)
    tables.print_compare(out, cmp, money)
    out.print(
        f"[green]ok[/] {len(portfolios)} portfolios x {replicates} replicates; wrote {target}, "
        f"{', '.join(str(f) for f in figures)}",
        highlight=False,
    )


def _write_result(ds: xr.Dataset, target: Path, drawn: Sequence[Figure]) -> list[Path]:
    """Write ``ds`` to ``target`` and each figure ``(plot, stem)`` of ``drawn`` beside it.

    The figures are drawn into a staging folder and moved in together, as ``ecosim plot``
    writes them, so a full disk leaves no half-written picture; a failure to write either is
    one line and exit 1. Returns the figures' paths.
    """
    from ecosim.experiments.outputs import staged_folder
    from ecosim.observe.dataset import write_netcdf

    folder = target.parent
    try:
        write_netcdf(ds, target)
        with staged_folder(folder) as staging:
            paths = [p for plot, stem in drawn for p in plot(ds, staging / stem)]
    except OutputError as exc:
        fail_output(exc)
    return [folder / p.name for p in paths]


def _refuse_unwritable(out_dir: Path) -> None:
    """Exit 1, nothing run, when ``out_dir`` cannot take a file (as ``ecosim run`` refuses)."""
    from ecosim.experiments.outputs import check_writable

    try:
        check_writable(out_dir)
    except OutputError as exc:
        fail_output(exc)


def _outputs(out_dir: Path, stems: list[str]) -> list[Path]:
    """The files compare writes in ``out_dir``: each result and its figure (PNG and SVG)."""
    figures = {"compare": ["compare_cost_resilience", "compare_gains_by_horizon"]}
    return [
        out_dir / f"{name}{suffix}"
        for stem in stems
        for name, suffixes in (
            (stem, [".nc"]),
            *((figure, [".png", ".svg"]) for figure in figures.get(stem, [stem])),
        )
        for suffix in suffixes
    ]


def _split_regions(regions: list[str] | None) -> list[str] | None:
    """``--region`` values, each of which may list several regions separated by commas."""
    if not regions:
        return None
    return [r.strip() for text in regions for r in text.split(",") if r.strip()] or None


#: Where compare writes without --out.
_DEFAULT_OUT = Path("outputs/compare")

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
    out_given: bool,
    force: bool,
    quiet: bool,
    executor_options: dict[str, Any],
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
        warn(loaded.warnings)
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
        if not force:
            kinds = [
                k
                for k, on in (("sovereignty_value", sovereignty), ("alliance_gain", alliances))
                if on
            ]
            refuse_to_replace(_outputs(out_dir, kinds), "--out", out_given)
        executor = opt.study_executor(**executor_options)
    except InputError as exc:
        raise fail_input(exc) from None
    _refuse_unwritable(out_dir)

    def progress(done: int, total: int, label: str) -> None:
        err.print(f"[{done}/{total}] {label}", highlight=False)

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
        with executor as ex:
            runner = Runner(
                scenarios[0],
                tuple(overrides),
                seed,
                replicates,
                None if quiet else progress,
                total,
                executor=ex,
            )
            # both analyses share the runner, so the baseline runs once
            if sovereignty:
                results.append(run_sovereignty_value(scenarios[0], regions=chosen, runner=runner))
            if alliances:
                results.append(run_alliance_gain(scenarios[0], regions=chosen, runner=runner))
    except Exception as exc:
        fail_run(exc)
    written: list[str] = []
    for ds in results:
        kind = str(ds.attrs["ecosim_kind"])
        target = out_dir / f"{kind}.nc"
        plot = plot_sovereignty_value if kind == "sovereignty_value" else plot_alliance_gain
        figures = _write_result(ds, target, [(plot, kind)])
        if kind == "sovereignty_value":
            tables.print_sovereignty(out, ds)
        else:
            tables.print_alliances(out, ds)
        written += [str(target), *(str(f) for f in figures)]
    out.print(
        f"[green]ok[/] {runner.done} runs, each with its no-shock twin; wrote {', '.join(written)}",
        highlight=False,
    )
