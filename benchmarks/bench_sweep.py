"""Sweep throughput and memory: run by hand, not part of the test suite.

1. Parallel speed-up of a short sweep (default 200 runs) on 2 Dask workers, against a bare
   ``concurrent.futures.ProcessPoolExecutor`` of 2 processes running the same runs side by side
   (load + simulate, nothing stored). Target: the sweep reaches at least 0.95 of the pool's
   speed-up over one process.
2. Per-run dispatch and store overhead: the in-process sweep's time outside loading and
   simulating its runs (timed inside it), and beside it the sweep against a bare loop.
3. Peak memory (RSS) of the sweep process at 1,000 and 10,000 runs of a very short horizon
   (a few days, twin on, metrics only). Target: at most 1.2x apart.
4. Throughput on the baseline: a few ten-year baseline futures (twin on, metrics only) on the
   workers, in runs per hour and scaled to 1,000 futures. Target: at most 10 minutes.

    .venv/bin/python benchmarks/bench_sweep.py                 # all three
    .venv/bin/python benchmarks/bench_sweep.py --memory 1000 10000 --skip-speed
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"


def sweep_text(n: int, horizon_years: float, interval_days: float) -> str:
    """A sweep of ``n`` futures (one uncertainty), one replicate, metrics only."""
    return (
        f"base: {SMALL}\n"
        f"overrides: [horizon_years={horizon_years}, recording.interval_days={interval_days}]\n"
        "uncertainties:\n  shocks.fab_quake.capacity_loss: {low: 0.2, high: 0.9}\n"
        f"design: {{kind: lhs, n: {n}, seed: 1}}\n"
        "replicates: 1\n"
    )


def _one(args: tuple[str, tuple[str, ...], int, int]) -> float:
    from ecosim import load_scenario, simulate

    base, overrides, seed, future = args
    # metrics only, as the sweep records them: the pool does the same work, no more
    simulate(
        load_scenario(base, list(overrides), seed=seed),
        future=future,
        series=(),
        twin_apart=False,  # one run a process, as on the sweep's Dask workers
    )
    return 0.0


def _runs(sweep: Path) -> list[tuple[str, tuple[str, ...], int, int]]:
    from ecosim.experiments.design import expand
    from ecosim.experiments.sweepfile import read_sweep

    s = read_sweep(sweep)
    table = expand(s.spec)
    seed = s.spec.entropy or 20250101
    return [
        (str(s.base_path), (*s.spec.overrides, *r.overrides), seed, r.future) for r in table.runs()
    ]


def speed(n: int, horizon_years: float, workers: int) -> None:
    """Print serial, pool and sweep timings and the speed-up ratio."""
    import ecosim.kernels  # points NUMBA_CACHE_DIR at the shared cache
    from ecosim.experiments import driver, executors, runner

    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    sweep = tmp / "speed.yaml"
    sweep.write_text(sweep_text(n, horizon_years, 7))
    runs = _runs(sweep)
    _one(runs[0])  # load kernels in this process
    t0 = time.perf_counter()
    for r in runs:
        _one(r)
    serial = time.perf_counter() - t0
    with cf.ProcessPoolExecutor(workers) as pool:
        list(pool.map(_one, runs[:workers]))  # start and warm the processes
        t0 = time.perf_counter()
        list(pool.map(_one, runs, chunksize=max(1, n // (8 * workers))))
        pooled = time.perf_counter() - t0

    import ecosim.api
    import ecosim.scenario.loader

    plain = (ecosim.api.simulate, ecosim.scenario.loader.load_scenario)

    def sweep_once(
        executor: executors.Executor, name: str, *, timing: bool = False
    ) -> tuple[float, int]:
        """The sweep's wall time on ``executor`` and its block size."""
        prepared, template, _ = driver.new_sweep(sweep, workers, None)
        store = tmp / f"{name}.zarr"
        prepared = driver.create(store, prepared, template)
        tasks = runner.plan(prepared.ctx, prepared.table, prepared.block_size)
        with executor as ex:
            if isinstance(ex, executors.DaskExecutor):
                ex.client.run(_one, runs[0])  # warm every worker, as the pool was
            if timing:
                # only the sweep's own calls: the pilot of new_sweep loads and simulates too
                ecosim.api.simulate = timed(plain[0])  # type: ignore[assignment]
                ecosim.scenario.loader.load_scenario = timed(plain[1])  # type: ignore[assignment]
            try:
                t0 = time.perf_counter()
                driver.execute(tasks, ex, quiet=True)
                return time.perf_counter() - t0, prepared.block_size
            finally:
                ecosim.api.simulate, ecosim.scenario.loader.load_scenario = plain  # type: ignore[assignment]

    # the time the in-process sweep spends loading and simulating, timed inside it: what is
    # left is what the sweep adds (dispatch, extraction, the store), measured in one run
    # rather than as the difference of two runs of half a minute, which varies by more
    inside = [0.0]

    def timed(fn: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                inside[0] += time.perf_counter() - start

        return call

    inproc, block = sweep_once(executors.InProcess(), "inproc", timing=True)
    dask, _ = sweep_once(executors.DaskExecutor(executors.local_cluster(workers)), "dask")
    print(f"{n} runs of {horizon_years} years; {workers} workers; blocks of {block} runs")
    print(f"  bare loop, 1 process      {serial:7.2f} s  ({serial / n * 1e3:.1f} ms/run)")
    print(f"  ProcessPoolExecutor       {pooled:7.2f} s  speed-up {serial / pooled:.2f}")
    print(f"  sweep, Dask LocalCluster  {dask:7.2f} s  speed-up {serial / dask:.2f}")
    ratio = (serial / dask) / (serial / pooled)
    print(f"  sweep / pool speed-up     {ratio:.2f}  (target >= 0.95)")
    print(f"  sweep, in process         {inproc:7.2f} s")
    overhead = (inproc - inside[0]) / n * 1e3
    print(f"  dispatch + store overhead {overhead:7.2f} ms/run (in process; target <= 2)")
    print(f"    (in process against the bare loop: {(inproc - serial) / n * 1e3:+.1f} ms/run)")
    print(f"  throughput                {n / dask * 3600:7.0f} runs/hour on {workers} workers")


def baseline_throughput(n: int, workers: int) -> None:
    """Time a sweep of ``n`` baseline futures (ten years, twin on, metrics only) on
    ``workers`` Dask workers, and scale it to the 1,000 futures of the target."""
    import ecosim.kernels  # noqa: F401  (points NUMBA_CACHE_DIR at the shared cache)
    from ecosim.experiments import driver, executors, runner

    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_baseline_"))
    sweep = tmp / "baseline.yaml"
    sweep.write_text(
        f"base: {ROOT / 'scenarios' / 'baseline.yaml'}\n"
        "uncertainties:\n  shocks.taiwan_fab.capacity_loss: {low: 0.3, high: 0.9}\n"
        f"design: {{kind: lhs, n: {n}, seed: 1}}\n"
        "replicates: 1\n"
    )
    # one run per block, so the workers share the few runs evenly
    prepared, template, _ = driver.new_sweep(sweep, workers, 1)
    prepared = driver.create(tmp / "baseline.zarr", prepared, template)
    tasks = runner.plan(prepared.ctx, prepared.table, prepared.block_size)
    with executors.DaskExecutor(executors.local_cluster(workers)) as ex:
        # every worker loads its kernels first, as the pool's processes are warmed above
        ex.client.run(
            _one, (str(ROOT / "scenarios" / "baseline.yaml"), ("horizon_years=0.01",), 1, 0)
        )
        t0 = time.perf_counter()
        driver.execute(tasks, ex, quiet=True)
        wall = time.perf_counter() - t0
    per_hour = n / wall * 3600
    print(f"{n} baseline futures (10 years, twin on, metrics only); {workers} workers")
    print(f"  {wall:7.1f} s: {per_hour:7.0f} runs/hour")
    print(f"  1,000 futures would take {1000 / per_hour * 60:7.1f} min  (target <= 10)")


def memory(n: int) -> float:
    """Peak RSS (MiB) of an in-process ``ecosim sweep`` of ``n`` runs of a few days."""
    tmp = Path(tempfile.mkdtemp(prefix="bench_mem_"))
    sweep = tmp / "mem.yaml"
    sweep.write_text(sweep_text(n, 0.01, 1))
    script = (
        "import resource, sys\n"
        "from ecosim.cli import main\n"
        "sys.argv = ['ecosim', 'sweep', sys.argv[1], '--out', sys.argv[2], '-q', "
        "'--block-size', '50']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", script, str(sweep), str(tmp / "mem.zarr")],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=True,
    )
    peak = int(out.stdout.strip().splitlines()[-1]) / 1024
    print(f"  {n:6d} runs: peak RSS {peak:7.1f} MiB, {time.perf_counter() - t0:.0f} s")
    return peak


def main() -> None:
    """Parse arguments and run the chosen benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--horizon-years", type=float, default=0.25)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument(
        "--baseline-futures",
        type=int,
        default=4,
        help="baseline futures timed to estimate 1,000 (0 skips them)",
    )
    args = parser.parse_args()
    if not args.skip_speed:
        speed(args.runs, args.horizon_years, args.workers)
    if args.baseline_futures:
        baseline_throughput(args.baseline_futures, args.workers)
    if args.memory:
        print("peak memory of the sweep process (in-process executor, metrics only)")
        peaks = [memory(n) for n in args.memory]
        print(f"  ratio largest/smallest {max(peaks) / min(peaks):.2f}  (target <= 1.2)")
    _ = resource


if __name__ == "__main__":
    main()
