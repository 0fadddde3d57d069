"""Cloud-market choice kernel: agreement with its reference twin, and the behaviour it encodes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from ecosim.kernels.market import (
    choose_providers,
    choose_providers_ref,
    gumbel_draws,
    gumbel_draws_ref,
    hhi,
    market_shares,
    market_shares_ref,
    pcg64_state,
    pcg64_words,
    reselection,
    reselection_ref,
    tilted_picks,
    tilted_picks_ref,
)
from ecosim.world.cloud import _choice_noise
from tests.kernel_calls import calls_of


@dataclass
class Market:
    """All arguments of ``choose_providers``, in order."""

    quality: NDArray[np.float64]
    price: NDArray[np.float64]
    home: NDArray[np.int64]
    can_join: NDArray[np.uint8]
    can_stay: NDArray[np.uint8]
    headroom: NDArray[np.float64]
    asc: NDArray[np.float64]
    beta: float
    gamma: float
    outside_utility: float
    cust_alpha: NDArray[np.float64]
    cust_switch: NDArray[np.float64]
    interop: NDArray[np.float64]
    installed: NDArray[np.float64]
    cust_provider: NDArray[np.int64]
    cust_workload: NDArray[np.float64]
    cust_pref: NDArray[np.float64]
    reselect: NDArray[np.uint8]
    gumbel: NDArray[np.float64]

    def args(self) -> tuple[Any, ...]:
        """Return fresh copies of the arguments, so each call mutates its own arrays."""
        return tuple(
            np.array(value, copy=True) if isinstance(value, np.ndarray) else value
            for value in self.__dict__.values()
        )


def _installed(
    cust_provider: NDArray[np.int64], cust_workload: NDArray[np.float64], n_providers: int
) -> NDArray[np.float64]:
    return np.ascontiguousarray(market_shares(cust_provider, cust_workload, n_providers)[:, :-1])


def random_market(seed: int, *, ties: bool = False) -> Market:
    """Draw a market with random masks and headrooms tight enough for capacity to bind."""
    rng = np.random.default_rng(seed)
    n_regions = int(rng.integers(1, 5))
    n_providers = int(rng.integers(1, 7))
    n_customers = int(rng.integers(1, 301))
    workload = rng.lognormal(0.0, 1.0, (n_regions, n_customers))
    if ties:
        workload = np.round(workload * 4.0) / 4.0
    provider = rng.integers(-1, n_providers, (n_regions, n_customers))
    # Tight: a provider can absorb only a few percent of all customers' workload.
    headroom = rng.uniform(0.0, 0.05, (n_regions, n_providers)) * workload.sum()
    if ties:
        # Integer-valued utilities and no noise make exact ties common, so tie-breaking is tested.
        quality = rng.integers(0, 3, n_providers).astype(np.float64)
        price = rng.integers(1, 3, (n_regions, n_providers)).astype(np.float64)
        gumbel = np.zeros((n_regions, n_customers, n_providers + 1))
        gamma = 0.0
        pref = rng.integers(0, 2, (n_regions, n_customers)).astype(np.float64)
        switching = rng.integers(0, 2, (n_regions, n_customers)).astype(np.float64)
        alpha = rng.integers(0, 3, (n_regions, n_customers)).astype(np.float64)
        asc = rng.integers(-1, 2, (n_regions, n_providers)).astype(np.float64)
        interop = rng.integers(0, 2, (n_regions, n_regions)).astype(np.float64)
        outside = float(rng.integers(-3, 1))
    else:
        quality = rng.uniform(0.0, 1.0, n_providers)
        price = rng.uniform(1.0, 4.0, (n_regions, n_providers))
        gumbel = rng.gumbel(size=(n_regions, n_customers, n_providers + 1))
        gamma = float(rng.uniform(0.0, 2.0))
        pref = rng.uniform(0.0, 2.0, (n_regions, n_customers))
        switching = rng.uniform(0.0, 2.0, (n_regions, n_customers))
        alpha = rng.uniform(0.0, 2.0, (n_regions, n_customers))
        asc = rng.normal(0.0, 1.0, (n_regions, n_providers))
        interop = rng.uniform(0.0, 1.0, (n_regions, n_regions))
        outside = float(rng.normal(-1.0, 1.0))
    return Market(
        quality=quality,
        price=price,
        home=rng.integers(0, n_regions, n_providers),
        can_join=(rng.random((n_regions, n_providers)) < 0.7).astype(np.uint8),
        can_stay=(rng.random((n_regions, n_providers)) < 0.8).astype(np.uint8),
        headroom=headroom,
        asc=asc,
        beta=float(rng.uniform(0.0, 2.0)),
        gamma=gamma,
        outside_utility=outside,
        cust_alpha=alpha,
        cust_switch=switching,
        interop=interop,
        installed=_installed(provider, workload, n_providers),
        cust_provider=provider,
        cust_workload=workload,
        cust_pref=pref,
        reselect=(rng.random((n_regions, n_customers)) < rng.uniform(0.05, 1.0)).astype(np.uint8),
        gumbel=gumbel,
    )


def run(kernel: Any, market: Market) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Call ``kernel`` on copies of the market and return the new providers and headrooms."""
    args = market.args()
    kernel(*args)
    return args[14], args[5]


def simple_market(
    n_customers: int,
    *,
    price: list[float],
    headroom: list[float],
    home: list[int] | None = None,
    start: int = -1,
    n_regions: int = 1,
) -> Market:
    """A noiseless market of unit workloads where price alone separates the providers.

    Every customer re-chooses, every provider is open, switching is free and the outside option is
    out of reach; tests change what they exercise.
    """
    n_providers = len(price)
    provider = np.full((n_regions, n_customers), start, dtype=np.int64)
    workload = np.ones((n_regions, n_customers))
    return Market(
        quality=np.zeros(n_providers),
        price=np.tile(np.array(price, dtype=np.float64), (n_regions, 1)),
        home=np.array(home or [0] * n_providers, dtype=np.int64),
        can_join=np.ones((n_regions, n_providers), dtype=np.uint8),
        can_stay=np.ones((n_regions, n_providers), dtype=np.uint8),
        headroom=np.tile(np.array(headroom, dtype=np.float64), (n_regions, 1)),
        asc=np.zeros((n_regions, n_providers)),
        beta=1.0,
        gamma=0.0,
        outside_utility=-1e6,
        cust_alpha=np.ones((n_regions, n_customers)),
        cust_switch=np.zeros((n_regions, n_customers)),
        interop=np.ones((n_regions, n_regions)),
        installed=_installed(provider, workload, n_providers),
        cust_provider=provider,
        cust_workload=workload,
        cust_pref=np.zeros((n_regions, n_customers)),
        reselect=np.ones((n_regions, n_customers), dtype=np.uint8),
        gumbel=np.zeros((n_regions, n_customers, n_providers + 1)),
    )


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", range(25))
def test_kernel_matches_reference(seed: int, ties: bool) -> None:
    market = random_market(seed, ties=ties)
    fast_provider, fast_headroom = run(choose_providers, market)
    ref_provider, ref_headroom = run(choose_providers_ref, market)
    np.testing.assert_array_equal(fast_provider, ref_provider)
    np.testing.assert_allclose(fast_headroom, ref_headroom, rtol=0.0, atol=1e-9)


@pytest.mark.parametrize("seed", range(10))
def test_headroom_and_workload_are_conserved(seed: int) -> None:
    market = random_market(seed)
    provider, headroom = run(choose_providers, market)
    before = market.headroom.sum() + market.cust_workload[market.cust_provider >= 0].sum()
    after = headroom.sum() + market.cust_workload[provider >= 0].sum()
    assert after == pytest.approx(before, rel=1e-12)
    # Staying needs no new headroom, so only joiners can drive it down, and never below zero
    # once it was non-negative.
    assert (headroom >= -1e-9).all()


def test_customers_not_reselecting_keep_their_provider() -> None:
    market = random_market(3)
    market.can_stay[:] = 1
    before = market.cust_provider.copy()
    provider, _ = run(choose_providers, market)
    # The call worked on copies; the template is untouched.
    np.testing.assert_array_equal(market.cust_provider, before)
    keep = market.reselect == 0
    np.testing.assert_array_equal(provider[keep], market.cust_provider[keep])


def test_cheapest_fills_to_headroom_then_next_best() -> None:
    market = simple_market(10, price=[5.0, 1.0, 3.0], headroom=[100.0, 4.0, 100.0])
    provider, headroom = run(choose_providers, market)
    # Customers choose in order: the first four fit into the cheapest, the rest take the next.
    np.testing.assert_array_equal(provider[0], [1, 1, 1, 1, 2, 2, 2, 2, 2, 2])
    np.testing.assert_allclose(headroom[0], [100.0, 0.0, 94.0])


def test_migration_is_limited_by_what_the_alternatives_absorb() -> None:
    # Everyone sits with an expensive provider; the cheap one can take only three of them.
    market = simple_market(8, price=[5.0, 1.0], headroom=[0.0, 3.0], start=0)
    provider, headroom = run(choose_providers, market)
    np.testing.assert_array_equal(provider[0], [1, 1, 1, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(headroom[0], [3.0, 0.0])


def test_withdrawn_provider_ends_with_no_customers() -> None:
    market = random_market(7)
    assert (market.cust_provider == 0).any()
    market.can_stay[:, 0] = 0
    market.can_join[:, 0] = 0
    # Leave the flag unset for some of them: the kernel still must not let them stay.
    market.reselect[:] = 0
    provider, headroom = run(choose_providers, market)
    assert not (provider == 0).any()
    released = (market.cust_workload * (market.cust_provider == 0)).sum(axis=1)
    np.testing.assert_allclose(headroom[:, 0], market.headroom[:, 0] + released)


def test_no_new_contracts_keeps_customers_but_gains_none() -> None:
    n = 12
    market = simple_market(n, price=[1.0, 5.0], headroom=[100.0, 100.0])
    market.cust_provider[0, : n // 2] = 0
    market.can_join[:, 0] = 0
    provider, headroom = run(choose_providers, market)
    # Provider 0 is far cheaper, so its customers stay; the others cannot join it.
    assert (provider[0, : n // 2] == 0).all()
    assert (provider[0, n // 2 :] == 1).all()
    assert headroom[0, 0] == 100.0


def test_sovereignty_preference_moves_customers_home() -> None:
    n = 300
    # Provider 0 is homed in region 1 and provider 1 in region 0; otherwise they are identical.
    market = simple_market(n, price=[1.0, 1.0], headroom=[1e9, 1e9], home=[1, 0], n_regions=2)
    market.gumbel = np.random.default_rng(11).gumbel(size=(2, n, 3))
    at_home = []
    for weight in (0.0, 1.0, 3.0):
        market.cust_pref = np.full((2, n), weight)
        provider, _ = run(choose_providers, market)
        at_home.append(np.concatenate([provider[0] == 1, provider[1] == 0]))
    counts = [int(mask.sum()) for mask in at_home]
    assert counts[0] < counts[1] < counts[2]
    # Same noise, larger bonus: nobody who chose home leaves it.
    assert (at_home[1] >= at_home[0]).all()
    assert (at_home[2] >= at_home[1]).all()


@pytest.mark.parametrize(("interop", "expected"), [(0.0, 0), (1.0, 1), (0.5, 0), (0.95, 1)])
def test_interoperability_scales_the_switching_cost(interop: float, expected: int) -> None:
    # Provider 1 is better by 0.2; moving to it costs 1.0 * (1 - interop).
    market = simple_market(5, price=[1.0, 0.8], headroom=[0.0, 100.0], start=0)
    market.cust_switch = np.ones((1, 5))
    market.interop = np.full((1, 1), interop)
    provider, _ = run(choose_providers, market)
    assert (provider == expected).all()


def test_ties_go_to_the_lowest_index_and_providers_beat_the_outside() -> None:
    market = simple_market(3, price=[1.0, 1.0, 1.0], headroom=[10.0, 10.0, 10.0])
    market.outside_utility = -1.0
    provider, _ = run(choose_providers, market)
    assert (provider == 0).all()
    market.outside_utility = -0.5
    provider, _ = run(choose_providers, market)
    assert (provider == -1).all()


def test_staying_needs_no_headroom_but_joining_does() -> None:
    # Provider 1 is cheaper but full, so customers of provider 0 stay although it is full too.
    market = simple_market(4, price=[2.0, 1.0], headroom=[0.0, 0.0], start=0)
    market.outside_utility = -10.0
    provider, headroom = run(choose_providers, market)
    assert (provider == 0).all()
    market.cust_provider[:] = -1
    provider, headroom = run(choose_providers, market)
    assert (provider == -1).all()
    np.testing.assert_array_equal(headroom[0], [0.0, 0.0])


@pytest.mark.parametrize("seed", range(10))
def test_shares_are_a_distribution(seed: int) -> None:
    market = random_market(seed)
    n_providers = market.quality.shape[0]
    provider, _ = run(choose_providers, market)
    shares = market_shares(provider, market.cust_workload, n_providers)
    assert shares.shape == (market.price.shape[0], n_providers + 1)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0, rtol=0.0, atol=1e-12)
    assert ((shares >= 0.0) & (shares <= 1.0)).all()
    np.testing.assert_allclose(
        shares, market_shares_ref(provider, market.cust_workload, n_providers), atol=1e-12
    )
    index = hhi(shares)
    assert index.shape == (shares.shape[0],)
    assert ((index >= 0.0) & (index <= 1.0 + 1e-12)).all()


def test_region_without_workload_is_all_outside() -> None:
    provider = np.array([[0, 1], [0, -1]], dtype=np.int64)
    workload = np.array([[0.0, 0.0], [1.0, 3.0]])
    for shares_of in (market_shares, market_shares_ref):
        shares = shares_of(provider, workload, 2)
        np.testing.assert_allclose(shares, [[0.0, 0.0, 1.0], [0.25, 0.0, 0.75]])


def test_hhi_known_values() -> None:
    shares = np.array(
        [
            [0.5, 0.0, 0.0, 0.5],  # one provider serves all the cloud workload
            [0.25, 0.25, 0.0, 0.5],  # two equal providers; the outside half is ignored
            [0.0, 0.0, 0.0, 1.0],  # no cloud at all
            [0.2, 0.3, 0.5, 0.0],
        ]
    )
    np.testing.assert_allclose(hhi(shares), [1.0, 0.5, 0.0, 0.04 + 0.09 + 0.25])


def test_spare_capacity_in_one_region_does_not_serve_another() -> None:
    # Provider 1 is cheaper everywhere but has spare capacity only in region 0: region 1's
    # customers stay with provider 0, region 0's move
    market = simple_market(4, price=[2.0, 1.0], headroom=[10.0, 10.0], start=0, n_regions=2)
    market.headroom[1, 1] = 0.0
    provider, headroom = run(choose_providers, market)
    assert (provider[0] == 1).all() and (provider[1] == 0).all()
    np.testing.assert_allclose(headroom, [[14.0, 6.0], [10.0, 0.0]])


#: PCG64's multiplier and the increment of the streams built below
_MUL = (2549297995355413924 << 64) | 4865540595714422341


def _stream_before_zero(k: int, seed: int = 7) -> np.random.Generator:
    """A ``PCG64`` stream whose ``k``-th next ``Generator.random`` draw (from 0) is exactly 0.

    Its draw is 0 where the state after a step has equal high and low words and a rotation of
    0 (XSL-RR gives 0): that state is stepped back ``k + 1`` times."""
    rng = np.random.Generator(np.random.PCG64(seed))
    state = rng.bit_generator.state
    inc = int(state["state"]["inc"])
    value = (5 << 64) | 5
    inverse = pow(_MUL, -1, 1 << 128)
    for _ in range(k + 1):
        value = ((value - inc) * inverse) % (1 << 128)
    state["state"]["state"] = value
    rng.bit_generator.state = state
    return rng


def test_the_zero_stream_draws_zero() -> None:
    rng = _stream_before_zero(3)
    draws = rng.random(5)
    assert draws[3] == 0.0 and (draws[[0, 1, 2, 4]] > 0.0).all()


@pytest.mark.parametrize("seed", range(3))
def test_gumbel_draws_give_numpys_gumbel_draws(seed: int) -> None:
    # The baseline's month: 9 regions of 2000 customers, 19 providers and the outside option.
    # The kernel's noise is Generator.gumbel's in the rows needed (all of them here, and a
    # few), and it leaves the stream where Generator.gumbel leaves it.
    shape = (9, 2000, 20)
    for share in (1.0, 0.04):
        drawn = np.random.Generator(np.random.PCG64(seed))
        first = drawn.random(shape[:2])
        noise = drawn.gumbel(size=shape)
        stream = np.random.Generator(np.random.PCG64(seed))
        np.testing.assert_array_equal(stream.random(shape[:2]), first)
        needed = np.random.default_rng(seed).random(shape[:2]) < share
        words = pcg64_words(stream.bit_generator.state)
        assert words is not None
        gumbel, ok, after = gumbel_draws(words, needed.astype(np.uint8), shape[2])
        assert ok
        np.testing.assert_array_equal(gumbel[needed], noise[needed])
        assert np.isnan(gumbel[~needed]).all()
        assert pcg64_state(stream.bit_generator.state, after) == drawn.bit_generator.state


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    skip=st.integers(0, 1000),
    n_r=st.integers(1, 4),
    n_c=st.integers(0, 60),
    n_k=st.integers(1, 8),
    zero=st.integers(-1, 400),
)
def test_gumbel_draws_equals_its_twin(
    seed: int, skip: int, n_r: int, n_c: int, n_k: int, zero: int
) -> None:
    # streams anywhere, some with a draw of exactly 0 in the block (read or not)
    if zero >= 0:
        rng = _stream_before_zero(zero, seed)
    else:
        rng = np.random.Generator(np.random.PCG64(seed))
        rng.bit_generator.advance(skip)
    words = pcg64_words(rng.bit_generator.state)
    assert words is not None
    needed = (np.random.default_rng(seed).random((n_r, n_c)) < 0.3).astype(np.uint8)
    (fast, fast_ok, fast_after) = gumbel_draws(words, needed, n_k)
    (ref, ref_ok, ref_after) = gumbel_draws_ref(words, needed, n_k)
    assert fast_ok == ref_ok == (not 0 <= zero < n_r * n_c * n_k)
    np.testing.assert_array_equal(fast_after, ref_after)
    if fast_ok:
        np.testing.assert_array_equal(fast, ref)
        assert np.isnan(fast[needed == 0]).all()
        assert np.isfinite(fast[needed == 1]).all()


def test_gumbel_draws_on_a_run() -> None:
    """Every month's call of half a year of the small run."""
    from ecosim.world import cloud

    calls = calls_of(cloud, ["gumbel_draws"], ["horizon_years=0.5"])["gumbel_draws"]
    assert calls
    for args in calls:
        (fast, fast_ok, fast_after), (ref, ref_ok, ref_after) = (
            gumbel_draws(*args),
            gumbel_draws_ref(*args),
        )
        assert fast_ok and ref_ok
        np.testing.assert_array_equal(fast, ref)
        np.testing.assert_array_equal(fast_after, ref_after)


@pytest.mark.parametrize("needed", [0.0, 1.0])
def test_a_zero_draw_sends_the_stream_to_numpys_gumbel(needed: float) -> None:
    # Generator.gumbel rejects a uniform draw of exactly 0 and draws again: the kernel's
    # draws no longer stand for its draws, and the noise is drawn by Generator.gumbel itself,
    # whether the zero falls in a row that is read or not.
    shape = (2, 5, 4)
    rng = _stream_before_zero(2)  # in the first customer's row
    again = _stream_before_zero(2)
    choosing = np.full(shape[:2], needed > 0.0)
    choosing[1, 1] = True
    noise = _choice_noise(rng, shape, choosing)
    np.testing.assert_array_equal(noise, again.gumbel(size=shape))
    assert rng.bit_generator.state == again.bit_generator.state


def test_a_stream_other_than_pcg64_draws_with_numpys_gumbel() -> None:
    shape = (2, 5, 4)
    rng = np.random.Generator(np.random.MT19937(3))
    again = np.random.Generator(np.random.MT19937(3))
    noise = _choice_noise(rng, shape, np.ones(shape[:2], dtype=bool))
    np.testing.assert_array_equal(noise, again.gumbel(size=shape))
    np.testing.assert_array_equal(rng.random(3), again.random(3))


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_c=st.integers(1, 300),
    n=st.integers(1, 20),
    ties=st.booleans(),
    nan=st.booleans(),
)
def test_tilted_picks_equals_its_twin(seed: int, n_c: int, n: int, ties: bool, nan: bool) -> None:
    rng = np.random.default_rng(seed)
    score = np.log(rng.dirichlet(np.ones(n), n_c)) + rng.gumbel(size=(n_c, n))
    offset = rng.normal(0.0, 1.0, n)
    if ties:  # equal scores go to the first, as numpy's argmax sends them
        score = np.round(score)
        offset = np.round(offset)
    if nan:  # numpy's argmax stops at the first NaN
        score[rng.random((n_c, n)) < 0.05] = np.nan
    weight = rng.random(n_c)
    weight /= weight.sum()
    (pick, got), (pick_ref, got_ref) = (
        tilted_picks(score, offset, weight),
        tilted_picks_ref(score, offset, weight),
    )
    np.testing.assert_array_equal(pick, pick_ref)
    np.testing.assert_array_equal(got, got_ref)


def _reselection_both(args: tuple[Any, ...]) -> None:
    """The kernel and its twin on copies of ``args``: the same masks and the same writes."""
    fast = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    slow = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    got, want = reselection(*fast), reselection_ref(*slow)
    for x, y in zip(got, want, strict=True):
        assert x.dtype == y.dtype == np.bool_
        np.testing.assert_array_equal(x, y)
    for x, y in zip(fast, slow, strict=True):  # displaced and ready_at, written in place
        if isinstance(x, np.ndarray):
            assert x.tobytes() == y.tobytes()


def test_reselection_on_a_run() -> None:
    """Every month's call of half a year of the small run (stuck, displaced and searching
    customers come from the random test's providers that let no one stay)."""
    import ecosim
    from ecosim.kernels import market as km
    from ecosim.world import cloud

    calls: list[tuple[Any, ...]] = []

    def keep(*args: Any) -> Any:
        calls.append(tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args))
        return reselection(*args)

    spec = ecosim.load_scenario("tests/scenarios/small.yaml", ["horizon_years=0.5"])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cloud, "reselection", keep)
        ecosim.simulate(spec)
    assert calls and km.reselection is reselection
    for args in calls:
        _reselection_both(args)


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_r=st.integers(1, 6),
    n_c=st.integers(0, 40),
    n_p=st.integers(1, 6),
    share=st.floats(0.0, 1.0),
)
def test_reselection_equals_its_twin(seed: int, n_r: int, n_c: int, n_p: int, share: float) -> None:
    rng = np.random.default_rng(seed)
    weight = np.where(rng.random((n_r, n_c)) < 0.8, rng.random((n_r, n_c)), 0.0)
    provider = rng.integers(-1, n_p, (n_r, n_c)).astype(np.int64)
    can_stay = (rng.random((n_r, n_p)) < 0.7).astype(np.uint8)
    displaced = rng.random((n_r, n_c)) < 0.2
    ready_at = np.where(rng.random((n_r, n_c)) < 0.3, np.inf, rng.uniform(0.0, 900.0, (n_r, n_c)))
    draw_u = rng.random((n_r, n_c))
    _reselection_both((draw_u, weight, provider, can_stay, displaced, ready_at, share))
