"""The no-shock twin's copy of the world shares what nobody writes, and nothing else.

:func:`ecosim.world.state.twin_copy` hands the twin the run's read-only arrays instead of
writable copies of them. The twin's kernels then see the types the run's saw: a run and its
twin in one process (a sweep's worker) compile and load each kernel once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field

import numpy as np

from ecosim.world.state import twin_copy
from tests.conftest import ROOT, SMALL


@dataclass
class _Held:
    """A stand-in for the world's kinds of holding: fields, a dict, a list and a nested object."""

    owned: np.ndarray
    live: np.ndarray
    window: np.ndarray
    rows: dict[str, np.ndarray] = field(default_factory=dict)
    listed: list[np.ndarray] = field(default_factory=list)
    inner: object = None


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def test_read_only_arrays_are_shared_and_the_rest_copied() -> None:
    live = np.arange(4.0)
    window = live[1:3]  # a read-only view of an array the run goes on writing
    window.setflags(write=False)
    kept = _frozen(np.array([2, 3]))
    held = _Held(
        owned=_frozen(np.ones(3)),
        live=live,
        window=window,
        rows={"wafer": kept},
        listed=[_frozen(np.zeros(2)), np.zeros(2)],
        inner=_Held(owned=kept, live=np.ones(1), window=_frozen(np.ones(1))),
    )
    spec = object()
    twin = twin_copy(held, {id(spec): spec})  # any object graph; the world is one

    assert twin is not held
    assert twin.owned is held.owned
    assert twin.rows["wafer"] is kept and twin.inner.owned is kept
    assert twin.listed[0] is held.listed[0]
    # what can change is the twin's own
    assert twin.live is not live and twin.listed[1] is not held.listed[1]
    assert twin.window is not window
    live[1] = 9.0
    assert twin.window[0] == 1.0  # the run's write does not reach the twin
    np.testing.assert_array_equal(twin.live, np.arange(4.0))


def test_a_run_and_its_twin_in_one_process_type_each_kernel_once() -> None:
    """In a fresh process, a run of the small scenario and its twin one after the other
    (as on a sweep's worker) call every kernel with one set of argument types. Before the
    twin shared the run's read-only arrays, its copies were writable, and five kernels were
    typed, compiled and loaded twice."""
    script = """
import importlib, json, pkgutil, sys
import numba
import ecosim.kernels as kernels
from ecosim import load_scenario, simulate
simulate(load_scenario(sys.argv[1], ["horizon_years=0.3"]), twin_apart=False, series=())
counts = {}
for info in pkgutil.iter_modules(kernels.__path__):
    module = importlib.import_module("ecosim.kernels." + info.name)
    for name, obj in vars(module).items():
        if isinstance(obj, numba.core.registry.CPUDispatcher) and obj.__module__ == module.__name__:
            counts[info.name + "." + name] = len(obj.signatures)
print(json.dumps(counts))
"""
    out = subprocess.run(
        [sys.executable, "-c", script, str(SMALL)],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=True,
    )
    counts = json.loads(out.stdout.strip().splitlines()[-1])
    assert sum(counts.values()) > 30, counts  # the run called kernels at all
    # the coupling's two products multiply numpy's transposed view and a strided
    # propagator: two layouts, kept so the reference path's BLAS reads the same memory
    twice = {k: n for k, n in counts.items() if n > 1 and k != "step._matmul"}
    assert twice == {}
