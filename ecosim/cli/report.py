"""``ecosim report``: one self-contained HTML report of a result."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecosim.cli.app import app, fail_input, fail_output, open_result, out
from ecosim.errors import InputError, OutputError


@app.command(epilog="Example: ecosim report outputs/baseline.nc --out outputs/baseline.html")
def report(
    result: Annotated[Path, typer.Argument(metavar="RESULT", help="Result of ecosim run (.nc).")],
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="FILE",
            help="HTML file to write (default: RESULT with .html).",
        ),
    ] = None,
    compare_path: Annotated[
        Path | None,
        typer.Option(
            "--compare",
            metavar="RESULT",
            help="Also show a comparison written by ecosim compare.",
        ),
    ] = None,
) -> None:
    """Write one self-contained HTML report of a result.

    The report holds the results if the shocks happen, then figures, then probabilities over
    replicates, then provenance (version, scenario hash, assumption share). An earlier report at
    the same place is replaced, and the line printed says so.
    """
    try:
        ds = open_result(result)
        if "service" not in ds:
            raise InputError(result, [], "a result of ecosim run", "no 'service' variable")
        cmp = open_result(compare_path, "--compare") if compare_path else None
        if cmp is not None and cmp.attrs.get("ecosim_kind") != "compare":
            raise InputError("--compare", [], "a result of ecosim compare", str(compare_path))
        target = out_path or result.with_suffix(".html")
        if target.suffix.lower() not in {".html", ".htm"}:
            raise InputError("--out", [], "an HTML file name ending in .html", str(target))
        if target.exists() and target.is_dir():
            raise InputError("--out", [], "a file path", f"the directory {target}")
    except InputError as exc:
        raise fail_input(exc) from None
    from ecosim.experiments.outputs import check_writable
    from ecosim.observe.dataset import write_atomically
    from ecosim.report.html import build_report

    again = " (replacing the earlier report)" if target.exists() else ""
    try:
        check_writable(target)
        # built in memory, then written through a temporary file: a full or read-only disk
        # is one line naming the file, and leaves nothing
        write_atomically(build_report(ds, cmp).encode("utf-8"), target)
    except OutputError as exc:
        fail_output(exc)
    out.print(f"[green]ok[/] wrote {target}{again}", highlight=False)
