"""``ecosim calibrate`` and the episode and theory checks behind ``ecosim validate``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ecosim.errors import InputError


def run_validation(out: Console, episodes: list[str] | None = None) -> int:
    """Run every episode (or the named ones) and the analytic checks; print the comparison.

    Returns
    -------
    int
        1 if any check failed, else 0 (skipped episodes are listed but do not fail).
    """
    from ecosim.calibrate.episodes import all_episodes, load_episode, run_episode
    from ecosim.calibrate.theory import run_theory_checks

    chosen = [load_episode(e) for e in episodes] if episodes else all_episodes()
    table = Table(title="Historical episodes: observed vs simulated", title_justify="left")
    for col in ("episode", "series", "check", "observed", "simulated", "tolerance", "units"):
        table.add_column(col, justify="right" if col in {"observed", "simulated"} else "left")
    table.add_column("result")
    failed = False
    skipped: list[tuple[str, str]] = []
    for ep in chosen:
        result, _ = run_episode(ep)
        if result.skipped is not None:
            skipped.append((ep.name, result.skipped))
            table.add_row(ep.name, "", "", "", "", "", "", "[yellow]SKIPPED[/]")
            continue
        for c in result.checks:
            failed |= not c.passed
            table.add_row(
                ep.name,
                c.series,
                c.label,
                f"{c.observed:.4g}",
                f"{c.simulated:.4g}",
                f"±{c.tolerance:.3g}",
                c.units,
                "[green]pass[/]" if c.passed else "[red]FAIL[/]",
            )
    out.print(table)
    for name, why in skipped:
        out.print(f"[yellow]SKIPPED[/] {name}: {why}", highlight=False)
    theory = Table(title="Analytic checks", title_justify="left")
    for col in ("check", "expected", "simulated", "tolerance", "units", "result"):
        theory.add_column(col)
    for t in run_theory_checks():
        failed |= not t.passed
        theory.add_row(
            t.name,
            f"{t.expected:.6g}",
            f"{t.simulated:.6g}",
            f"±{t.tolerance:.3g}",
            t.units,
            "[green]pass[/]" if t.passed else "[red]FAIL[/]",
        )
    out.print(theory)
    out.print("[red]some checks failed[/]" if failed else "[green]every check passed[/]")
    return 1 if failed else 0


def register(app: typer.Typer) -> None:
    """Add ``ecosim calibrate`` to the command line ``app``."""

    @app.command(
        epilog="Example: ecosim calibrate v6_eu_cloud_share "
        "--params uncertainties.market.reselect_share=0.01:0.3 --method nelder-mead",
    )
    def calibrate(
        episodes: Annotated[
            list[str], typer.Argument(help="Episode names (calibration/episodes/) or directories.")
        ],
        params: Annotated[
            list[str],
            typer.Option("--params", help="KEY.PATH=LOW:HIGH, a parameter to fit. Repeatable."),
        ],
        method: Annotated[
            str, typer.Option(help="nelder-mead, differential-evolution or abc.")
        ] = "nelder-mead",
        out_path: Annotated[
            Path | None,
            typer.Option(
                "--out",
                "-o",
                help="New file to write (default: the next version of "
                "calibration/calibrated/<name>-vN.yaml).",
            ),
        ] = None,
        name: Annotated[str, typer.Option(help="Base name of the default --out.")] = "episodes",
        extends: Annotated[
            Path | None,
            typer.Option(
                help="An earlier calibrated file whose values the new one builds on "
                "(default: none; the new file holds only the fitted values)."
            ),
        ] = None,
        max_evals: Annotated[int, typer.Option(min=4, help="Optimiser evaluations.")] = 40,
        samples: Annotated[int, typer.Option(min=4, help="ABC prior draws.")] = 40,
        seed: Annotated[int, typer.Option(min=0, help="Seed of the optimiser or sampler.")] = 0,
    ) -> None:
        """Fit uncertain parameters to historical episodes and write a new calibrated file.

        The objective is the mean of ((simulated - observed) / tolerance)^2 over every check of
        the episodes. Prints the fit before and after and each parameter with its uncertainty
        (Hessian standard error, or the ABC posterior spread). Nothing changes for a scenario
        that does not name the file written in its ``calibration:``.
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
        from ecosim.cli import _fail_input, err, out
        from ecosim.scenario.calibrated import is_calibrated_file

        try:
            eps = [load_episode(e) for e in episodes]
            ps = [parse_param(p) for p in params]
            if method not in {"nelder-mead", "differential-evolution", "abc"}:
                raise InputError(
                    "--method", [], "nelder-mead, differential-evolution or abc", method
                )
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
            raise _fail_input(exc) from None
        _print_fit(out, fit)
        err.print(f"{fit.evaluations} runs in {fit.wall_time_s:.1f} s", highlight=False)
        out.print(f"[green]ok[/] wrote {written}", highlight=False)


def _print_fit(out: Console, fit: object) -> None:
    from ecosim.calibrate.fit import Fit

    assert isinstance(fit, Fit)
    table = Table(title=f"Fit ({fit.method})", title_justify="left")
    for col in ("episode", "check", "observed", "before", "after", "tolerance"):
        table.add_column(col)
    for b, a in zip(fit.before, fit.after, strict=True):
        for cb, ca in zip(b.checks, a.checks, strict=True):
            table.add_row(
                b.episode,
                f"{cb.series} {cb.label}",
                f"{cb.observed:.4g}",
                f"{cb.simulated:.4g} {'ok' if cb.passed else 'x'}",
                f"{ca.simulated:.4g} {'ok' if ca.passed else 'x'}",
                f"±{ca.tolerance:.3g}",
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
