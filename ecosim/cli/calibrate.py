"""``ecosim calibrate``: fit uncertain parameters to historical episodes."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ecosim.cli.app import app, err, fail_input, out
from ecosim.errors import InputError


@app.command(
    epilog="Example: ecosim calibrate v6_eu_cloud_share "
    "--params uncertainties.market.reselect_share=0.01:0.3 --method nelder-mead",
)
def calibrate(
    episodes: Annotated[
        list[str],
        typer.Argument(
            metavar="EPISODE", help="Episode names (calibration/episodes/) or directories."
        ),
    ],
    params: Annotated[
        list[str],
        typer.Option(
            "--params", metavar="KEY.PATH=LOW:HIGH", help="A parameter to fit. Repeatable."
        ),
    ],
    method: Annotated[
        str, typer.Option(metavar="METHOD", help="nelder-mead, differential-evolution or abc.")
    ] = "nelder-mead",
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="FILE",
            help="New file to write (default: the next version of "
            "calibration/calibrated/<name>-vN.yaml).",
        ),
    ] = None,
    name: Annotated[
        str, typer.Option(metavar="NAME", help="Base name of the default --out.")
    ] = "episodes",
    extends: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="An earlier calibrated file whose values the new one builds on "
            "(default: none; the new file holds only the fitted values).",
        ),
    ] = None,
    max_evals: Annotated[int, typer.Option(metavar="N", min=4, help="Optimiser evaluations.")] = 40,
    samples: Annotated[int, typer.Option(metavar="N", min=4, help="ABC prior draws.")] = 40,
    seed: Annotated[
        int, typer.Option(metavar="INT", min=0, help="Seed of the optimiser or sampler.")
    ] = 0,
) -> None:
    """Fit uncertain parameters to historical episodes and write a new calibrated file.

    The objective is the mean of ((simulated - observed) / tolerance)^2 over every check of
    the episodes but the out-of-sample ones (holdout: true), which are printed, never fitted.
    Prints the fit before and after and each parameter with its uncertainty
    (Hessian standard error, or the ABC posterior spread). Nothing changes for a scenario
    that does not name the file written in its calibration: key.
    """
    from ecosim.calibrate.episodes import load_episode
    from ecosim.calibrate.fit import (
        calibrate as run_calibration,
    )
    from ecosim.calibrate.fit import (
        next_version_path,
        parse_param,
        write_calibrated,
    )
    from ecosim.scenario.calibrated import is_calibrated_file

    try:
        eps = [load_episode(e) for e in episodes]
        ps = [parse_param(p) for p in params]
        if method not in {"nelder-mead", "differential-evolution", "abc"}:
            raise InputError("--method", [], "nelder-mead, differential-evolution or abc", method)
        target = out_path or next_version_path(name)
        if target.exists():
            raise InputError("--out", [], "a new file (never overwritten)", str(target))
        if extends is not None and not is_calibrated_file(extends):
            raise InputError(
                "--extends", [], "a calibrated file (written by ecosim calibrate)", str(extends)
            )
        fit = run_calibration(eps, ps, method, max_evals=max_evals, samples=samples, seed=seed)  # type: ignore[arg-type]
        written = write_calibrated(fit, eps, target, extends)
    except InputError as exc:
        raise fail_input(exc) from None
    _print_fit(out, fit)
    err.print(f"{fit.evaluations} runs in {fit.wall_time_s:.1f} s", highlight=False)
    out.print(f"[green]ok[/] wrote {written}", highlight=False)


def _print_fit(out: Console, fit: object) -> None:
    from ecosim.calibrate.fit import Fit

    assert isinstance(fit, Fit)
    table = Table(title=f"Fit ({fit.method})", title_justify="left")
    for col in ("episode", "check", "observed", "before", "after", "passes if"):
        table.add_column(col)
    for b, a in zip(fit.before, fit.after, strict=True):
        for cb, ca in zip(b.checks, a.checks, strict=True):
            table.add_row(
                b.episode,
                f"{cb.series} {cb.label}" + (" (out of sample)" if cb.holdout else ""),
                f"{cb.observed:.4g}",
                f"{cb.simulated:.4g} {'ok' if cb.passed else 'x'}",
                f"{ca.simulated:.4g} {'ok' if ca.passed else 'x'}",
                ca.bound,
            )
    out.print(table)
    out.print(
        f"objective (mean squared residual / tolerance): {fit.objective_before:.4g} -> "
        f"{fit.objective_after:.4g}",
        highlight=False,
    )
    params = Table(title="Parameters", title_justify="left")
    for col in ("key", "start", "estimate", "uncertainty (1 sd)"):
        params.add_column(col)
    for key, s, e, u in fit.table():
        params.add_row(
            key, f"{s:.4g}", f"{e:.4g}", "not identified" if math.isinf(u) else f"±{u:.3g}"
        )
    out.print(params)
