"""Benchmark cases for the cloud-market kernels at the size of the baseline world.

Nine regions of 2000 customers each choose among nineteen providers (the long tails
included), about a tenth of them re-choosing in a month, with headroom tight enough that
capacity limits bind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from _bench import Case, repeated_call_case

from ecosim.kernels.market import (
    choose_providers,
    choose_providers_ref,
    gumbel_draws,
    gumbel_draws_ref,
    market_shares,
    market_shares_ref,
    pcg64_state,
    pcg64_words,
    reselection,
    reselection_ref,
    tilted_picks,
    tilted_picks_ref,
)

N_REGIONS = 9
N_CUSTOMERS = 2000
N_PROVIDERS = 19
RESELECT_FRACTION = 0.1
#: Share of customers choosing in a month of the baseline (``reselect_share``, about 0.04).
CHOOSING_FRACTION = 0.04


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


def _check_noise(words: np.ndarray, choosing: np.ndarray) -> Callable[[], None]:
    # loads the kernel and checks it against its twin to the bit before timing
    def setup() -> None:
        fast, fast_ok, fast_after = gumbel_draws(words, choosing, N_PROVIDERS + 1)
        ref, ref_ok, ref_after = gumbel_draws_ref(words, choosing, N_PROVIDERS + 1)
        same = np.array_equal(fast, ref, equal_nan=True) and np.array_equal(fast_after, ref_after)
        if not (fast_ok == ref_ok and same):
            raise AssertionError("market.gumbel_draws and its twin disagree")

    return setup


def _month_noise(rng: np.random.Generator, choosing: np.ndarray) -> object:
    # a market round's draws as they are made: the uniform draws, then the Gumbel draws made
    # for the customers who choose, the stream moved past all of them
    n_r, n_c = choosing.shape
    rng.random(n_r * n_c)
    state = rng.bit_generator.state
    words = pcg64_words(state)
    assert words is not None
    gumbel, _, after = gumbel_draws(words, choosing, N_PROVIDERS + 1)
    rng.bit_generator.state = pcg64_state(state, after)
    return gumbel


def _month_noise_gumbel(rng: np.random.Generator, choosing: np.ndarray) -> object:
    # the same draws with Generator.gumbel for every customer, as they were made before
    n_r, n_c = choosing.shape
    rng.random((n_r, n_c))
    return rng.gumbel(size=(n_r, n_c, N_PROVIDERS + 1))


def _joined(picks: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    # the picks and the weight of each choice in one array, for the check to compare
    return np.concatenate([picks[0].astype(np.float64), picks[1]])


def _reselecting(kernel: Callable[..., Any], args: tuple[Any, ...]) -> Callable[..., np.ndarray]:
    # the kernel marks the displaced and their service day in place: each call starts afresh
    def call(*_: Any) -> np.ndarray:
        displaced, ready_at = args[4].copy(), args[5].copy()
        masks = kernel(*args[:4], displaced, ready_at, *args[6:])
        return np.concatenate([m.ravel() for m in masks] + [displaced.ravel()])

    return call


def _reselection_args(seed: int = 3) -> tuple[Any, ...]:
    rng = np.random.default_rng(seed)
    shape = (N_REGIONS, N_CUSTOMERS)
    return (
        rng.random(shape),
        np.where(rng.random(shape) < 0.95, rng.random(shape), 0.0),
        rng.integers(-1, N_PROVIDERS, shape).astype(np.int64),
        (rng.random((N_REGIONS, N_PROVIDERS)) < 0.9).astype(np.uint8),
        rng.random(shape) < 0.05,
        np.where(rng.random(shape) < 0.05, np.inf, rng.uniform(0.0, 900.0, shape)),
        RESELECT_FRACTION,
    )


def cases() -> list[Case]:
    """Return the market benchmark cases."""
    inputs = market_inputs()
    fast = _month(choose_providers, inputs)
    provider, workload = inputs["cust_provider"], inputs["cust_workload"]
    shape = (N_REGIONS, N_CUSTOMERS, N_PROVIDERS + 1)
    rng = np.random.default_rng(1)
    words = pcg64_words(np.random.PCG64(5).state)
    assert words is not None
    choosing = (rng.random(shape[:2]) < CHOOSING_FRACTION).astype(np.uint8)
    # a region's starting customers being placed: 2000 customers, ten providers and the outside
    scores = np.log(rng.dirichlet(np.ones(11), N_CUSTOMERS)) + rng.gumbel(size=(N_CUSTOMERS, 11))
    tilt = (scores, rng.normal(0.0, 0.1, 11), np.full(N_CUSTOMERS, 1.0 / N_CUSTOMERS))
    noise_rng = np.random.Generator(np.random.PCG64(2))
    gumbel_rng = np.random.Generator(np.random.PCG64(2))
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
            name="market.gumbel_draws",
            fast=lambda: gumbel_draws(words, choosing, N_PROVIDERS + 1),
            ref=lambda: gumbel_draws_ref(words, choosing, N_PROVIDERS + 1),
            repeats_fast=50,
            repeats_ref=3,
            setup=_check_noise(words, choosing),
            target=10.0,  # the twin takes logarithms for the few customers choosing only
        ),
        Case(
            name="market.month_noise_vs_gumbel",
            fast=lambda: _month_noise(noise_rng, choosing),
            ref=lambda: _month_noise_gumbel(gumbel_rng, choosing),
            repeats_fast=50,
            repeats_ref=20,
            setup=_discard(lambda: _month_noise(noise_rng, choosing)),
            target=3.0,
        ),
        repeated_call_case(
            "market.tilted_picks",
            lambda *a: _joined(tilted_picks(*a)),
            lambda *a: _joined(tilted_picks_ref(*a)),
            tilt,
            calls=20,
            target=3.0,
        ),
        repeated_call_case(
            "market.reselection",
            _reselecting(reselection, _reselection_args()),
            _reselecting(reselection_ref, _reselection_args()),
            (),
            calls=20,
            target=3.0,
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
