"""Imported by the page's fork server only: loads a run's kernels before any run is forked.

Numba loads each compiled kernel from its cache at the kernel's first call in a process
(about 2 s for a run's sixty-odd kernels, most of it starting Numba's code generator). The
fork server (:mod:`ecosim.serve.processes`) imports this module once, which makes a four-day
run of the shipped baseline and its twin: every run forked from the server then starts with
those kernels loaded. Its result is thrown away, and what the server then holds is frozen
out of the garbage collector's sight. A failure here only leaves the kernels to
each run: the run itself then reports whatever is wrong.
"""

from __future__ import annotations

import contextlib
import gc

from ecosim.serve.catalogue import SCENARIOS

#: Four days: the world's first steps and first events call nearly every kernel of a run.
WARM_OVERRIDES = ["horizon_years=0.011"]


def warm() -> None:
    """Make and discard a four-day run of the shipped baseline and its twin."""
    from ecosim import load_scenario, simulate

    # the twin in this process: the fork server must stay a process of one thread, no child
    simulate(load_scenario(SCENARIOS / "baseline.yaml", WARM_OVERRIDES), twin_apart=False)


with contextlib.suppress(Exception):
    warm()

# What the server holds now (its imports, the kernels, the warm run's leftovers) lives as long
# as it does, in every run forked from it: moved out of the collector's sight, a run's first
# full collection no longer walks it. Without this, that collection came in the first steps
# of a run forked from the server, about a tenth of a second, while its twin (forked from
# the run, which freezes what it inherits) went on ahead of it.
gc.freeze()
