"""``ecosim validate``: check a scenario file, list assumptions, or run the historical episodes
and analytic checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ecosim.cli.app import EXIT_OK, app, fail_input, out, warn
from ecosim.errors import InputError


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
