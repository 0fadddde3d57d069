"""Benchmark cases for the cloud-market kernels at the size of the baseline world.

Nine regions of 2000 customers each choose among nineteen providers (the long tails
included), about a tenth of them re-choosing in a month, with headroom tight enough that
capacity limits bind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from _bench import Case

from ecosim.kernels.market import (
    choose_providers,
    choose_providers_ref,
    market_shares,
    market_shares_ref,
)

N_REGIONS = 9
N_CUSTOMERS = 2000
N_PROVIDERS = 19
RESELECT_FRACTION = 0.1


def market_inputs(seed: int = 0) -> dict[str, Any]:
    """Return the keyword arguments of ``choose_providers`` for one month of a realistic market."""
    rng = np.random.default_rng(seed)
    shape = (N_REGIONS, N_CUSTOMERS)
    workload = rng.lognormal(0.0, 1.0, shape)
    provider = rng.integers(-1, N_PROVIDERS, shape)
    installed = market_shares(provider, workload, N_PROVIDERS)[:, :-1]
    can_stay = (rng.random((N_REGIONS, N_PROVIDERS)) < 0.97).astype(np.uint8)
    stuck = np.take_along_axis(can_stay, np.maximum(provider, 0), axis=1) == 0
    reselect = (rng.random(shape) < RESELECT_FRACTION) | ((provider >= 0) & stuck)
    return {
        "quality": rng.uniform(0.0, 1.0, N_PROVIDERS),
        "price": rng.uniform(1.0, 4.0, (N_REGIONS, N_PROVIDERS)),
        "home": rng.integers(0, N_REGIONS, N_PROVIDERS),
        "can_join": (rng.random((N_REGIONS, N_PROVIDERS)) < 0.9).astype(np.uint8),
        "can_stay": can_stay,
        "headroom": rng.uniform(0.0, 0.01, (N_REGIONS, N_PROVIDERS)) * workload.sum(),
        "asc": rng.normal(0.0, 1.0, (N_REGIONS, N_PROVIDERS)),
        "beta": 1.0,
        "gamma": 0.5,
        "outside_utility": -0.5,
        "cust_alpha": rng.uniform(0.4, 1.2, shape),
        "cust_switch": rng.uniform(0.2, 1.5, shape),
        "interop": rng.uniform(0.0, 1.0, (N_REGIONS, N_REGIONS)),
        "installed": np.ascontiguousarray(installed),
        "cust_provider": provider,
        "cust_workload": workload,
        "cust_pref": rng.uniform(0.0, 1.0, shape),
        "reselect": reselect.astype(np.uint8),
        "gumbel": rng.gumbel(size=(N_REGIONS, N_CUSTOMERS, N_PROVIDERS + 1)),
    }


def _discard(call: Callable[[], object]) -> Callable[[], None]:
    # Setup runs the compiled kernel once so compilation (or the cache load) stays out of timings.
    def setup() -> None:
        call()

    return setup


def _month(kernel: Callable[..., None], inputs: dict[str, Any]) -> Callable[[], object]:
    # Only the two arrays the kernel updates are copied, so both sides pay the same small cost
    # and every repeat starts from the same month.
    def call() -> object:
        args = dict(inputs)
        args["headroom"] = inputs["headroom"].copy()
        args["cust_provider"] = inputs["cust_provider"].copy()
        kernel(**args)
        return args["cust_provider"]

    return call


def cases() -> list[Case]:
    """Return the market benchmark cases."""
    inputs = market_inputs()
    fast = _month(choose_providers, inputs)
    provider, workload = inputs["cust_provider"], inputs["cust_workload"]
    return [
        Case(
            name="market.choose_providers",
            fast=fast,
            ref=_month(choose_providers_ref, inputs),
            repeats_fast=50,
            repeats_ref=3,
            setup=_discard(fast),
        ),
        Case(
            name="market.market_shares",
            fast=lambda: market_shares(provider, workload, N_PROVIDERS),
            ref=lambda: market_shares_ref(provider, workload, N_PROVIDERS),
            repeats_fast=200,
            repeats_ref=3,
            setup=_discard(lambda: market_shares(provider, workload, N_PROVIDERS)),
        ),
    ]
