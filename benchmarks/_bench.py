"""What a benchmark case is, and how one is timed.

A ``cases_*.py`` module beside this file exposes ``cases() -> list[Case]``; ``bench_kernels.py``
finds the modules, times every case and prints the table.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Case:
    """A compiled kernel and its reference twin doing the same work.

    Attributes
    ----------
    name : str
        Row label, ``module.function`` by convention.
    fast, ref : callable
        One run each of the compiled and the reference version; the return value is ignored.
    repeats_fast, repeats_ref : int
        Runs to time; the best is reported. The reference is slow, so it gets fewer.
    setup : callable or None
        Run once before timing, e.g. to compile the kernel or load it from the cache, or to check
        that both sides agree. Without one, ``fast`` is run once instead.
    target : float
        Speed-up (ref time / fast time) the case should reach.
    """

    name: str
    fast: Callable[[], object]
    ref: Callable[[], object]
    repeats_fast: int = 20
    repeats_ref: int = 3
    setup: Callable[[], None] | None = None
    target: float = 50.0


def best_of(fn: Callable[[], object], repeats: int) -> float:
    """Return the shortest of ``repeats`` runs of ``fn``, in seconds.

    The minimum is the run least disturbed by the rest of the machine; garbage collection is
    paused so a collection triggered by earlier allocations is not charged to this run.
    """
    best = float("inf")
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(max(1, repeats)):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
    finally:
        if enabled:
            gc.enable()
    return best


def repeated_call_case(
    name: str,
    fast: Callable[..., Any],
    ref: Callable[..., Any],
    args: tuple[Any, ...],
    calls: int = 200,
    target: float = 10.0,
) -> Case:
    """A case of ``calls`` calls with the same ``args``, as a world step makes them, whose
    setup checks that the kernel and its twin return the same array (or the same tuple of
    arrays) to the bit."""

    def run(fn: Callable[..., Any]) -> None:
        for _ in range(calls):
            fn(*args)

    def check() -> None:
        got, want = fast(*args), ref(*args)
        pairs = zip(got, want, strict=True) if isinstance(got, tuple) else [(got, want)]
        if not all(np.array_equal(a, b) for a, b in pairs):
            raise AssertionError(f"{name} and its twin disagree")

    return _case(name, lambda: run(fast), lambda: run(ref), check, target)


def in_place_case(
    name: str,
    fast: Callable[..., Any],
    ref: Callable[..., Any],
    make: Callable[[], tuple[Any, ...]],
    calls: int = 200,
    target: float = 10.0,
) -> Case:
    """A case of ``calls`` calls of a kernel that writes into its arguments, on the arrays
    ``make()`` returns; the setup checks that the kernel and its twin leave every array the
    same to the bit."""
    args = make()

    def run(fn: Callable[..., Any]) -> None:
        for _ in range(calls):
            fn(*args)

    def check() -> None:
        got, want = make(), make()
        fast(*got)
        ref(*want)
        if not all(np.array_equal(a, b) for a, b in zip(got, want, strict=True)):
            raise AssertionError(f"{name} and its twin disagree")

    return _case(name, lambda: run(fast), lambda: run(ref), check, target)


def _case(
    name: str,
    fast: Callable[[], None],
    ref: Callable[[], None],
    check: Callable[[], None],
    target: float,
) -> Case:
    return Case(
        name=name,
        fast=fast,
        ref=ref,
        repeats_fast=50,
        repeats_ref=5,
        setup=check,
        target=target,
    )
