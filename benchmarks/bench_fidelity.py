"""Coarser runs: what a sweep gains in speed and what its answers lose. Run by hand.

    .venv/bin/python benchmarks/bench_fidelity.py [--scenario PATH] [--replicates N]
        [--workers W] [--variant NAME=KEY=VALUE[,KEY=VALUE ...] ...]

A sweep of thousands of futures may want each to cost less than the shipped scenario does.
Two settings make a run coarser without changing what it models:

- ``uncertainties.jobs.arrivals_scale`` runs fewer, larger jobs with the same work
  (``ecosim.world.jobs.pareto_scale``). About a third of a baseline future's time goes with
  its jobs: some 880 arrive a day over the 36 lanes, each drawn, queued, started and ended
  one by one (``ecosim.kernels.jobs``).
- ``step_days`` (with ``recording.interval_days``, which must be a whole number of steps)
  advances the world's continuous part every two days instead of every day. The discrete
  events (reviews, orders, market rounds, shocks) keep their days: a step ends at each.

This script measures the trade. Each variant's replicates of the scenario are simulated as
a sweep simulates them (twin on, metrics only, one future a process) and set against the
shipped scenario on the same replicates. The variants draw from the same streams as the
shipped run (a coarser job count draws other arrivals, on the jobs' streams alone), so a
replicate's difference between a variant and the shipped run is the variant's effect on that
future alone.

It prints, per variant:

- the CPU seconds of a future (run and twin), its speed-up over the shipped scenario and
  what 1,000 futures would take on ``--workers`` processes at that speed;
- per region, the mean resilience loss (days, summed over the layers) and the paired
  difference from the shipped scenario with its standard error; a difference beyond two
  standard errors is marked, as is one larger than the spread of the shipped replicates;
- how often each region's most fragile layer is the one the shipped scenario names for the
  same replicate.

``--variant finer=uncertainties.jobs.arrivals_scale=2`` asks the other question: whether
the shipped job count is itself close to converged, set against more, smaller jobs.

Nothing here fails: it prints the trade for a person to choose from.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import math
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SHIPPED = "shipped"

#: The variants measured by default: (name, overrides of the scenario).
VARIANTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("jobs/2", ("uncertainties.jobs.arrivals_scale=0.5",)),
    ("jobs/10", ("uncertainties.jobs.arrivals_scale=0.1",)),
    ("step 2 d", ("step_days=2", "recording.interval_days=2")),
    (
        "step 2 d, jobs/2",
        ("step_days=2", "recording.interval_days=2", "uncertainties.jobs.arrivals_scale=0.5"),
    ),
)


@dataclass(frozen=True)
class Outcome:
    """One future of one variant: its CPU time and the answers a sweep stores."""

    variant: str
    replicate: int
    cpu: float
    regions: tuple[str, ...]
    loss: tuple[float, ...]  # resilience loss per region, days, summed over the layers
    fragile: tuple[str, ...]  # most fragile layer per region


def one(args: tuple[str, str, tuple[str, ...], int]) -> Outcome:
    """Simulate one replicate of the scenario with one variant's overrides, metrics only."""
    from ecosim import load_scenario, simulate

    scenario, name, overrides, replicate = args
    spec = load_scenario(scenario, list(overrides))
    t0 = time.process_time()
    ds = simulate(spec, replicate=replicate, series=(), twin_apart=False)
    cpu = time.process_time() - t0
    return Outcome(
        name,
        replicate,
        cpu,
        tuple(str(r) for r in ds["region"].values),
        tuple(float(x) for x in ds["resilience_loss"].sum("layer").values),
        tuple(str(x) for x in ds["most_fragile_layer"].values),
    )


def warm(scenario: str) -> int:
    """Load every kernel of a run from the cache (or compile it) in a pool process."""
    from ecosim import load_scenario, simulate

    simulate(load_scenario(scenario, ["horizon_years=0.01"]), series=(), twin_apart=False)
    return 0


def paired(a: list[float], b: list[float]) -> tuple[float, float]:
    """Mean of ``b - a`` over the pairs and its standard error."""
    d = [y - x for x, y in zip(a, b, strict=True)]
    se = statistics.stdev(d) / math.sqrt(len(d)) if len(d) > 1 else math.nan
    return statistics.fmean(d), se


def report(outcomes: list[Outcome], names: list[str], workers: int) -> None:
    """Print the speed and the answers of each variant against the shipped scenario."""
    by = {
        v: sorted((o for o in outcomes if o.variant == v), key=lambda o: o.replicate) for v in names
    }
    ref = by[SHIPPED]
    regions = ref[0].regions
    ref_cpu = statistics.median(o.cpu for o in ref)
    n = len(ref)
    width = max(len(v) for v in names)
    print(f"{n} replicates a variant, twin on, metrics only; CPU per future is the median")
    print(f"{'variant':>{width}} {'CPU s':>7} {'speed-up':>9} {'1,000 futures':>14}")
    for v in names:
        cpu = statistics.median(o.cpu for o in by[v])
        minutes = 1000 * cpu / workers / 60
        print(
            f"{v:>{width}} {cpu:>7.2f} {ref_cpu / cpu:>8.2f}x {minutes:>9.0f} min"
            f"  ({workers} workers)"
        )
    for v in names[1:]:
        print(f"\n{v} against {SHIPPED}: resilience loss (days) and most fragile layer")
        print(f"{'region':>6} {'shipped':>9} {'sd':>6} {'variant':>9} {'diff':>8} {'se':>6}  agree")
        for r, name in enumerate(regions):
            a = [o.loss[r] for o in ref]
            b = [o.loss[r] for o in by[v]]
            diff, se = paired(a, b)
            sd = statistics.stdev(a)
            mark = ""
            if abs(diff) > 2.0 * se:
                mark += " *"  # beyond two standard errors of the paired difference
            if abs(diff) > sd:
                mark += " !"  # larger than the spread of the futures themselves
            agree = sum(x.fragile[r] == y.fragile[r] for x, y in zip(ref, by[v], strict=True))
            print(
                f"{name:>6} {statistics.fmean(a):>9.1f} {sd:>6.1f} {statistics.fmean(b):>9.1f}"
                f" {diff:>+8.1f} {se:>6.1f}  {agree}/{n}{mark}"
            )
    print("\n  * the paired difference is beyond two of its standard errors")
    print("  ! the difference is larger than the spread (sd) of the shipped replicates")


def parse_variant(text: str) -> tuple[str, tuple[str, ...]]:
    """``NAME=KEY=VALUE[,KEY=VALUE ...]`` as (name, overrides)."""
    name, sep, rest = text.partition("=")
    if not sep or not name or "=" not in rest:
        raise argparse.ArgumentTypeError(f"expected NAME=KEY=VALUE[,KEY=VALUE ...], found {text!r}")
    return name, tuple(part.strip() for part in rest.split(","))


def main() -> None:
    """Parse arguments, run every (variant, replicate) on a process pool, print the trade."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(BASELINE))
    parser.add_argument("--replicates", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--variant",
        type=parse_variant,
        action="append",
        help="a variant to measure, instead of the default ones (repeatable)",
    )
    args = parser.parse_args()
    if args.replicates < 2:
        parser.error("--replicates: at least 2, for a spread")
    variants = [(SHIPPED, ()), *(args.variant or VARIANTS)]
    names = [v for v, _ in variants]
    if len(set(names)) != len(names) or SHIPPED in names[1:]:
        parser.error(f"--variant: names must differ from each other and from {SHIPPED!r}")
    # replicate after replicate, every variant in each: a drift of the machine's speed over
    # the minutes this takes then falls on every variant alike
    tasks = [(args.scenario, v, o, k) for k in range(args.replicates) for v, o in variants]
    with cf.ProcessPoolExecutor(args.workers) as pool:
        list(pool.map(warm, [args.scenario] * args.workers))
        outcomes = list(pool.map(one, tasks))
    report(outcomes, names, args.workers)


if __name__ == "__main__":
    main()
