"""Does a run's cost grow linearly in the size of the world? Run by hand (``make bench``).

    .venv/bin/python benchmarks/bench_scaling.py [--horizon-years Y] [--repeats N]
        [--only customers arrivals horizon regions] [--no-twin] [--set KEY.PATH=VALUE ...]

Four factors are varied one at a time over a 4x range, at 1x, 2x and 4x, everything else held
at the base point (the baseline scenario over ``--horizon-years``, default half a year, one
replicate, the no-shock twin on as in ``ecosim run``):

- customers: every region's cloud customer agents, ``regions.<R>.cloud.customers`` (2,000);
- arrivals: the job arrival rate of every workload, ``uncertainties.jobs.arrivals_scale`` (1);
- horizon: ``horizon_years``;
- regions: the number of regions with the set of providers held fixed. Every baseline region
  is home to some supplier, so dropping one would drop providers too; instead 2x and 4x add one
  and three copies of each region (``regions.US_2: {profile: US}`` ...), which the loader has
  served by the same providers as the region they copy. The script checks that the supplier
  set is unchanged.

For each factor it fits the exponent b of run time ~ factor^b by least squares on the logs
(target: at most 1.1, issue #22) and prints it beside the target. Each run is timed in this
process (load_scenario + simulate, nothing written) after a warm-up run that loads or
compiles every kernel, so the fixed costs of a fresh process (imports, loading the Numba
cache) neither flatten the exponents nor make the benchmark slow. Before each run garbage is
collected and the process's memo of fitted market constants emptied, so every run pays for its
own fit as a fresh ``ecosim run`` does (else the 1x point would reuse the warm-up's).

Run time is this process's CPU time: a run is single-threaded, so on an idle machine it is the
wall time, and on a machine shared with others it moves far less with their load (wall-clock
times of one point varied by half here, CPU times by a tenth). The SimPy reference of
``reference.py`` is timed between the runs, and the fit uses each run's CPU time over the
reference's (the faster of the runs just before and after it), so a slower or throttled
machine cancels out. Each point is the median of ``--repeats`` (3) passes over all points. The
exponent fitted to wall-clock time is printed too, for information.

Costs that do not grow with a factor (building the world, fitting the market, the metrics)
pull its exponent below 1 at a short horizon: read an exponent near 1 as linear, above 1.1 as
a cost that grows faster than the world. The slope of the last doubling alone (2x to 4x),
where fixed costs weigh least, is printed beside the fit for information. Takes about three
minutes by default (one pass, ``--repeats 1``, about one).
"""

from __future__ import annotations

import argparse
import functools
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the checkout's ecosim, whatever is installed

from reference import Alternate, Reference, Seconds, ratio, timed  # noqa: E402

import ecosim.world.market_fit  # noqa: E402
from ecosim import load_scenario, simulate  # noqa: E402
from ecosim.scenario.models import Scenario  # noqa: E402

TARGET = 1.1
FACTORS = (1, 2, 4)
Overrides = Callable[[Scenario, int], list[str]]


def customers(base: Scenario, k: int) -> list[str]:
    """Every region's customer agents times ``k``."""
    return [
        f"regions.{name}.cloud.customers={region.cloud.customers * k}"
        for name, region in base.regions.items()
    ]


def arrivals(base: Scenario, k: int) -> list[str]:
    """Every workload's job arrivals times ``k``."""
    return [f"uncertainties.jobs.arrivals_scale={base.uncertainties.jobs.arrivals_scale * k}"]


def horizon(base: Scenario, k: int) -> list[str]:
    """The horizon times ``k``."""
    return [f"horizon_years={base.horizon_years * k}"]


def regions(base: Scenario, k: int) -> list[str]:
    """``k - 1`` copies of every region, each built from the region's profile."""
    return [
        f"regions.{name}_{j}={{profile: {name}}}"
        for j in range(2, k + 1)
        for name in base.region_names
    ]


AXES: dict[str, tuple[str, Overrides]] = {
    "customers": ("customers per region", customers),
    "arrivals": ("job arrival rate", arrivals),
    "horizon": ("horizon", horizon),
    "regions": ("regions, same providers", regions),
}


def forget_fits() -> None:
    """Empty the process's memo of fitted market constants.

    A run and its twin share one fit, and later runs in the same process with the same
    customers reuse it: without this, the base point would reuse the warm-up's fit while a
    larger world pays for its own, which is not what a fresh ``ecosim run`` sees.
    """
    memo = getattr(ecosim.world.market_fit, "_FITTED", None)
    if isinstance(memo, dict):
        memo.clear()
    else:
        print("warning: no memo of market fits found to clear; timings may reuse fits")


@dataclass
class Point:
    """One size of the world: its runs' seconds and the reference seconds set against them."""

    axis: str
    factor: int
    runs: list[Seconds]
    refs: list[Seconds]

    def relative(self, clock: str) -> float:
        """Median of run over reference seconds, on the ``"cpu"`` or the ``"wall"`` clock."""
        return ratio([getattr(r, clock) for r in self.runs], [getattr(r, clock) for r in self.refs])

    def median(self, clock: str) -> float:
        return statistics.median(getattr(r, clock) for r in self.runs)


def exponent(factors: list[int], times: list[float]) -> float:
    """Slope of log(time) against log(factor), least squares."""
    slope, _ = np.polyfit(np.log(factors), np.log(times), 1)
    return float(slope)


def main() -> None:
    """Parse arguments, run every point, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--horizon-years", type=float, default=0.5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="+", choices=list(AXES), default=list(AXES))
    parser.add_argument("--no-twin", action="store_true", help="runs without the no-shock twin")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()

    fixed = [*args.overrides, f"horizon_years={args.horizon_years}"]
    if args.no_twin:
        fixed.append("recording.twin=false")
    base = load_scenario(args.scenario, fixed).scenario
    suppliers = sorted(base.suppliers)

    def run(overrides: list[str]) -> Seconds:
        forget_fits()
        # the twin in this process, so that this process's CPU time is the run's and the twin's
        return timed(
            lambda: simulate(load_scenario(args.scenario, [*fixed, *overrides]), twin_apart=False)
        )[1]

    ref = Reference()
    t0 = time.perf_counter()
    ref.run()
    run([])  # loads (or compiles) every kernel; not timed
    print(f"warm-up run and reference: {time.perf_counter() - t0:.1f} s", flush=True)

    # the 1x point is the same run for every factor: measured once, shared
    points: dict[tuple[str, int], Point] = {}
    one = Point("base", 1, [], [])
    for axis in args.only:
        for k in FACTORS:
            points[(axis, k)] = one if k == 1 else Point(axis, k, [], [])
    plan = [(a, k) for a in args.only for k in FACTORS if k > 1]
    pairs = Alternate(ref)
    for rep in range(max(1, args.repeats)):
        for axis, k in [("base", 1), *plan]:
            point = one if axis == "base" else points[(axis, k)]
            extra = [] if axis == "base" else AXES[axis][1](base, k)
            if axis == "regions":
                world = load_scenario(args.scenario, [*fixed, *extra]).scenario
                if sorted(world.suppliers) != suppliers:
                    raise SystemExit("copying regions changed the set of suppliers")
            took, ref_s = pairs.measure(functools.partial(run, extra))
            point.runs.append(took)
            point.refs.append(ref_s)
            before, after = pairs.times[-2:]
            print(
                f"repeat {rep}: {axis:<9} {k}x  CPU {took.cpu:6.2f} s  wall {took.wall:6.2f} s   "
                f"reference CPU {before.cpu:.2f} s before, {after.cpu:.2f} s after",
                flush=True,
            )

    twin = "without" if args.no_twin else "with"
    print(
        f"\n{args.scenario.name}, {args.horizon_years} years, {twin} the twin, "
        f"load + simulate in process; median of {max(1, args.repeats)}"
    )
    labels = {a: AXES[a][0] for a in args.only}
    width = max(len(v) for v in labels.values())
    cells = "  ".join(f"{f'{k}x CPU s':>9}" for k in FACTORS)
    head = (
        f"{'factor':<{width}}  {cells}  {'exponent':>8}  {'target':>6}  met?  {'2x-4x':>5}"
        f"  {'wall':>5}"
    )
    print(head)
    print("-" * len(head))
    worst = ("", -math.inf)
    for axis in args.only:
        row = [points[(axis, k)] for k in FACTORS]
        b = exponent(list(FACTORS), [p.relative("cpu") for p in row])
        worst = max(worst, (labels[axis], b), key=lambda x: x[1])
        secs = "  ".join(f"{p.median('cpu'):9.2f}" for p in row)
        met = "yes" if b <= TARGET else "NO"
        last = exponent(list(FACTORS[1:]), [p.relative("cpu") for p in row[1:]])
        wall = exponent(list(FACTORS), [p.relative("wall") for p in row])
        print(
            f"{labels[axis]:<{width}}  {secs}  {b:8.2f}  {f'<= {TARGET}':>6}  {met:<4}  {last:5.2f}"
            f"  {wall:5.2f}"
        )
    print(
        f"exponent: of CPU time over the reference's, fitted over 1x-4x; steepest: {worst[0]}.\n"
        "2x-4x: the same, of the last doubling alone; wall: fitted to wall-clock time instead "
        "(both informative)"
    )


if __name__ == "__main__":
    main()
