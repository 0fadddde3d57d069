"""``ecosim validate``: check a scenario file, list assumptions, or run the historical episodes
and analytic checks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from ecosim.cli.app import EXIT_OK, app, fail_input, fail_output, out, warn
from ecosim.errors import InputError, OutputError

if TYPE_CHECKING:
    from ecosim.scenario.defaults import ProvenanceEntry


@app.command(epilog="Example: ecosim validate scenarios/baseline.yaml --set seed=7")
def validate(
    scenario: Annotated[
        Path | None, typer.Argument(metavar="SCENARIO", help="Scenario file to check.")
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set", metavar="KEY.PATH=VALUE", help="Override a value of SCENARIO. Repeatable."
        ),
    ] = None,
    provenance: Annotated[
        bool,
        typer.Option(
            "--provenance",
            help="List every default that is an assumption, one line each: key = value, reason.",
        ),
    ] = False,
    csv_path: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            metavar="FILE",
            help="With --provenance: write every default number to FILE instead (key, value, "
            "fact or assumption, reason).",
        ),
    ] = None,
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
        typer.Option(
            "--episode",
            metavar="NAME",
            help="Only this episode (name or directory). Repeatable.",
        ),
    ] = None,
) -> None:
    """Check a scenario, list the assumptions behind the defaults, or run the historical checks.

    With SCENARIO: check the file (and --set overrides) without running it. With --provenance:
    list every default number that rests on an assumption rather than a sourced fact, or write
    them all to a CSV file with --csv. With neither (or with --episodes): run the historical
    episodes and the analytic checks, and exit 1 if any fails. A two-sided check passes within
    ±tolerance of the observation; a one-sided one passes below (≤) or above (≥) its bound.
    """
    from ecosim.report.provenance import assumption_entries
    from ecosim.scenario.loader import load_scenario

    if csv_path is not None:
        try:
            if not provenance:
                raise InputError("--csv", [], "--provenance with it", "--csv alone")
            if csv_path.is_dir():
                raise InputError("--csv", [], "a file path", f"the directory {csv_path}")
            if not csv_path.parent.is_dir():
                raise InputError("--csv", [], "a file in an existing folder", str(csv_path))
        except InputError as exc:
            raise fail_input(exc) from None
    if provenance:
        share = assumption_entries()
        if csv_path is not None:
            try:
                write_provenance_csv(share.numeric, csv_path)
            except OutputError as exc:
                fail_output(exc)
            out.print(share.sentence())
            out.print(
                f"[green]ok[/] wrote {len(share.numeric)} default numbers to {csv_path}",
                highlight=False,
            )
        else:
            out.print("Defaults resting on assumptions (key = value: reason)", highlight=False)
            # one line per default, never wrapped by us: a key is what a user greps and copies
            # into --set, and grep then finds its value and reason on the same line
            for e in share.assumed:
                out.print(
                    f"{e.path} = {e.value}: {e.assumption or ''}",
                    highlight=False,
                    markup=False,
                    soft_wrap=True,
                )
            out.print(share.sentence())
    if episodes or episode or (scenario is None and not provenance):
        try:
            code = run_validation(out, episode)
        except InputError as exc:
            raise fail_input(exc) from None
        if code != EXIT_OK or scenario is None:
            raise typer.Exit(code)
    if scenario is None:
        return
    try:
        loaded = load_scenario(scenario, overrides or [])
    except InputError as exc:
        raise fail_input(exc) from None
    warn(loaded.warnings)
    s = loaded.scenario
    out.print(
        f"[green]ok[/] {scenario}: {len(s.regions)} regions, {len(s.suppliers)} suppliers, "
        f"{len(s.shocks)} shocks, sha256 {loaded.sha256[:12]}",
        highlight=False,
    )


def write_provenance_csv(entries: list[ProvenanceEntry], path: Path) -> None:
    """Write default numbers as CSV: ``key, value, provenance, reason``, one row each.

    Parameters
    ----------
    entries
        The defaults, as :func:`ecosim.report.provenance.assumption_entries` lists them.
    path
        The CSV file; written whole or not at all.

    Raises
    ------
    OutputError
        When the file cannot be written.

    Notes
    -----
    ``provenance`` is ``fact`` (``reason`` then names the row of ``calibration/facts.csv``
    it cites) or ``assumption`` (``reason`` is the stated assumption).
    """
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["key", "value", "provenance", "reason"])
    for e in entries:
        if e.fact:
            writer.writerow([e.path, e.value, "fact", f"calibration/facts.csv: {e.fact}"])
        else:
            writer.writerow([e.path, e.value, "assumption", e.assumption or ""])
    # a temporary file beside the target, renamed over it: never a half-written CSV
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(buffer.getvalue(), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(path, exc) from None


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
    for col in ("episode", "series", "check", "observed", "simulated", "passes if", "units"):
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
                f"{c.label} (out of sample)" if c.holdout else c.label,
                f"{c.observed:.4g}",
                f"{c.simulated:.4g}",
                c.bound,
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
