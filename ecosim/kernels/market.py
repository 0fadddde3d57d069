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

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "choose_providers",
    "choose_providers_ref",
    "gumbel_rows",
    "gumbel_rows_ref",
    "hhi",
    "market_shares",
    "market_shares_ref",
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


@numba.njit(cache=True)
def gumbel_rows(
    uniform: NDArray[np.float64], needed: NDArray[np.uint8]
) -> tuple[NDArray[np.float64], bool]:
    """Turn a block of uniform draws into the Gumbel draws numpy makes of them, where needed.

    ``Generator.gumbel`` (loc 0, scale 1) takes one ``Generator.random`` draw ``u`` of the
    stream per value and returns ``0 - 1 * log(-log(1 - u))``, drawing again only where ``u``
    is exactly 0. So where no draw of the block is 0, the block stands for the Gumbel draws
    made from the same point of the stream, value by value. Only the customers who choose
    this month read their noise: the logarithms, most of a Gumbel draw's cost, are taken for
    them alone, and the stream still moves by the whole block.

    Parameters
    ----------
    uniform : ndarray of float64, shape (R, C, K)
        ``Generator.random`` draws, in the order ``Generator.gumbel`` would have drawn them.
    needed : ndarray of uint8, shape (R, C)
        1 for the customers whose row of noise is read.

    Returns
    -------
    gumbel : ndarray of float64, shape (R, C, K)
        The Gumbel draws in the rows needed, NaN in the others.
    ok : bool
        False where a draw of the block is 0: numpy's Gumbel draws would differ from there on
        (the caller draws them with ``Generator.gumbel`` instead).
    """
    n_regions, n_customers, n_options = uniform.shape
    out = np.empty_like(uniform)
    ok = True
    for r in range(n_regions):
        for i in range(n_customers):
            if needed[r, i] != 0:
                for j in range(n_options):
                    u = uniform[r, i, j]
                    if u == 0.0:
                        ok = False
                    out[r, i, j] = 0.0 - 1.0 * math.log(-math.log(1.0 - u))
            else:
                for j in range(n_options):
                    if uniform[r, i, j] == 0.0:
                        ok = False
                    out[r, i, j] = np.nan
    return out, ok


def gumbel_rows_ref(
    uniform: NDArray[np.float64], needed: NDArray[np.uint8]
) -> tuple[NDArray[np.float64], bool]:
    """Plain-Python twin of :func:`gumbel_rows`, with numpy's scalar formula."""
    n_regions, n_customers, n_options = uniform.shape
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
    return out, not bool((uniform == 0.0).any())


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
