"""Time every compiled kernel against its reference twin, in one process.

Usage::

    .venv/bin/python benchmarks/bench_kernels.py [-k SUBSTRING] [--quick]

Every ``benchmarks/cases_*.py`` module exposes ``cases() -> list[Case]`` (see ``_bench.py``).
Each case is set up once (which compiles the kernel or loads it from the cache), then both sides
are timed best-of-N with ``time.perf_counter``. The table lists the best times and their ratio
against the case's target; the exit status is 1 when ``--strict`` is given and a target is missed.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    # Case modules import ``_bench`` as a top-level module, whatever the working directory.
    sys.path.insert(0, str(HERE))

from _bench import Case, best_of  # noqa: E402


def discover(pattern: str = "cases_*.py") -> list[Case]:
    """Import every case module beside this file, in name order, and collect its cases."""
    found: list[Case] = []
    for path in sorted(HERE.glob(pattern)):
        module = importlib.import_module(path.stem)
        found.extend(module.cases())
    return found


def _times(x: float) -> str:
    """A ratio as ``12x``, or ``1.3x`` under ten (the compiled step's is about one and a bit)."""
    return f"{x:.0f}x" if x >= 10 else f"{x:.1f}x"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; return the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", dest="select", default="", help="only cases whose name contains it")
    parser.add_argument("--quick", action="store_true", help="one timed run per side")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)

    cases = [case for case in discover() if args.select in case.name]
    if not cases:
        print("no benchmark case matched", file=sys.stderr)
        return 1
    width = max(len(case.name) for case in cases)
    header = f"{'case':<{width}}  {'fast ms':>10}  {'ref ms':>10}  {'ratio':>8}  {'target':>7}"
    print(header)
    print("-" * len(header))
    missed = []
    for case in cases:
        if case.setup is not None:
            case.setup()
        else:
            case.fast()
        fast = best_of(case.fast, 1 if args.quick else case.repeats_fast)
        ref = best_of(case.ref, 1 if args.quick else case.repeats_ref)
        ratio = ref / fast
        flag = "" if ratio >= case.target else "  below target"
        if flag:
            missed.append(case.name)
        print(
            f"{case.name:<{width}}  {fast * 1e3:>10.3f}  {ref * 1e3:>10.1f}  "
            f"{_times(ratio):>8}  {_times(case.target):>7}{flag}",
            flush=True,
        )
    print()
    if missed:
        print(f"{len(missed)} of {len(cases)} cases below target: {', '.join(missed)}")
    else:
        print(f"all {len(cases)} cases at or above target")
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
