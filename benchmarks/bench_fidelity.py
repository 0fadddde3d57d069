"""Fewer, larger jobs: what a sweep gains in speed and what its answers lose. Run by hand.

    .venv/bin/python benchmarks/bench_fidelity.py [--scenario PATH] [--scales 1 0.5 0.25 0.1]
        [--replicates N] [--workers W]

Half of a baseline run's CPU time is its job queues: about 880 jobs arrive a day over the
36 lanes, each drawn, queued, started and ended one by one (``ecosim.kernels.jobs``).
``uncertainties.jobs.arrivals_scale`` runs fewer, larger jobs with the same work
(``ecosim.world.jobs.pareto_scale``), which a sweep of thousands of futures may want. This
script measures the trade: each scale's replicates of the scenario are simulated as a sweep
simulates them (twin on, metrics only, one future a process) and set against the first of
``--scales`` (scale 1, the shipped job count, by default) on the same replicates. Every
stream but the job arrivals is the same across scales, so a replicate's difference between
two scales is the scale's effect on that future alone.

It prints, per scale:

- the CPU seconds of a future (run and twin), its speed-up over scale 1 and what 1,000
  futures would take on ``--workers`` processes at that speed;
- per region, the mean resilience loss (days, summed over the layers) and the paired
  difference from scale 1 with its standard error; a difference beyond two standard errors
  is marked, as is one where scale 1's replicates themselves spread less than the difference;
- how often each region's most fragile layer is the one scale 1 names for the same replicate.

``--scales 1 2 4`` asks the other question: whether the shipped job count is itself close
to converged, set against more, smaller jobs.

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


@dataclass(frozen=True)
class Outcome:
    """One future at one scale: its CPU time and the answers a sweep stores."""

    scale: float
    replicate: int
    cpu: float
    regions: tuple[str, ...]
    loss: tuple[float, ...]  # resilience loss per region, days, summed over the layers
    fragile: tuple[str, ...]  # most fragile layer per region


def one(args: tuple[str, float, int]) -> Outcome:
    """Simulate one replicate of the scenario at one arrivals scale, metrics only."""
    from ecosim import load_scenario, simulate

    scenario, scale, replicate = args
    spec = load_scenario(scenario, [f"uncertainties.jobs.arrivals_scale={scale}"])
    t0 = time.process_time()
    ds = simulate(spec, replicate=replicate, series=(), twin_apart=False)
    cpu = time.process_time() - t0
    return Outcome(
        scale,
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


def report(outcomes: list[Outcome], scales: list[float], workers: int) -> None:
    """Print the speed and the answers of each scale against the first."""
    by = {
        s: sorted((o for o in outcomes if o.scale == s), key=lambda o: o.replicate) for s in scales
    }
    s0 = scales[0]
    ref = by[s0]
    regions = ref[0].regions
    ref_cpu = statistics.median(o.cpu for o in ref)
    n = len(ref)
    print(f"{n} replicates a scale, twin on, metrics only; CPU per future is the median")
    print(f"{'scale':>6} {'CPU s':>7} {'speed-up':>9} {'1,000 futures':>14}")
    for s in scales:
        cpu = statistics.median(o.cpu for o in by[s])
        minutes = 1000 * cpu / workers / 60
        print(
            f"{s:>6g} {cpu:>7.2f} {ref_cpu / cpu:>8.2f}x {minutes:>9.0f} min  ({workers} workers)"
        )
    for s in scales[1:]:
        print(
            f"\nscale {s:g} against scale {scales[0]:g}:"
            " resilience loss (days) and most fragile layer"
        )
        print(
            f"{'region':>6} {f'RL at {s0:g}':>9} {f'sd at {s0:g}':>8} {f'RL at {s:g}':>9}"
            f" {'diff':>8} {'se':>6}  agree"
        )
        for r, name in enumerate(regions):
            a = [o.loss[r] for o in ref]
            b = [o.loss[r] for o in by[s]]
            diff, se = paired(a, b)
            sd = statistics.stdev(a) if n > 1 else math.nan
            mark = ""
            if abs(diff) > 2.0 * se:
                mark += " *"  # beyond two standard errors of the paired difference
            if abs(diff) > sd:
                mark += " !"  # larger than the spread of the futures themselves
            agree = sum(x.fragile[r] == y.fragile[r] for x, y in zip(ref, by[s], strict=True))
            print(
                f"{name:>6} {statistics.fmean(a):>9.1f} {sd:>8.1f} {statistics.fmean(b):>9.1f}"
                f" {diff:>+8.1f} {se:>6.1f}  {agree}/{n}{mark}"
            )
    print("\n  * the paired difference is beyond two of its standard errors")
    print(f"  ! the difference is larger than the spread of scale {s0:g}'s replicates")


def main() -> None:
    """Parse arguments, run every (scale, replicate) on a process pool, print the trade."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(BASELINE))
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 0.5, 0.25, 0.1])
    parser.add_argument("--replicates", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.replicates < 2:
        parser.error("--replicates: at least 2, for a spread")
    tasks = [(args.scenario, s, k) for s in args.scales for k in range(args.replicates)]
    with cf.ProcessPoolExecutor(args.workers) as pool:
        list(pool.map(warm, [args.scenario] * args.workers))
        outcomes = list(pool.map(one, tasks))
    report(outcomes, list(args.scales), args.workers)


if __name__ == "__main__":
    main()
