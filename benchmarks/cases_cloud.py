"""Benchmark cases for the cloud kernels at the size of the baseline world.

Nine regions and nineteen providers, some providers absent from some regions or closed to
new contracts, part of the work waiting on the outside option, and fleets short of what is
asked of them in some regions: each kernel's branches are taken. Each case makes the calls of
a few world steps with the same arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from _bench import Case, repeated_call_case

from ecosim.kernels.cloud import (
    cloud_need,
    cloud_need_ref,
    delivered,
    delivered_ref,
    receive,
    receive_ref,
    wanted,
    wanted_ref,
    workload_capacity,
    workload_capacity_ref,
    workload_shares,
    workload_shares_ref,
)

N_REGIONS = 9
N_PROVIDERS = 19
CALLS = 200


def _market(seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    shares = rng.random((N_REGIONS, N_PROVIDERS + 1)) * (
        rng.random((N_REGIONS, N_PROVIDERS + 1)) < 0.7
    )
    shares[:, -1] += 0.2
    shares /= shares.sum(axis=1, keepdims=True)
    need = rng.uniform(1e4, 1e6, N_REGIONS)
    return {
        "shares": shares,
        "need": need,
        "can_join": (rng.random((N_REGIONS, N_PROVIDERS)) < 0.9).astype(np.uint8),
        "can_stay": (rng.random((N_REGIONS, N_PROVIDERS)) < 0.95).astype(np.uint8),
        "present": rng.random((N_REGIONS, N_PROVIDERS)) < 0.6,
        "headroom": rng.uniform(0.05, 0.2, N_PROVIDERS),
        "cap": shares[:, :-1] * need[:, None] * rng.uniform(0.7, 1.3, (N_REGIONS, N_PROVIDERS)),
        "available": np.where(rng.random(N_PROVIDERS) < 0.9, 1.0, 0.5),
    }


def _receiving(kernel: Callable[..., None], args: tuple[Any, ...]) -> Callable[..., np.ndarray]:
    # the kernel grows the fleets in place: each call starts from the same fleets
    def call(*_: Any) -> np.ndarray:
        cap = args[0].copy()
        kernel(cap, *args[1:])
        return cap

    return call


def cases() -> list[Case]:
    """Return the cloud benchmark cases: a few steps' calls of each kernel."""
    m = _market()
    want_args = (m["shares"], m["need"], 0.05, m["can_join"], m["present"], m["headroom"])
    want = wanted_ref(*want_args)
    receive_args = (
        m["cap"],
        3,
        float(m["need"].sum()) * 0.01,
        want,
        m["present"],
        np.ones(N_REGIONS),
    )
    rng = np.random.default_rng(1)
    demand = rng.uniform(1e5, 1e6, N_REGIONS)
    capacity_args = (
        demand * 0.4,
        delivered_ref(m["shares"], m["need"], m["can_stay"], m["cap"], m["available"]),
        np.zeros(N_REGIONS),
        np.full(N_REGIONS, 0.97),
        np.full(N_REGIONS, 0.98),
        m["present"],
        demand,
        rng.dirichlet(np.ones(4), N_REGIONS),
        np.array([0.5, 1.0, 1.5, 2.0]),
        np.array([False, False, False, True]),
    )
    return [
        repeated_call_case("cloud.wanted", wanted, wanted_ref, want_args, CALLS),
        repeated_call_case(
            "cloud.delivered",
            delivered,
            delivered_ref,
            (m["shares"], m["need"], m["can_stay"], m["cap"], m["available"]),
            CALLS,
            target=5.0,
        ),
        repeated_call_case(
            "cloud.receive",
            _receiving(receive, receive_args),
            _receiving(receive_ref, receive_args),
            (),
            CALLS,
            target=5.0,  # both sides copy the fleets
        ),
        repeated_call_case(
            "cloud.workload_capacity",
            workload_capacity,
            workload_capacity_ref,
            capacity_args,
            CALLS,
            target=1.3,
        ),
        repeated_call_case(
            "cloud.cloud_need",
            cloud_need,
            cloud_need_ref,
            (
                demand,
                np.where(rng.random(N_REGIONS) < 0.8, 1.0, 1.2),
                demand * rng.uniform(0.2, 1.2, N_REGIONS),
                np.where(rng.random(N_REGIONS) < 0.9, 1.0, 0.5),
                np.full(N_REGIONS, 0.1),
            ),
            CALLS,
            target=1.5,  # five numpy calls on nine elements against one call's dispatch
        ),
        repeated_call_case(
            "cloud.workload_shares",
            workload_shares,
            workload_shares_ref,
            (
                rng.uniform(0.0, 0.6, N_REGIONS),
                rng.uniform(0.0, 0.4, N_REGIONS),
                0.45,
                0.7,
                rng.dirichlet(np.ones(3), N_REGIONS),
            ),
            CALLS,
            target=3.0,
        ),
    ]
