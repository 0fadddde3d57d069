"""The yardstick the speed targets are measured against: a plain-SimPy M/M/10 queue.

One hundred thousand jobs arrive as a Poisson stream at ten identical servers, utilisation
0.88, exponential service with mean one. Each job is a SimPy process that asks for a server,
holds it for its service time and leaves; nothing is compiled. It takes about a second on the
development machine, and it feels the machine's load as ecosim does (one core, Python objects,
the same SimPy event loop), so a target written as a multiple of it holds on a faster or a
busier machine alike.

Timed in the process that launches the measurements, alternating with them::

    from reference import Alternate, Reference
    pairs = Alternate(Reference())
    value, ref_s = pairs.measure(measure_once)  # ref_s.wall, ref_s.cpu: set value against them

``python benchmarks/reference.py`` times the reference alone, which helps when a target is
in doubt.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import simpy
from numpy.typing import NDArray

N_JOBS = 100_000
SERVERS = 10
UTILISATION = 0.88  # arrivals per unit time over SERVERS x the service rate (1)

T = TypeVar("T")


class Reference:
    """An M/M/10 queue in plain SimPy, its random draws made once, outside the timings."""

    def __init__(self, n_jobs: int = N_JOBS, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.gaps: NDArray[np.float64] = rng.exponential(1.0 / (UTILISATION * SERVERS), n_jobs)
        self.service: NDArray[np.float64] = rng.exponential(1.0, n_jobs)

    def run(self) -> float:
        """Simulate every job to its departure; return the mean wait (a check, not a result)."""
        env = simpy.Environment()
        servers = simpy.Resource(env, capacity=SERVERS)
        gaps, service = self.gaps.tolist(), self.service.tolist()
        waits = [0.0] * len(gaps)

        def job(k: int) -> Generator[simpy.Event, object, None]:
            arrived = env.now
            with servers.request() as granted:
                yield granted
                waits[k] = env.now - arrived
                yield env.timeout(service[k])

        def source() -> Generator[simpy.Event, object, None]:
            for k, gap in enumerate(gaps):
                yield env.timeout(gap)
                env.process(job(k))

        env.process(source())
        env.run()
        return sum(waits) / len(waits)

    def time(self) -> Seconds:
        """Wall and CPU seconds of one run."""
        return timed(self.run)[1]


@dataclass(frozen=True)
class Seconds:
    """How long something took: wall-clock and this process's CPU time (user + system).

    On a machine shared with others, CPU time moves much less with their load than wall time
    does; for a single-threaded run on an idle machine the two agree.
    """

    wall: float
    cpu: float


def timed(fn: Callable[[], T]) -> tuple[T, Seconds]:
    """Run ``fn`` once, garbage collected first so earlier work is not charged to it."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, Seconds(time.perf_counter() - wall, time.process_time() - cpu)


class Alternate:
    """Time the reference between measurements: before the first, then after each one.

    Each measurement is set against the faster of the reference runs just before and just
    after it (the one after a measurement is the one before the next). Load that lasts, from
    the rest of the machine, slows both references and the measurement between them, and so
    cancels out; a burst during one short reference run is not charged to the measurement, as
    the other reference escapes it (the minimum is the least disturbed run, as in ``_bench``).
    """

    def __init__(self, ref: Reference) -> None:
        self.ref = ref
        self.times: list[Seconds] = []  # every reference run, in order

    def measure(self, fn: Callable[[], T]) -> tuple[T, Seconds]:
        """Run ``fn`` once; return its value and the reference to set it against.

        The reference's wall and CPU seconds are each the smaller of the runs before and after
        ``fn``, which are ``times[-2]`` and ``times[-1]`` once this returns.
        """
        if not self.times:
            self.times.append(self.ref.time())
        value = fn()
        self.times.append(self.ref.time())
        before, after = self.times[-2:]
        return value, Seconds(min(before.wall, after.wall), min(before.cpu, after.cpu))


def ratio(seconds: list[float], refs: list[float]) -> float:
    """Median over the pairs of measured seconds over the reference seconds paired with them."""
    return statistics.median(s / r for s, r in zip(seconds, refs, strict=True))


def main() -> None:
    """Time the reference a few times and print each run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    ref = Reference()
    wait = ref.run()
    times = [ref.time().wall for _ in range(max(1, args.repeats))]
    print(f"SimPy M/M/{SERVERS}, {N_JOBS:,} jobs, utilisation {UTILISATION}: mean wait {wait:.3f}")
    print(
        "  "
        + "  ".join(f"{t:.2f} s" for t in times)
        + f"   median {statistics.median(times):.2f} s"
    )


if __name__ == "__main__":
    main()
