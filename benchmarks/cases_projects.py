"""Benchmark case for the build projects' kernel at the size of a baseline run's book.

Nine regions and a hundred projects, as a few years of reviews and AI factories open them;
each world step pays over all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from _bench import Case, repeated_call_case

from ecosim.kernels.projects import pay_construction, pay_construction_ref

N_REGIONS = 9
N_PROJECTS = 100
CALLS = 200


def _paying(kernel: Callable[..., None], args: tuple[Any, ...]) -> Callable[..., np.ndarray]:
    # the kernel adds to the spending and the paid in place: each call starts from the same
    def call(*_: Any) -> np.ndarray:
        spent, paid = args[-2].copy(), args[-1].copy()
        kernel(*args[:-2], spent, paid)
        return np.concatenate((spent, paid))

    return call


def cases() -> list[Case]:
    """Return the projects' benchmark case: a few steps' calls of the payments."""
    rng = np.random.default_rng(0)
    decided = rng.uniform(-200.0, 1000.0, N_PROJECTS)
    args = (
        rng.uniform(1e3, 1e5, N_PROJECTS),
        decided,
        decided + rng.uniform(200.0, 500.0, N_PROJECTS),
        rng.integers(0, N_REGIONS, N_PROJECTS).astype(np.int64),
        rng.uniform(2e4, 5e4, N_REGIONS),
        rng.uniform(0.5, 0.8, N_REGIONS),
        0.9,
        500.0,
        501.0,
        np.zeros(N_REGIONS),
        np.zeros(N_PROJECTS),
    )
    return [
        repeated_call_case(
            "projects.pay_construction",
            _paying(pay_construction, args),
            _paying(pay_construction_ref, args),
            (),
            CALLS,
            target=3.0,  # both sides copy the arrays they add to
        )
    ]
