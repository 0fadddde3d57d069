"""Where a run's time goes: CPU seconds in each part of the world step. Run by hand.

    .venv/bin/python benchmarks/bench_phases.py [--scenario PATH] [--horizon-years Y] [--reference]

Runs the scenario (default the baseline over three years, with its no-shock twin, as
``ecosim run`` does) in this process after a warm-up run, with each part of the step timed:
the compiled continuous step (the job queues, the capacity set aside for workloads, porting,
models, talent and the coupling in one call; with ``--reference`` each of those parts on its
own, as the step's reference twin runs them), supply, the refresh of what follows from the
state, the close of a step (prices, frontier), the recorder, and the discrete events (market
rounds, orders, reviews). Each part's time excludes the parts timed inside it, so the rows add
up to what was timed. It prints each part's CPU seconds, its share, its calls and the time per
call: the table the rest of the compiled step of issue #22 starts from.

The timing wraps functions at run time, which costs a little per call; the total it prints
beside the unwrapped run's shows how much.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the checkout's ecosim, whatever is installed

#: (module path, attribute, label): the parts timed, each excluding those timed inside it.
PARTS: tuple[tuple[str, str, str], ...] = (
    ("ecosim.world.step", "WorldStep.advance", "advance (the rest of it)"),
    ("ecosim.world.step", "WorldStep.refresh", "refresh"),
    ("ecosim.world.step", "WorldStep.close", "close: prices, frontier, flows"),
    ("ecosim.world.step", "WorldStep._continuous", "compiled continuous step (queues, layers)"),
    ("ecosim.world.step", "workload_capacity", "capacity set aside for workloads"),
    ("ecosim.world.jobs", "JobFlow.advance", "job queues"),
    ("ecosim.world.supply", "step_supply", "supply and orders"),
    ("ecosim.world.talent", "step_talent", "talent"),
    ("ecosim.world.layers", "step_models", "models"),
    ("ecosim.world.layers", "step_porting", "porting"),
    ("ecosim.observe.recorder", "Recorder.observe", "recorder"),
    ("ecosim.world.cloud", "market_step", "event: market round"),
    ("ecosim.world.cloud", "provider_orders", "event: provider orders"),
    ("ecosim.world.policy", "review", "event: build-or-buy review"),
    ("ecosim.world.capacity", "review_market", "event: capacity review"),
    ("ecosim.world.projects", "finish", "event: project finished"),
)


class Timer:
    """CPU time of wrapped functions, each excluding the wrapped functions it calls."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self._inner = [0.0]

    def wrap(self, fn: Callable[..., Any], label: str) -> Callable[..., Any]:
        """``fn``, timed under ``label``."""

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            self._inner.append(0.0)
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.process_time() - start
                inner = self._inner.pop()
                self.seconds[label] += spent - inner
                self.calls[label] += 1
                self._inner[-1] += spent

        return timed


def install(timer: Timer) -> None:
    """Wrap every part of :data:`PARTS` where it is looked up."""
    import importlib

    for module_name, attribute, label in PARTS:
        module = importlib.import_module(module_name)
        owner: Any = module
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        setattr(owner, name, timer.wrap(getattr(owner, name), label))
    # every caller looks these up through their module or class when it calls them, so the
    # wrapped versions are the ones called


def main() -> None:
    """Parse arguments, run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--horizon-years", type=float, default=3.0)
    parser.add_argument(
        "--reference", action="store_true", help="run the step's reference twin, part by part"
    )
    args = parser.parse_args()

    import ecosim
    from ecosim.world import step

    step.COMPILED = not args.reference

    scenario = ecosim.load_scenario(args.scenario, [f"horizon_years={args.horizon_years}"])
    # the twin in this process, not in a forked child: this process's CPU time is then the
    # run's and the twin's, and the parts are timed in both
    ecosim.simulate(scenario, twin_apart=False)  # loads or compiles every kernel; fits once
    start = time.process_time()
    ecosim.simulate(scenario, twin_apart=False)
    plain = time.process_time() - start

    timer = Timer()
    install(timer)
    start = time.process_time()
    ecosim.simulate(scenario, twin_apart=False)
    total = time.process_time() - start
    timed = sum(timer.seconds.values())

    print(
        f"{args.scenario.name}, {args.horizon_years:g} years, run + no-shock twin, "
        f"{'reference' if args.reference else 'compiled'} step: "
        f"{plain:.2f} s CPU unwrapped, {total:.2f} s wrapped ({timed:.2f} s in the parts)\n"
    )
    print(f"{'part':36} {'CPU s':>7} {'share':>6} {'calls':>7} {'ms/call':>8}")
    print("-" * 68)
    for label, seconds in timer.seconds.most_common():
        calls = timer.calls[label]
        print(
            f"{label:36} {seconds:7.2f} {seconds / total:6.1%} {calls:7d} "
            f"{1000.0 * seconds / max(calls, 1):8.3f}"
        )
    rest = total - timed
    print(f"{'the rest (engine, build, metrics)':36} {rest:7.2f} {rest / total:6.1%}")


if __name__ == "__main__":
    main()
