"""The baseline run against its targets: wall time, peak memory, start-up.

Run by hand (``make bench``); not part of the test suite::

    .venv/bin/python benchmarks/bench_baseline.py [--repeats N] [--set KEY.PATH=VALUE ...]

Each measurement is a fresh ``ecosim run`` subprocess (as ``make run`` starts it: the scenario,
its no-shock twin and the heatmap), so imports, cache loading and writing the result count as a
user sees them. Times are set against the reference of ``reference.py``, a plain-SimPy M/M/10
queue of 100,000 jobs timed in this process between the subprocesses: each is divided by the
faster of the reference runs just before and after it, so lasting load slows both sides. Every
repeat compiles into an empty Numba cache (cold), then runs again from it (warm), then runs 4
days from it (start-up). Peak RSS is the child's own, from ``os.wait4``: ``RUSAGE_CHILDREN``
would give the largest child so far. Where two cores are free the run forks its no-shock
twin into a process of its own (``ecosim.core.forked``): ``wait4`` then counts the CPU of
both, and the peak RSS is the larger of the two processes' (the twin's pages it has not
written are shared with the run's).

The table prints each measure beside its target (issue #22) and whether it is met:

- baseline run + twin, warm cache: at most 1.2 x the reference;
- peak RSS of that run: at most 250 MiB;
- a 4-day run from the cache (no heatmap): at most 2 s;
- cold-cache compile cost (cold minus warm) and the cold run's peak RSS: informative;
- the warm run's CPU time (the child's, from ``os.wait4``) over the reference's: informative,
  and steadier than wall time when others load the machine;
- the time and peak RSS of importing what a run imports and loading its first kernel from
  the cache, in a fresh process: informative, the part of the 4-day run and of the peak RSS
  that no change to ecosim's own code removes;
- in that process, the 4-day run made twice (twin in the process, nothing written): the
  first less the second is loading the rest of the run's kernels from the cache, the second
  the run itself. The 4-day run's wall time is about these three, plus writing its file and
  the command line's own start.

Values are medians over the repeats (peak RSS: the largest); a ratio is the median of each
measurement over the references around it. Nothing here fails on a missed target: it prints.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from reference import Alternate, Reference, Seconds, ratio  # noqa: E402

DAYS_PER_YEAR = 365.25  # ecosim.core.units; the script imports no ecosim itself
RUN_RATIO_TARGET = 1.2  # baseline run + twin, warm cache, over the reference
RSS_TARGET_MIB = 250.0
START_TARGET_S = 2.0
START_DAYS = 4.0


@dataclass(frozen=True)
class Child:
    """One finished ``ecosim run``: wall seconds, its own CPU seconds and peak RSS."""

    wall: float
    cpu: float
    rss_mib: float


def child_env(cache: Path) -> dict[str, str]:
    """The environment of a measured process: ``cache`` as its Numba cache, this tree's ecosim."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    # A user's Python keeps the compiled bytecode of ecosim's modules after the first run; an
    # environment that forbids writing it would make every measured run compile about 90
    # modules again (about 0.3 s here), a cost no user pays.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # the worktree's ecosim, whatever is installed in the environment
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def ecosim_run(scenario: Path, cache: Path, out: Path, extra: list[str]) -> Child:
    """Run ``ecosim run`` once in a fresh process with ``cache`` as its Numba cache."""
    env = child_env(cache)
    cmd = [sys.executable, "-m", "ecosim", "run", str(scenario), "--out", str(out)]
    cmd += ["--force", "-q", *extra]
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        # wait4 reaps this child alone and returns its own resource use
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            sys.stderr.write(err.read().decode(errors="replace"))
            raise SystemExit(f"ecosim run failed (exit {proc.returncode}): {' '.join(cmd)}")
    cpu = usage.ru_utime + usage.ru_stime
    return Child(wall, cpu, usage.ru_maxrss / 1024.0)  # ru_maxrss: KiB on Linux


#: What every run pays before its scenario is read: the imports of the run's path, the
#: first kernel loaded from the cache (Numba's code generator starts, and imports scipy.linalg
#: to look for a BLAS, at its first load whatever the kernel) and a first dataset (which no
#: longer imports Dask: ecosim.observe.duckarrays answers xarray's questions about it). Then,
#: in the same process, the short run twice (its twin in the process, nothing written): the
#: first loads the rest of the run's kernels from the cache, the second is the run alone.
_FLOOR = """
import resource, sys, time
t0 = time.perf_counter()
import numpy as np
import xarray as xr
import ecosim.api, ecosim.cli.run, ecosim.observe.dataset
from ecosim.kernels import service
service.lane_service(np.ones(4), np.ones(4), 4, np.empty(4), np.empty(1))
xr.Dataset({"x": ("a", np.zeros(2))})
floor = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
scenario = ecosim.load_scenario(sys.argv[1], sys.argv[2:])
runs = []
for _ in range(2):
    t0 = time.perf_counter()
    ecosim.simulate(scenario, twin_apart=False)
    runs.append(time.perf_counter() - t0)
print(floor, rss, runs[0] - runs[1], runs[1])
"""


@dataclass(frozen=True)
class Floor:
    """What a short run costs beyond its own simulation, in a fresh process (seconds, MiB)."""

    imports: float  # the imports, a first kernel and a first dataset
    rss_mib: float  # their peak RSS
    kernels: float  # the rest of the run's kernels loaded from the cache, at its first call
    run: float  # the short run and its twin, every kernel loaded


def floor(cache: Path, scenario: Path, overrides: list[str]) -> Floor:
    """:data:`_FLOOR` in a fresh process, from ``cache``, with the short run of ``scenario``."""
    env = child_env(cache)
    out = subprocess.run(
        [sys.executable, "-c", _FLOOR, str(scenario), *overrides],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit("measuring the imports failed")
    return Floor(*(float(x) for x in out.stdout.split()))


@dataclass(frozen=True)
class Row:
    """A line of the table: a measure, its value and target, and whether it is met."""

    measure: str
    value: str
    target: str
    ratio: str
    met: str

    def cells(self) -> tuple[str, str, str, str, str]:
        return (self.measure, self.value, self.target, self.ratio, self.met)


def _met(ok: bool | None) -> str:
    return "-" if ok is None else ("yes" if ok else "NO")


def print_table(rows: list[Row]) -> None:
    """Print the rows as an aligned table: the measure left, the numbers right."""
    head = Row("measure", "value", "target", "ratio to reference", "met?")
    widths = [max(len(r.cells()[i]) for r in [head, *rows]) for i in range(5)]

    def line(r: Row) -> str:
        measure, *rest = r.cells()
        right = [f"{c:>{widths[i + 1]}}" for i, c in enumerate(rest)]
        return " | ".join([f"{measure:<{widths[0]}}", *right])

    print(line(head))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def main() -> None:
    """Parse arguments, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    extra = [x for o in args.overrides for x in ("--set", o)]
    start = [*extra, "--set", f"horizon_years={START_DAYS / DAYS_PER_YEAR:.6f}", "--no-figure"]

    ref = Reference()
    ref.run()  # SimPy and NumPy warmed, so the first reference is like the others
    pairs = Alternate(ref)
    refs: dict[str, list[Seconds]] = {"cold": [], "warm": [], "start": []}
    runs: dict[str, list[Child]] = {"cold": [], "warm": [], "start": []}
    with tempfile.TemporaryDirectory(prefix="bench_baseline_") as tmp:
        out = Path(tmp) / "bench.nc"
        for i in range(max(1, args.repeats)):
            cache = Path(tmp) / f"cache{i}"  # empty: the first run compiles every kernel
            for kind, flags in (("cold", extra), ("warm", extra), ("start", start)):
                once = functools.partial(ecosim_run, args.scenario, cache, out, flags)
                child, ref_s = pairs.measure(once)
                runs[kind].append(child)
                refs[kind].append(ref_s)
            c, w, s = (runs[k][-1] for k in ("cold", "warm", "start"))
            walls = [t.wall for t in pairs.times]
            print(
                f"repeat {i}: reference {min(walls):.2f}-{max(walls):.2f} s   "
                f"cold {c.wall:.1f} s   "
                f"warm {w.wall:.1f} s   {START_DAYS:.0f}-day {s.wall:.2f} s   "
                f"peak RSS warm {w.rss_mib:.0f} MiB, cold {c.rss_mib:.0f} MiB",
                flush=True,
            )

        short = [*args.overrides, f"horizon_years={START_DAYS / DAYS_PER_YEAR:.6f}"]
        floors = [
            floor(Path(tmp) / f"cache{i}", args.scenario, short)
            for i in range(max(1, args.repeats))
        ]

    def med(kind: str) -> float:
        return statistics.median(c.wall for c in runs[kind])

    def rel(kind: str) -> float:
        return ratio([c.wall for c in runs[kind]], [r.wall for r in refs[kind]])

    warm, warm_ratio = med("warm"), rel("warm")
    cpu_ratio = ratio([c.cpu for c in runs["warm"]], [r.cpu for r in refs["warm"]])
    rss = max(c.rss_mib for c in runs["warm"])
    start_s = med("start")
    compile_s = statistics.median(
        c.wall - w.wall for c, w in zip(runs["cold"], runs["warm"], strict=True)
    )
    compile_ratio = statistics.median(
        (c.wall - w.wall) / r.wall
        for c, w, r in zip(runs["cold"], runs["warm"], refs["cold"], strict=True)
    )
    n = max(1, args.repeats)
    rows = [
        Row(
            "reference: SimPy M/M/10, 100k jobs (s)",
            f"{statistics.median(t.wall for t in pairs.times):.2f}",
            "about 1",
            "1.00",
            "-",
        ),
        Row(
            f"{args.scenario.stem} run + twin, warm cache (s)",
            f"{warm:.1f}",
            f"<= {RUN_RATIO_TARGET} x ref",
            f"{warm_ratio:.2f}",
            _met(warm_ratio <= RUN_RATIO_TARGET),
        ),
        Row(
            "  its CPU time, against the reference's (s)",
            f"{statistics.median(c.cpu for c in runs['warm']):.1f}",
            "informative",
            f"{cpu_ratio:.2f}",
            "-",
        ),
        Row(
            "  peak RSS of that run (MiB)",
            f"{rss:.0f}",
            f"<= {RSS_TARGET_MIB:.0f}",
            "-",
            _met(rss <= RSS_TARGET_MIB),
        ),
        Row(
            f"{START_DAYS:.0f}-day run from the cache, no heatmap (s)",
            f"{start_s:.2f}",
            f"<= {START_TARGET_S:.0f}",
            f"{rel('start'):.2f}",
            _met(start_s <= START_TARGET_S),
        ),
        Row(
            "compile cost, cold minus warm cache (s)",
            f"{compile_s:.1f}",
            "informative",
            f"{compile_ratio:.1f}",
            "-",
        ),
        Row(
            "  peak RSS of the cold run (MiB)",
            f"{max(c.rss_mib for c in runs['cold']):.0f}",
            "informative",
            "-",
            "-",
        ),
        Row(
            "imports + first kernel from the cache (s)",
            f"{statistics.median(f.imports for f in floors):.2f}",
            "informative",
            "-",
            "-",
        ),
        Row(
            "  their peak RSS (MiB): every run's floor",
            f"{max(f.rss_mib for f in floors):.0f}",
            "informative",
            "-",
            "-",
        ),
        Row(
            f"  then the {START_DAYS:.0f}-day run's other kernels from the cache (s)",
            f"{statistics.median(f.kernels for f in floors):.2f}",
            "informative",
            "-",
            "-",
        ),
        Row(
            f"  and the {START_DAYS:.0f}-day run + twin itself, kernels loaded (s)",
            f"{statistics.median(f.run for f in floors):.2f}",
            "informative",
            "-",
            "-",
        ),
    ]
    given = "".join(f" --set {o}" for o in args.overrides)
    times = f"medians of {n} repeats" if n > 1 else "one repeat"
    print(f"\n{args.scenario.name}{given}: {times} (peak RSS: the largest)")
    print_table(rows)


if __name__ == "__main__":
    main()
