"""``ecosim run``: one scenario, or its replicates, against the no-shock twin.

Writes the result and prints the bottleneck matrix.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ecosim.cli import options as opt
from ecosim.cli import tables
from ecosim.cli.app import (
    app,
    fail_input,
    fail_output,
    fail_run,
    out,
    refuse_to_replace,
    warn,
    with_progress,
)
from ecosim.core import forked
from ecosim.errors import InputError, OutputError
from ecosim.experiments.outputs import check_writable

if TYPE_CHECKING:
    import xarray as xr


def _check_out_path(path: Path) -> None:
    if path.exists() and path.is_dir():
        raise InputError("--out", [], "a file path", f"the directory {path}")
    if path.suffix.lower() not in {".nc", ".nc4", ".netcdf"}:
        raise InputError("--out", [], "a NetCDF file name ending in .nc", str(path))


@app.command(
    epilog="Example: ecosim run scenarios/baseline.yaml --out outputs/eu_build.nc "
    "--set regions.EU.levers.build_share=0.6",
)
def run(
    scenario: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.")],
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="FILE",
            help="NetCDF file to write (default outputs/<scenario name>.nc).",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", "-f", help="Replace the result (and heatmap) of an earlier run there."
        ),
    ] = False,
    seed: Annotated[
        int | None, typer.Option(metavar="INT", help="Replace the scenario's seed.", min=0)
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY.PATH=VALUE",
            help="Override a value of the scenario (shocks by id). Repeatable.",
        ),
    ] = None,
    figure: Annotated[
        bool, typer.Option("--figure/--no-figure", help="Also write the bottleneck heatmap PNG.")
    ] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    replicates: Annotated[
        int,
        typer.Option(
            "--replicates",
            "-n",
            metavar="N",
            min=1,
            help="Run replicates 0..N-1 (other random streams, same assumptions) and stack them "
            "along a 'replicate' dimension with quantiles of every metric.",
        ),
    ] = 1,
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
    """Run one scenario and its no-shock twin; write the result and print the bottleneck matrix.

    The result goes to --out, or to outputs/<scenario name>.nc. An earlier result there is
    never replaced silently: run refuses (exit 2, nothing run) unless --force is given.

    With --replicates N the matrix is the replicate mean of each region's resilience loss split
    over its layers, and each region's most fragile layer is shown with P, the share of
    replicates in which that layer is the most fragile. The replicates run on --workers,
    --scheduler or --slurm with the same results as in this process.
    """
    from ecosim.scenario.loader import load_scenario

    try:
        loaded = load_scenario(scenario, overrides or [], seed=seed)
        warn(loaded.warnings)
        target = out_path or Path("outputs") / f"{loaded.scenario.name}.nc"
        _check_out_path(target)
        if not force:
            heatmap = [_heatmap_path(target)] if figure else []
            refuse_to_replace([target, *heatmap], "--out", given=out_path is not None)
        executor = opt.study_executor(
            workers=workers,
            scheduler=scheduler,
            slurm=slurm,
            jobs=jobs,
            cores=cores,
            memory=memory,
            walltime=walltime,
            partition=partition,
            interface=interface,
        )
    except InputError as exc:
        raise fail_input(exc) from None
    try:
        # refused before the run, as the other writing commands do: exit 1, an output failure
        check_writable(target)
    except OutputError as exc:
        fail_output(exc)

    from ecosim.observe.chains import chain_summaries
    from ecosim.observe.dataset import write_atomically, write_netcdf
    from ecosim.studies.replicates import run_one, run_replicates

    try:
        runs = replicates * (2 if loaded.scenario.recording.twin else 1)
        with executor as ex:
            if replicates == 1:
                ds = with_progress(
                    lambda cb: run_one(loaded, progress=cb, executor=ex), quiet, runs
                )
            else:
                ds = with_progress(
                    lambda cb: run_replicates(loaded, replicates, progress=cb, executor=ex),
                    quiet,
                    runs,
                )
    except Exception as exc:
        fail_run(exc)
    drawing = _Heatmap(ds) if figure and "bottleneck" in ds else None
    written = [str(target)]
    try:
        write_netcdf(ds, target)
        if drawing is not None:
            png = _heatmap_path(target)
            write_atomically(drawing(), png)
            written.append(str(png))
    except OutputError as exc:
        fail_output(exc)
    finally:
        if drawing is not None:
            drawing.cancel()
    tables.print_bottleneck(out, ds)
    tables.print_chains(out, chain_summaries(ds, loaded.scenario))
    out.print(
        f"[green]ok[/] {loaded.scenario.name}: {len(ds.region)} regions, "
        f"{ds.attrs['wall_time_s']:.1f} s; wrote {', '.join(written)}",
        highlight=False,
    )


class _Heatmap:
    """The bottleneck heatmap of a result, drawn while the result is being written.

    Writing a ten-year result takes about 1.2 s (most of it compressing) and drawing its
    heatmap about 1.7 s (0.7 s of it importing matplotlib), one core each: where
    :func:`ecosim.core.forked.can_fork` allows, a forked child draws the picture into bytes
    while this process writes the file. This process writes both files, the picture only
    once the result is written, so a failed write leaves no picture behind, as before.
    """

    def __init__(self, ds: xr.Dataset) -> None:
        from ecosim.observe.summary import bottleneck_view

        self._view = bottleneck_view(ds)
        self._child = forked.start(self._draw) if forked.can_fork() else None

    def _draw(self, _send: forked.Send | None = None) -> bytes:
        from ecosim.viz.bottleneck import bottleneck_image

        return bottleneck_image(self._view)

    def __call__(self) -> bytes:
        """The PNG's bytes, waited for (or drawn here, where no child draws them)."""
        if self._child is None:
            return self._draw()
        image = self._child.wait(lambda _: None)
        assert image is not None  # no cancel callback: only a result or an exception
        return image

    def cancel(self) -> None:
        """Stop the child if it still draws (the write failed); reap it either way."""
        if self._child is not None:
            self._child.kill()


def _heatmap_path(target: Path) -> Path:
    """Where ``run`` writes the bottleneck heatmap of the result ``target``."""
    return target.with_name(f"{target.stem}_bottleneck.png")
