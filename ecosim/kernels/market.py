"""Monthly re-choice of cloud provider by micro-agent customers, and the market shares it leaves.

Each month a fraction of every region's customers re-choose among the cloud providers and an
outside option (own capacity, or going without) with a logit model. The caller draws the Gumbel
noise from a seeded stream, so the choice is the argmax of utility plus noise and the whole call is
deterministic given its inputs.

Utility of customer ``i`` in region ``r`` for provider ``j``, with ``k`` its current provider::

    V_ij = beta * quality[j] + asc[r, j]
           - alpha[r, i] * price[r, j]
           - switching[r, i] * (1 - interop[r, home[j]]) * [j != k]
           + gamma * ln(1 + N_rj + interop[r, home[j]] * sum_{m != j} N_rm)
           + cust_pref[r, i] * [home[j] == r]
           + gumbel[r, i, j]

and ``outside_utility + gumbel[r, i, P]`` for the outside option, which is always available.
``asc`` is each provider's constant in each region, fitted so the undisturbed market rests at the
observed shares (:mod:`ecosim.world.market_fit`); ``alpha`` and ``switching`` are per customer,
as segments weigh price and switching differently.
Provider ``j`` is available to the customer when it takes new contracts from region ``r`` and has
headroom for the customer's whole workload, or when it is the current provider and still lets
existing customers stay (staying needs no new headroom). Ties go to the lowest index, the outside
option counting as index ``P``.

Regions are processed in order ``0..R-1`` and customers in order ``0..C-1``. The order matters:
headroom is consumed as customers join, so migration is limited by what the alternatives can
absorb, and the first customers to move get the spare capacity.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from ecosim.kernels.plain import plain_int

__all__ = [
    "choose_providers",
    "choose_providers_ref",
    "gumbel_draws",
    "gumbel_draws_ref",
    "hhi",
    "market_shares",
    "market_shares_ref",
    "pcg64_state",
    "pcg64_words",
    "reselection",
    "reselection_ref",
    "tilted_picks",
    "tilted_picks_ref",
]


@numba.njit(cache=True)
def choose_providers(
    quality: NDArray[np.float64],
    price: NDArray[np.float64],
    home: NDArray[np.int64],
    can_join: NDArray[np.uint8],
    can_stay: NDArray[np.uint8],
    headroom: NDArray[np.float64],
    asc: NDArray[np.float64],
    beta: float,
    gamma: float,
    outside_utility: float,
    cust_alpha: NDArray[np.float64],
    cust_switch: NDArray[np.float64],
    interop: NDArray[np.float64],
    installed: NDArray[np.float64],
    cust_provider: NDArray[np.int64],
    cust_workload: NDArray[np.float64],
    cust_pref: NDArray[np.float64],
    reselect: NDArray[np.uint8],
    gumbel: NDArray[np.float64],
) -> None:
    """Let the customers marked for re-selection choose a provider, in place.

    Parameters
    ----------
    quality : ndarray of float64, shape (P,)
        Service quality of each provider.
    price : ndarray of float64, shape (R, P)
        Price in $/H100e-hour that region ``r`` sees for provider ``j``.
    home : ndarray of int64, shape (P,)
        Region index of each provider's home.
    can_join : ndarray of uint8, shape (R, P)
        1 where provider ``j`` takes new contracts from region ``r``.
    can_stay : ndarray of uint8, shape (R, P)
        1 where existing customers from region ``r`` may stay with provider ``j``.
    headroom : ndarray of float64, shape (R, P)
        Spare capacity of each provider in each region, in H100e: a provider's fleet is built
        region by region, so spare capacity at home cannot serve a region abroad. Updated in
        place: a customer leaving gives its workload back, a customer joining takes it.
    asc : ndarray of float64, shape (R, P)
        Provider constants: the part of each provider's appeal in each region that quality,
        price, network and home preference do not explain.
    beta, gamma : float
        Weights of quality and of the installed-base (network) term.
    outside_utility : float
        Deterministic utility of the outside option.
    cust_alpha : ndarray of float64, shape (R, C)
        Each customer's weight per $/H100e-hour of price.
    cust_switch : ndarray of float64, shape (R, C)
        Each customer's cost of moving to a different provider, scaled down by interoperability.
    interop : ndarray of float64, shape (R, R)
        Interoperability in [0, 1] between region ``r`` and a provider's home region.
    installed : ndarray of float64, shape (R, P)
        Provider ``j``'s share of region ``r``'s workload at the start of the month. A snapshot:
        it is not updated as customers move.
    cust_provider : ndarray of int64, shape (R, C)
        Current provider of each customer, -1 for the outside option. Updated in place.
    cust_workload : ndarray of float64, shape (R, C)
        Workload of each customer in H100e.
    cust_pref : ndarray of float64, shape (R, C)
        Sovereignty preference: utility bonus for providers whose home is the customer's region.
    reselect : ndarray of uint8, shape (R, C)
        1 for customers re-choosing this month. A customer whose current provider has
        ``can_stay == 0`` re-chooses even where this flag is 0, since it cannot stay.
    gumbel : ndarray of float64, shape (R, C, P + 1)
        Pre-drawn Gumbel noise; the last index belongs to the outside option.

    Notes
    -----
    A customer forced out (``can_stay == 0``) returns its workload to the old provider before
    choosing, and then chooses like a customer of the outside option: every provider costs it
    the switching cost.
    """
    n_regions = price.shape[0]
    n_providers = quality.shape[0]
    n_customers = cust_provider.shape[1]
    # Customer-independent parts of the utility, hoisted out of the customer loop. Each term is
    # kept separate and added in the same order as the reference, so results agree bit for bit.
    base = np.empty(n_providers)
    network = np.empty(n_providers)
    switch = np.empty(n_providers)
    for r in range(n_regions):
        for j in range(n_providers):
            others = 0.0
            for m in range(n_providers):
                if m != j:
                    others += installed[r, m]
            mix = interop[r, home[j]]
            base[j] = beta * quality[j] + asc[r, j]
            network[j] = gamma * math.log(1.0 + installed[r, j] + mix * others)
            switch[j] = 1.0 - mix
        for i in range(n_customers):
            current = cust_provider[r, i]
            forced = current >= 0 and can_stay[r, current] == 0
            if reselect[r, i] == 0 and not forced:
                continue
            workload = cust_workload[r, i]
            if forced:
                headroom[r, current] += workload
                cust_provider[r, i] = -1
                current = -1
            best = -1
            best_value = -math.inf
            for j in range(n_providers):
                if j == current:
                    if can_stay[r, j] == 0:
                        continue
                elif can_join[r, j] == 0 or headroom[r, j] < workload:
                    continue
                value = base[j] - cust_alpha[r, i] * price[r, j]
                if j != current:
                    value -= cust_switch[r, i] * switch[j]
                value += network[j]
                if home[j] == r:
                    value += cust_pref[r, i]
                value += gumbel[r, i, j]
                if value > best_value:
                    best = j
                    best_value = value
            outside_value = outside_utility + gumbel[r, i, n_providers]
            if best < 0 or outside_value > best_value:
                best = -1
            if best != current:
                if current >= 0:
                    headroom[r, current] += workload
                if best >= 0:
                    headroom[r, best] -= workload
                cust_provider[r, i] = best


def choose_providers_ref(
    quality: NDArray[np.float64],
    price: NDArray[np.float64],
    home: NDArray[np.int64],
    can_join: NDArray[np.uint8],
    can_stay: NDArray[np.uint8],
    headroom: NDArray[np.float64],
    asc: NDArray[np.float64],
    beta: float,
    gamma: float,
    outside_utility: float,
    cust_alpha: NDArray[np.float64],
    cust_switch: NDArray[np.float64],
    interop: NDArray[np.float64],
    installed: NDArray[np.float64],
    cust_provider: NDArray[np.int64],
    cust_workload: NDArray[np.float64],
    cust_pref: NDArray[np.float64],
    reselect: NDArray[np.uint8],
    gumbel: NDArray[np.float64],
) -> None:
    """Plain-Python twin of :func:`choose_providers`, with the same signature and effects."""
    n_regions, n_providers = price.shape
    n_customers = cust_provider.shape[1]
    for r in range(n_regions):
        for i in range(n_customers):
            current = int(cust_provider[r, i])
            workload = float(cust_workload[r, i])
            forced = current >= 0 and can_stay[r, current] == 0
            if reselect[r, i] == 0 and not forced:
                continue
            if forced:
                headroom[r, current] += workload
                cust_provider[r, i] = -1
                current = -1

            options: list[tuple[float, int]] = []
            for j in range(n_providers):
                stays = j == current and can_stay[r, j] == 1
                joins = j != current and can_join[r, j] == 1 and headroom[r, j] >= workload
                if not (stays or joins):
                    continue
                mix = float(interop[r, home[j]])
                others = 0.0
                for m in range(n_providers):
                    if m != j:
                        others += float(installed[r, m])
                value = (
                    beta * float(quality[j])
                    + float(asc[r, j])
                    - float(cust_alpha[r, i]) * float(price[r, j])
                    - (float(cust_switch[r, i]) * (1.0 - mix) if j != current else 0.0)
                    + gamma * math.log(1.0 + float(installed[r, j]) + mix * others)
                    + (float(cust_pref[r, i]) if home[j] == r else 0.0)
                    + float(gumbel[r, i, j])
                )
                options.append((value, j))
            options.append((outside_utility + float(gumbel[r, i, n_providers]), n_providers))

            # max() keeps the first of equal values, and options are in index order.
            chosen = max(options, key=lambda option: option[0])[1]
            new = -1 if chosen == n_providers else chosen
            if new != current:
                if current >= 0:
                    headroom[r, current] += workload
                if new >= 0:
                    headroom[r, new] -= workload
                cust_provider[r, i] = new


#: numpy's ``PCG64``: a 128-bit linear congruential generator with this multiplier (in two
#: 64-bit words, high first), each new state turned into a 64-bit draw by XSL-RR
_PCG_MUL_HIGH = np.uint64(2549297995355413924)
_PCG_MUL_LOW = np.uint64(4865540595714422341)
_LOW32 = np.uint64(0xFFFFFFFF)
_ZERO = np.uint64(0)
_ONE = np.uint64(1)
_B11 = np.uint64(11)
_B32 = np.uint64(32)
_B58 = np.uint64(58)
_B63 = np.uint64(63)
_B64 = np.uint64(64)
#: ``Generator.random``'s scale from a draw's top 53 bits to [0, 1)
_DOUBLE_SCALE = 1.0 / 9007199254740992.0
_MASK64 = (1 << 64) - 1


@numba.njit(cache=True)
def _mul_high(a: np.uint64, b: np.uint64) -> np.uint64:
    """High 64 bits of the 128-bit product of two 64-bit words, from their 32-bit halves."""
    a0 = a & _LOW32
    a1 = a >> _B32
    b0 = b & _LOW32
    b1 = b >> _B32
    p01 = a0 * b1
    p10 = a1 * b0
    middle = ((a0 * b0) >> _B32) + (p01 & _LOW32) + (p10 & _LOW32)
    return np.uint64(a1 * b1 + (p01 >> _B32) + (p10 >> _B32) + (middle >> _B32))


@numba.njit(cache=True)
def _affine(
    mul_high: np.uint64,
    mul_low: np.uint64,
    add_high: np.uint64,
    add_low: np.uint64,
    high: np.uint64,
    low: np.uint64,
) -> tuple[np.uint64, np.uint64]:
    """``mul * state + add`` modulo 2**128, each number in two 64-bit words (high, low)."""
    product_low = low * mul_low
    product_high = _mul_high(low, mul_low) + high * mul_low + low * mul_high
    new_low = product_low + add_low
    return product_high + add_high + (_ONE if new_low < product_low else _ZERO), new_low


@numba.njit(cache=True)
def _bits(high: np.uint64, low: np.uint64) -> np.uint64:
    """The top 53 bits of PCG64's 64-bit draw (XSL-RR) at state ``(high, low)``, of which
    ``Generator.random`` makes its double."""
    x = high ^ low
    turn = high >> _B58
    return ((x >> turn) | (x << ((_B64 - turn) & _B63))) >> _B11


@numba.njit(cache=True)
def _jump(inc_high: np.uint64, inc_low: np.uint64, steps: int) -> tuple[np.uint64, ...]:
    """The affine map of ``steps`` PCG64 steps, ``state -> mul * state + add`` (mod 2**128):
    ``(mul_high, mul_low, add_high, add_low)``."""
    mul_high, mul_low, add_high, add_low = _ZERO, _ONE, _ZERO, _ZERO
    for _ in range(steps):
        mul_high, mul_low = _affine(_PCG_MUL_HIGH, _PCG_MUL_LOW, _ZERO, _ZERO, mul_high, mul_low)
        add_high, add_low = _affine(
            _PCG_MUL_HIGH, _PCG_MUL_LOW, inc_high, inc_low, add_high, add_low
        )
    return mul_high, mul_low, add_high, add_low


@numba.njit(cache=True)
def _any_zero(words: NDArray[np.uint64], total: int) -> bool:
    """Whether one of the next ``total`` draws of the stream at ``words`` is 0.

    The stream is taken in four interleaved lanes (lane k holds the state of draws k, k + 4,
    ...), each moved four steps at a time: the lanes' multiplications do not wait on each
    other, so every draw is looked at in two thirds of the time of one step after another."""
    inc_high, inc_low = words[2], words[3]
    jump_high, jump_low, shift_high, shift_low = _jump(inc_high, inc_low, plain_int(4))
    h0, l0 = _affine(_PCG_MUL_HIGH, _PCG_MUL_LOW, inc_high, inc_low, words[0], words[1])
    h1, l1 = _affine(_PCG_MUL_HIGH, _PCG_MUL_LOW, inc_high, inc_low, h0, l0)
    h2, l2 = _affine(_PCG_MUL_HIGH, _PCG_MUL_LOW, inc_high, inc_low, h1, l1)
    h3, l3 = _affine(_PCG_MUL_HIGH, _PCG_MUL_LOW, inc_high, inc_low, h2, l2)
    zero = False
    for _ in range(total // 4):
        if (
            _bits(h0, l0) == _ZERO
            or _bits(h1, l1) == _ZERO
            or _bits(h2, l2) == _ZERO
            or _bits(h3, l3) == _ZERO
        ):
            zero = True
        h0, l0 = _affine(jump_high, jump_low, shift_high, shift_low, h0, l0)
        h1, l1 = _affine(jump_high, jump_low, shift_high, shift_low, h1, l1)
        h2, l2 = _affine(jump_high, jump_low, shift_high, shift_low, h2, l2)
        h3, l3 = _affine(jump_high, jump_low, shift_high, shift_low, h3, l3)
    # the last draws, fewer than four, from the lanes in order
    rest = total % 4
    if rest > 0 and _bits(h0, l0) == _ZERO:
        zero = True
    if rest > 1 and _bits(h1, l1) == _ZERO:
        zero = True
    if rest > 2 and _bits(h2, l2) == _ZERO:
        zero = True
    return zero


def pcg64_words(state: Mapping[str, Any]) -> NDArray[np.uint64] | None:
    """A ``PCG64`` bit generator's ``state`` as the four 64-bit words :func:`gumbel_draws`
    reads (state high, state low, increment high, increment low); None for another bit
    generator."""
    if state.get("bit_generator") != "PCG64":
        return None
    value, inc = int(state["state"]["state"]), int(state["state"]["inc"])
    return np.array([value >> 64, value & _MASK64, inc >> 64, inc & _MASK64], dtype=np.uint64)


def pcg64_state(state: Mapping[str, Any], words: NDArray[np.uint64]) -> dict[str, Any]:
    """``state`` (a ``PCG64`` bit generator's) moved to the state held in ``words``."""
    inner = dict(state["state"])
    inner["state"] = (int(words[0]) << 64) | int(words[1])
    return {**state, "state": inner}


@numba.njit(cache=True)
def gumbel_draws(
    words: NDArray[np.uint64], needed: NDArray[np.uint8], n_options: int
) -> tuple[NDArray[np.float64], bool, NDArray[np.uint64]]:
    """The Gumbel draws ``Generator.gumbel(size=(R, C, n_options))`` makes from a ``PCG64``
    stream at state ``words``, in the rows needed.

    ``Generator.gumbel`` (loc 0, scale 1) takes one ``Generator.random`` draw ``u`` of the
    stream per value and returns ``0 - 1 * log(-log(1 - u))``, drawing again only where ``u``
    is exactly 0. The stream is stepped here as ``PCG64`` steps it: every draw of the block is
    looked at for a 0, but only the customers who choose this month read their noise, so
    their draws alone are made into Gumbel draws (the logarithms are most of the cost), and
    the stream jumps over each other customer's row in one step.

    Parameters
    ----------
    words : ndarray of uint64, shape (4,)
        The stream's state: state high and low words, increment high and low words
        (:func:`pcg64_words`).
    needed : ndarray of uint8, shape (R, C)
        1 for the customers whose row of noise is read.
    n_options : int
        Draws per customer ``K``.

    Returns
    -------
    gumbel : ndarray of float64, shape (R, C, K)
        The Gumbel draws in the rows needed, NaN in the others.
    ok : bool
        False where a uniform draw of the block is 0: numpy's Gumbel draws would differ from
        there on (the caller draws them with ``Generator.gumbel`` instead).
    after : ndarray of uint64, shape (4,)
        The stream's state after the ``R * C * K`` draws (:func:`pcg64_state`).
    """
    n_regions, n_customers = needed.shape
    ok = not _any_zero(words, n_regions * n_customers * n_options)
    inc_high, inc_low = words[2], words[3]
    # a customer who does not choose: the stream jumps over its row of draws in one step
    row_high, row_low, row_add_high, row_add_low = _jump(inc_high, inc_low, n_options)
    high, low = words[0], words[1]
    out = np.empty((n_regions, n_customers, n_options))
    for r in range(n_regions):
        for i in range(n_customers):
            if needed[r, i] != 0:
                for j in range(n_options):
                    high, low = _affine(_PCG_MUL_HIGH, _PCG_MUL_LOW, inc_high, inc_low, high, low)
                    u = float(_bits(high, low)) * _DOUBLE_SCALE
                    out[r, i, j] = 0.0 - 1.0 * math.log(-math.log(1.0 - u))
            else:
                high, low = _affine(row_high, row_low, row_add_high, row_add_low, high, low)
                for j in range(n_options):
                    out[r, i, j] = np.nan
    after = words.copy()
    after[0] = high
    after[1] = low
    return out, ok, after


def gumbel_draws_ref(
    words: NDArray[np.uint64], needed: NDArray[np.uint8], n_options: int
) -> tuple[NDArray[np.float64], bool, NDArray[np.uint64]]:
    """Twin of :func:`gumbel_draws` with numpy's own ``PCG64`` and its scalar formula."""
    bit_generator = np.random.PCG64()
    bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {
            "state": (int(words[0]) << 64) | int(words[1]),
            "inc": (int(words[2]) << 64) | int(words[3]),
        },
        "has_uint32": 0,
        "uinteger": 0,
    }
    n_regions, n_customers = needed.shape
    uniform = (
        np.random.Generator(bit_generator)
        .random(n_regions * n_customers * n_options)
        .reshape(n_regions, n_customers, n_options)
    )
    out = np.full(uniform.shape, np.nan)
    for r in range(n_regions):
        for i in range(n_customers):
            if needed[r, i]:
                for j in range(n_options):
                    u = float(uniform[r, i, j])
                    # u == 0 makes ok False; the kernel's value there (+inf) is then never read
                    out[r, i, j] = (
                        math.inf if u == 0.0 else 0.0 - 1.0 * math.log(-math.log(1.0 - u))
                    )
    after = pcg64_words(bit_generator.state)
    assert after is not None
    return out, not bool((uniform == 0.0).any()), after


@numba.njit(cache=True)
def market_shares(
    cust_provider: NDArray[np.int64],
    cust_workload: NDArray[np.float64],
    n_providers: int,
) -> NDArray[np.float64]:
    """Return each region's workload shares by provider, outside option last.

    Parameters
    ----------
    cust_provider : ndarray of int64, shape (R, C)
        Provider of each customer, -1 for the outside option.
    cust_workload : ndarray of float64, shape (R, C)
        Workload of each customer in H100e.
    n_providers : int
        Number of providers ``P``.

    Returns
    -------
    ndarray of float64, shape (R, P + 1)
        Share of region ``r``'s workload served by each provider; the last column is the outside
        option. Rows sum to 1; a region with no workload at all is placed wholly in the outside
        column, so that it reads as not served by the cloud.
    """
    n_regions, n_customers = cust_provider.shape
    shares = np.zeros((n_regions, n_providers + 1))
    for r in range(n_regions):
        total = 0.0
        for i in range(n_customers):
            k = cust_provider[r, i]
            column = n_providers if k < 0 else k
            shares[r, column] += cust_workload[r, i]
            total += cust_workload[r, i]
        if total > 0.0:
            for j in range(n_providers + 1):
                shares[r, j] /= total
        else:
            for j in range(n_providers):
                shares[r, j] = 0.0
            shares[r, n_providers] = 1.0
    return shares


def market_shares_ref(
    cust_provider: NDArray[np.int64],
    cust_workload: NDArray[np.float64],
    n_providers: int,
) -> NDArray[np.float64]:
    """Plain-Python twin of :func:`market_shares`."""
    n_regions, n_customers = cust_provider.shape
    shares = np.zeros((n_regions, n_providers + 1))
    for r in range(n_regions):
        served = [0.0] * (n_providers + 1)
        for i in range(n_customers):
            k = int(cust_provider[r, i])
            served[n_providers if k == -1 else k] += float(cust_workload[r, i])
        total = sum(served)
        if total > 0.0:
            for j in range(n_providers + 1):
                shares[r, j] = served[j] / total
        else:
            shares[r, n_providers] = 1.0
    return shares


def tilted_picks_ref(
    score: NDArray[np.float64], offset: NDArray[np.float64], weight: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Numpy twin of :func:`tilted_picks`, with the same parameters and results."""
    pick = np.asarray(np.argmax(score + offset, axis=1), dtype=np.int64)
    got = np.asarray(np.bincount(pick, weights=weight, minlength=score.shape[1]), dtype=np.float64)
    return pick, got


@numba.njit(cache=True)
def tilted_picks(
    score: NDArray[np.float64], offset: NDArray[np.float64], weight: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Each customer's best choice under tilted scores, and the weight each choice gets.

    One step of the tilting that places the starting customers
    (:func:`ecosim.world.market_fit.place_customers`), taken up to 200 times a region.

    Parameters
    ----------
    score : ndarray of float64, shape (C, n)
        Each customer's score of each choice.
    offset : ndarray of float64, shape (n,)
        The tilt added to every customer's score of each choice.
    weight : ndarray of float64, shape (C,)
        Each customer's weight.

    Returns
    -------
    pick : ndarray of int64, shape (C,)
        The choice of the highest tilted score, the first of equal ones (``numpy.argmax``,
        which also stops at the first NaN).
    got : ndarray of float64, shape (n,)
        The weight of the customers picking each choice, added in customer order
        (``numpy.bincount``).
    """
    n_c, n = score.shape
    pick = np.zeros(n_c, dtype=np.int64)
    got = np.zeros(n)
    for i in range(n_c):
        best = 0
        best_value = score[i, 0] + offset[0]
        if best_value == best_value:
            for j in range(1, n):
                value = score[i, j] + offset[j]
                if value != value:
                    best = j
                    break
                if value > best_value:
                    best = j
                    best_value = value
        pick[i] = best
        got[best] += weight[i]
    return pick, got


def hhi(shares: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return the Herfindahl-Hirschman index of each region's cloud market.

    Parameters
    ----------
    shares : ndarray of float64, shape (R, P + 1)
        Workload shares as returned by :func:`market_shares`, outside option last.

    Returns
    -------
    ndarray of float64, shape (R,)
        Sum of squared provider shares on a 0..1 scale, over the ``P`` real providers only and
        renormalised to the cloud-served workload, so the outside option neither dilutes nor
        concentrates the market. 0 where no provider serves anything.
    """
    cloud = np.asarray(shares, dtype=np.float64)[:, :-1]
    served = cloud.sum(axis=1)
    out = np.zeros(cloud.shape[0])
    has_cloud = served > 0.0
    within = cloud[has_cloud] / served[has_cloud, None]
    out[has_cloud] = np.sum(within * within, axis=1)
    return out


def reselection_ref(
    draw_u: NDArray[np.float64],
    weight: NDArray[np.float64],
    provider: NDArray[np.int64],
    can_stay: NDArray[np.uint8],
    displaced: NDArray[np.bool_],
    ready_at: NDArray[np.float64],
    reselect_share: float,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
    """Numpy twin of :func:`reselection`, with the same parameters."""
    active = weight > 0
    on = provider >= 0
    stuck = np.zeros_like(on)
    stuck[on] = can_stay[np.nonzero(on)[0], provider[on]] == 0
    displaced |= stuck & active
    ready_at[stuck] = np.inf
    searching = displaced & ~np.isfinite(ready_at)
    reselect = ((draw_u < reselect_share) & ~displaced) | searching | stuck
    reselect &= active
    return reselect, stuck, searching


@numba.njit(cache=True)
def reselection(
    draw_u: NDArray[np.float64],
    weight: NDArray[np.float64],
    provider: NDArray[np.int64],
    can_stay: NDArray[np.uint8],
    displaced: NDArray[np.bool_],
    ready_at: NDArray[np.float64],
    reselect_share: float,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
    """Which customers choose this month (R, C each): those who re-choose, stuck and searching.

    A customer is stuck when its provider no longer lets it stay; an active stuck customer is
    displaced (``displaced`` is set in place) and no provider serves it yet (``ready_at`` is
    set to infinity in place). A displaced customer not yet served is searching. An active
    customer re-chooses when its draw ``draw_u`` is below ``reselect_share`` and it is not
    displaced, or when it is searching or stuck. Element by element, as
    :func:`reselection_ref` computes it in numpy.

    Returns
    -------
    reselect, stuck, searching : ndarray of bool, shape (R, C)
    """
    n_r, n_c = provider.shape
    reselect = np.zeros((n_r, n_c), dtype=np.bool_)
    stuck = np.zeros((n_r, n_c), dtype=np.bool_)
    searching = np.zeros((n_r, n_c), dtype=np.bool_)
    for r in range(n_r):
        for c in range(n_c):
            active = weight[r, c] > 0
            p = provider[r, c]
            is_stuck = p >= 0 and can_stay[r, p] == 0
            if is_stuck:
                if active:
                    displaced[r, c] = True
                ready_at[r, c] = np.inf
            is_searching = displaced[r, c] and not np.isfinite(ready_at[r, c])
            stuck[r, c] = is_stuck
            searching[r, c] = is_searching
            chosen = (draw_u[r, c] < reselect_share and not displaced[r, c]) or is_searching
            reselect[r, c] = (chosen or is_stuck) and active
    return reselect, stuck, searching
