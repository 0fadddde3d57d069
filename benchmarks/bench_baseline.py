"""Wall time and peak memory of the baseline run, with a cold and a warm Numba cache.

Run by hand (``make bench``); not part of the test suite. Each measurement is a fresh
``ecosim run`` subprocess, so start-up, imports and cache loading count as a user sees them.
Cold and warm runs alternate so load on the shared machine hits both alike; the script prints
each repeat, the medians and the cold/warm ratio.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(scenario: Path, cache: Path, out: Path, extra: list[str]) -> tuple[float, float]:
    """Run ``ecosim run`` once; return wall seconds and the child's peak RSS in MiB."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ecosim", "run", str(scenario), "--out", str(out), "-q", *extra],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the maximum over all children so far; report it when it grew
    return wall, max(peak, before) / 1024.0


def main() -> None:
    """Parse arguments, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    extra = [x for o in args.overrides for x in ("--set", o)]
    cold: list[float] = []
    warm: list[float] = []
    peaks: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.nc"
        for i in range(args.repeats):
            cache = Path(tmp) / f"cache{i}"
            w_cold, peak = measure(args.scenario, cache, out, extra)
            w_warm, peak2 = measure(args.scenario, cache, out, extra)
            cold.append(w_cold)
            warm.append(w_warm)
            peaks.append(max(peak, peak2))
            print(f"repeat {i}: cold {w_cold:6.1f} s   warm {w_warm:6.1f} s")
    c, w = statistics.median(cold), statistics.median(warm)
    print(f"\nbaseline run ({args.scenario.name}, run + no-shock twin):")
    print(f"  cold cache  {c:6.1f} s (median of {args.repeats})")
    print(f"  warm cache  {w:6.1f} s")
    print(f"  cold / warm {c / w:6.2f}x  (compilation cost)")
    print(f"  peak RSS    {max(peaks):6.0f} MiB")
    # start-up: a run of a few days with the warm cache, i.e. imports and cached kernels
    with tempfile.TemporaryDirectory() as tmp:
        cache, out = Path(tmp) / "cache", Path(tmp) / "s.nc"
        tiny = ["--set", "horizon_years=0.01", "--no-figure"]
        measure(args.scenario, cache, out, tiny)
        start_cold = measure(args.scenario, Path(tmp) / "cache2", out, tiny)[0]
        start_warm = statistics.median(
            measure(args.scenario, cache, out, tiny)[0] for _ in range(3)
        )
    print(f"  start-up (4-day run): cold cache {start_cold:.1f} s, warm cache {start_warm:.1f} s")


if __name__ == "__main__":
    main()
