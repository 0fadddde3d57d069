"""``ecosim plot``: every figure of a result, as PNG and SVG."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecosim.cli.app import app, fail_input, fail_output, open_result, out
from ecosim.errors import InputError, OutputError


@app.command(epilog="Example: ecosim plot outputs/baseline.nc --out outputs/figures")
def plot(
    result: Annotated[
        Path, typer.Argument(metavar="RESULT", help="Result of ecosim run or ecosim compare.")
    ],
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="DIR",
            help="Folder for the figures (default: beside RESULT).",
        ),
    ] = None,
) -> None:
    """Write every figure of a result as PNG and SVG.

    For a run: the bottleneck heatmap, share of demand met per layer with the compute shortfall
    and shock markers (replicate bands), market shares per region and lead times. For a
    comparison: resilience gained against cost with the Pareto front. The figures are named
    after RESULT (<result>_<figure>.png); figures of the same result already there are
    replaced, and the count of those is printed.
    """
    try:
        ds = open_result(result)
        target = out_dir or result.parent
        if target.exists() and not target.is_dir():
            raise InputError("--out", [], "a directory", f"the file {target}")
        known = ("service", "sovereignty_value", "alliance_gain")
        if ds.attrs.get("ecosim_kind") != "compare" and not any(k in ds for k in known):
            raise InputError(result, [], "a result of ecosim run or compare", "no 'service'")
    except InputError as exc:
        raise fail_input(exc) from None
    from ecosim.experiments.outputs import check_writable, staged_folder
    from ecosim.viz import write_figures

    before = {p for p in target.glob(f"{result.stem}_*")} if target.is_dir() else set()
    try:
        check_writable(target)
        # the figures go to a staging folder and are moved in together: a full disk leaves
        # no half-written image
        with staged_folder(target) as staging:
            written = [target / p.name for p in write_figures(ds, staging, result.stem)]
    except OutputError as exc:
        fail_output(exc)
    replaced = sum(1 for p in written if p in before)
    again = f" ({replaced} of them replacing earlier figures of {result.name})" if replaced else ""
    out.print(f"[green]ok[/] wrote {len(written)} files to {target}{again}", highlight=False)
