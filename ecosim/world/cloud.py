"""The cloud market: customers re-choosing providers, providers rationing and expanding.

A provider's fleet is held region by region (``prov_cap``, R x P): a data centre in one region
does not serve another, so what a provider can absorb after a cut-off is its spare capacity in
that region, and it grows there only as chips are delivered.

Each month a share of every region's customers (and every customer displaced by a cut-off)
re-chooses with the logit of :mod:`ecosim.kernels.market`. The choice noise is drawn every
month whatever happens, from a stream of its own, so a shock or a lever never shifts it.
"""

from __future__ import annotations

import numpy as np

from ecosim.core.units import DAYS_PER_YEAR
from ecosim.kernels import cloud as kernels_cloud
from ecosim.kernels import record as kernels_record
from ecosim.kernels.market import (
    choose_providers,
    gumbel_draws,
    market_shares,
    pcg64_state,
    pcg64_words,
    reselection,
)
from ecosim.world import alliances, supply
from ecosim.world.growth import growth_rate
from ecosim.world.state import World


def prices(w: World) -> np.ndarray:
    """Price each region sees at each provider, USD per H100e-hour (R, P), set by
    :mod:`ecosim.world.prices`."""
    return np.asarray(w.cloud_price)


def concentration(w: World) -> np.ndarray:
    """Herfindahl index of each region's cloud market (0-1).

    A long-tail provider stands for many small firms: its share counts in the market, but not
    as one firm's square (it would add 0.12 to the US index, a third of the market as one
    firm).
    """
    # read at every step of the run and its twin: compiled (kernels/record.py, whose
    # concentration_ref is the same in numpy) where numpy sums a row in one block
    fn = (
        kernels_record.concentration
        if len(w.providers) <= kernels_record.MAX_ROW
        else kernels_record.concentration_ref
    )
    return np.asarray(fn(w.shares, w.prov_tail))


def market_step(w: World, t: float) -> None:
    """One monthly round of provider choice.

    Customers on a provider that withdrew are displaced: they must re-choose, and once they
    land the new provider serves them only after the transition period (switching windows).
    """
    s = w.scenario
    m = s.uncertainties.market
    rng = w.streams.get("market/choices")
    n_r, n_c = w.cust_provider.shape
    n_p = len(w.providers)
    # The month's draws as the stream gives them: a uniform draw for every customer, then a
    # Gumbel draw for every customer's options, made (gumbel_draws) only for the customers
    # who choose; the stream still moves past all of them.
    draw_u = rng.random(n_r * n_c).reshape(n_r, n_c)
    # who is stuck (displaced, not yet served), searching and re-chooses, in one compiled
    # pass (kernels.market.reselection; reselection_ref is the same in numpy)
    reselect, stuck, searching = reselection(
        draw_u,
        w.cust_weight,
        w.cust_provider,
        w.can_stay,
        w.displaced,
        w.ready_at,
        float(m.reselect_share),
    )
    gumbel = _choice_noise(rng, (n_r, n_c, n_p + 1), reselect | stuck)
    grow_segments(w, t)
    headroom = np.maximum(w.prov_cap - regional_usage(w), 0.0)
    installed = w.shares[:, :n_p].copy()
    work = w.cust_weight * w.cloud_need[:, None]
    # reserved sovereign procurement adds to every customer's preference for home providers
    boost = s.uncertainties.levers.sovereign_pref_boost * w.params.sovereign_cloud
    pref = w.cust_pref + boost[:, None]
    choose_providers(
        w.prov_quality,
        # customers weigh prices in money of the reference date: a fall every provider shares
        # with the chips' trend moves no one; a markup or a scarcity does
        prices(w) / w.price_trend,
        w.prov_home,
        w.can_join,
        w.can_stay,
        headroom,
        w.prov_asc,
        m.beta_quality,
        m.gamma_network,
        m.outside_utility,
        w.cust_alpha,
        w.cust_switch,
        w.interop,
        installed,
        w.cust_provider,
        work,
        pref,
        reselect.astype(np.uint8),
        gumbel,
    )
    landed = searching & (w.cust_provider >= 0)
    # work already spread over a second cloud moves over faster
    transition = m.transition_days * (1.0 - w.params.multi_cloud)
    # each landed customer's day, from its region's transition (few land in a month)
    rows, columns = np.nonzero(landed)
    w.ready_at[rows, columns] = t + transition[rows]
    update_shares(w)


def _choice_noise(
    rng: np.random.Generator, shape: tuple[int, int, int], choosing: np.ndarray
) -> np.ndarray:
    """The Gumbel noise of the month's choices, ``rng.gumbel(size=shape)`` as it draws it.

    Only the rows of the customers ``choosing`` are filled (the others are NaN), and the
    stream moves as ``rng.gumbel`` moves it. A uniform draw of exactly 0, which
    ``Generator.gumbel`` rejects and draws again (about once in 10**16 draws), leaves the
    stream where it was and the noise is drawn with ``Generator.gumbel`` itself; so does a
    stream that is not ``PCG64``.
    """
    state = rng.bit_generator.state
    words = pcg64_words(state)
    if words is not None:
        gumbel, ok, after = gumbel_draws(words, choosing.astype(np.uint8), shape[2])
        if ok:
            rng.bit_generator.state = pcg64_state(state, after)
            return gumbel
    return rng.gumbel(size=shape)


def grow_segments(w: World, t: float) -> None:
    """Customers' workloads at day ``t``: segments grow at their own rates around the region's.

    Each region's workload still sums to 1 (the region's growth is in ``cloud_need``); what
    changes is how it splits, so a fast-growing segment's choices weigh more in the shares.
    """
    if not w.segment_growth.any():
        return
    # each segment's growth factor, taken once a segment rather than once a customer; a
    # customer of no segment (index -1) reads the last, which does not grow
    factor = np.exp(np.append(w.segment_growth, 0.0) * t / DAYS_PER_YEAR)
    weight = w.cust_weight0 * factor[w.cust_segment]
    total = weight.sum(axis=1, keepdims=True)
    w.cust_weight = weight / np.where(total > 0.0, total, 1.0)


def refresh_cloud(w: World) -> None:
    """Delivered cloud capacity per region and provider, after rationing and cut-offs.

    Each provider rations within each region, from the fleet it has there.
    """
    # compiled (every refresh asks for it): what customers ask of each provider (its served
    # share of the cloud need) where the provider still serves, rationed by the fleet an
    # outage leaves; kernels.cloud.delivered_ref is the same in numpy
    w.cloud_cap = kernels_cloud.delivered(
        w.served_shares, w.cloud_need, w.can_stay, w.prov_cap, w.prov_available
    )


def provider_orders(w: World, t: float, interval: float) -> None:
    """Providers order accelerators for the demand they expect, and retire old capacity.

    Order-up-to against the quote: a provider wants, from each designer it buys from, that
    designer's part (of the split a new order from its home takes, :func:`supply.route_split`)
    of what it will lack once that designer delivers (the designer's quoted lead time and the
    review interval ahead, at most ``order_ahead_cap_days``), net of what it already waits for
    from that designer. When quotes rise it orders further ahead (more), and when they fall,
    or its customers leave (a cut-off, demand that disappoints), it cancels what it no longer
    needs at that designer, newest orders first: the bullwhip of real chip shortages.

    Each designer's part is sized by that designer's own quote, not by a quote mixed over the
    designers: after an export control China's buyers wait years for Huawei, and an order
    sized by that wait sent the compliant share of it to NVIDIA, which delivers in two
    months (China's share of NVIDIA's shipments then stayed above 7.5 % to the end of episode
    V3, where it fell below within a quarter).

    Parameters
    ----------
    w
        The world.
    t
        Day of the order review.
    interval
        Days to the next review.
    """
    s = w.scenario
    u = s.uncertainties
    # no further ahead than buyers book (order_ahead_cap_days): see supply.order_ahead
    possible = supply.designer_output(w, t)
    # the designers' quotes at what they can make now: read once for the sizes and every
    # home's split (route_split would read them again for each home)
    lead = supply.designer_lead_times(w, t, rate=possible)
    quotes = supply.order_ahead(w, lead)
    g = float(
        growth_rate(
            t,
            float(np.mean([s.regions[r].demand.growth_per_year for r in w.regions])),
            u.growth_long_run_per_year,
            u.growth_decay_years,
        )
    )
    g *= u.demand_growth_scale
    life = 5.0 * DAYS_PER_YEAR
    w.prov_cap *= np.exp(-interval / life)
    # demand grows until each designer's chips arrive, and until the next review
    grow = np.exp(g * (quotes + interval) / DAYS_PER_YEAR)
    want = wanted(w)
    # what each provider would lack, summed over its regions, by each designer's delivery (P, D)
    ahead = want[:, :, None] * grow[None, None, :]
    # under an export control a provider may hold, of a designer's chips, only the share of
    # what its customers want that the control lets into the region (reach): a US provider
    # does not carry NVIDIA's chips into China past the control
    fleets = reach(w)
    if fleets is not None:
        ahead *= fleets
    gap = np.maximum(ahead - w.prov_cap[:, :, None], 0.0)
    # providers of one home share its split: asked once per home, not once per provider
    homes = w.prov_home.tolist()
    # as are who may buy from whom and what each buyer part orders, which splitting leaves
    buyers = supply.buyer_parts(w)
    split = {
        h: supply.route_split(w, h, t, possible=possible, quotes=lead, buyers=buyers)
        for h in dict.fromkeys(homes)
    }
    shares = np.array([split[h] for h in homes]).reshape(gap.shape[1:])
    # each designer's part is net of what the provider waits for from that designer only:
    # netted against everything on order, a slow designer's queue (TPU's, Huawei's after a fab
    # disruption) stopped all orders to the fast ones, and the slow queue grew without end.
    #
    # A designer that may sell a provider's home only a compliant share under a control is
    # the exception: its part is the compliant share of what the provider lacks net of all it
    # waits for. A licence is a share of the buyer's whole requirement, and the buyer's long
    # queue at the substitute counts against it; netted per designer, China's providers sized
    # NVIDIA's compliant share on the lack Huawei's queue left, and China's share of NVIDIA's
    # shipments stayed at 13 % in March 2024 (episode V3; observed 3.7 %).
    on_order = supply.provider_orders_at(w)
    restricted = w.allow[w.designers][:, w.prov_home].T < 1.0  # (P, D)
    lack = gap.sum(axis=0)
    need = shares * lack - on_order
    if restricted.any():
        # A compliant share is a share of the flow the control blocks: at most the share of
        # what the provider would have ordered over the review interval without it, to keep
        # up with its customers' growth and its fleet's wear. Taken of the whole gap the slow
        # substitute leaves open, the same share of a gap that does not close was ordered
        # again at every review: China's providers ordered as much of NVIDIA a year after the
        # 2023 rules as before them, and China's share of NVIDIA's shipments read 10.8, 16.1
        # and 12.7 % in the last three quarters of 2024 (episode V3; Epoch's 4.9, 4.9, 3.9 %)
        keep_up = float(np.exp((g / DAYS_PER_YEAR + 1.0 / life) * interval) - 1.0)
        flow = shares * (want.sum(axis=0) * keep_up)[:, None]
        compliant = np.minimum(shares * (lack - on_order.sum(axis=1, keepdims=True)), flow)
        need = np.where(restricted, compliant, need)
    bases: dict[int, np.ndarray] = {}  # each home's split without controls, read once
    for p in np.flatnonzero((need > 0).any(axis=1)):
        supply.order_parts_for_provider(w, int(p), np.maximum(need[p], 0.0), t, possible, bases)
    # a provider keeps a month of orders beyond its need before it cancels, so the noise of
    # monthly demand does not turn into a churn of orders and cancellations
    spare = want.sum(axis=0) * (np.exp(g * interval / DAYS_PER_YEAR) - 1.0)
    excess = -need - shares * spare[:, None]
    for p, k in zip(*np.nonzero(excess > 0), strict=True):
        supply.cancel_for_provider(w, int(p), float(excess[p, k]), int(k))


def wanted(w: World) -> np.ndarray:
    """Capacity each provider wants in each region now (R, P), headroom included.

    What its customers there use, plus its part of the work the region's customers could not
    place: customers turned away by full providers or displaced by a cut-off sit on the outside
    option beyond its resting share, and the providers still taking new customers there
    expand for them in proportion to their shares. Without this a region whose providers are
    full would never get the capacity its customers are waiting for.
    """
    # compiled (every delivery to a provider asks for it); kernels.cloud.wanted_ref is the
    # same in numpy, and sums more providers than the kernel can in numpy's order
    fn = (
        kernels_cloud.wanted
        if len(w.providers) <= kernels_cloud.MAX_ROW
        else kernels_cloud.wanted_ref
    )
    return fn(
        w.shares,
        w.cloud_need,
        w.scenario.uncertainties.market.outside_share,
        w.can_join,
        w.prov_present,
        w.prov_headroom,
    )


def receive(w: World, i: int) -> None:
    """A provider's order ``i`` of ``w.orders`` is delivered: its fleets grow.

    The chips go to the regions where the provider is furthest below what it may hold of them
    (what it wants, times :func:`reach` under a control), in proportion to each shortfall;
    what is left over goes where its customers are.
    """
    # compiled (every delivery asks for it); kernels.cloud.receive_ref is the same in numpy,
    # and sums more regions than the kernel can in numpy's order
    fn = (
        kernels_cloud.receive if w.n_regions <= kernels_cloud.MAX_ROW else kernels_cloud.receive_ref
    )
    p = int(w.orders.buyer[i])
    where = _reach_of(w, p, int(w.orders.designer[i]))
    fn(w.prov_cap, p, float(w.orders.quantity[i]), wanted(w), w.prov_present, where)


def _reach_of(w: World, p: int, d: int) -> np.ndarray:
    """:func:`reach` of provider ``p`` and designer ``d`` alone (R,): ones without a control."""
    allow = w.allow[w.designers[d]]
    return _allowance(allow, np.asarray(allow[w.prov_home[p]]))


def _allowance(allow: np.ndarray, home: np.ndarray) -> np.ndarray:
    """A destination's allowance ``allow`` over a provider's home's ``home`` (broadcast), at
    most 1; 1 where the home may buy none (its orders hold none of that designer)."""
    shape = np.broadcast_shapes(allow.shape, home.shape)
    ratio = np.divide(allow, home, out=np.ones(shape), where=home > 0.0)
    return np.asarray(np.minimum(ratio, 1.0))


def reach(w: World) -> np.ndarray | None:
    """Share of what each provider's customers want in each region that it may hold there in
    each designer's chips (R, P, D), or ``None`` where every designer may sell everywhere.

    An export control binds where chips go, not who buys them: a provider homed outside a
    control's targets cannot carry its designer's chips into a target region past the
    control. A provider's split of its orders over designers (:func:`ecosim.world.supply.
    route_split`) already holds what a control lets its home buy, so the share here is the
    destination's allowance over the home's, at most 1: 1 in the provider's home, and the
    control's ``allow`` in a target region for a provider homed where the designer is open.
    It caps the fleet, not one order: a provider orders what its fleet lacks at each review,
    so a cap on each order alone lets the fleet reach what its customers want within a year
    whatever the control (so capped, US providers still came to hold 42 % of China's cloud
    by 2035 under the baseline's chip controls; 45 % uncapped, 4 % at the start).
    A designer that may not sell to the provider's home at all gets no part of its orders;
    its share here is 1.
    """
    allow = w.allow[w.designers]  # (D, R)
    if allow.min() >= 1.0:
        return None
    home = allow[:, w.prov_home]  # (D, P)
    return _allowance(allow[:, :, None], home[:, None, :]).transpose(1, 2, 0)


def lend_capacity(w: World) -> None:
    """Capacity each region borrows from alliance partners' spare capacity
    (:func:`ecosim.world.alliances.lent`): only spare capacity is lent, so the lender's
    service is untouched."""
    # (counting the partners is a direct call, .any() a Python wrapper around a reduction)
    if not np.count_nonzero(w.alliance):
        return
    have = w.own_cap + w.cloud_cap.sum(axis=1)
    w.borrowed = alliances.lent(w, "compute", have, w.demand)


def update_shares(w: World) -> None:
    """Recompute workload shares after customers moved or finished migrating."""
    n_p = len(w.providers)
    w.shares = np.asarray(market_shares(w.cust_provider, w.cust_weight, n_p))
    # customers still migrating are contracted but not served yet
    serving = np.where(w.displaced, -1, w.cust_provider)
    w.served_shares = np.asarray(market_shares(serving, w.cust_weight, n_p))
    total = np.maximum(w.cust_weight.sum(axis=1), 1e-300)
    w.displaced_share = (w.cust_weight * w.displaced).sum(axis=1) / total
    waiting = w.ready_at[w.displaced]
    w.next_ready = (
        float(waiting[np.isfinite(waiting)].min()) if np.isfinite(waiting).any() else np.inf
    )


def finish_migrations(w: World, t: float) -> None:
    """Customers whose migration is over are served by their new provider from ``t``."""
    if t < w.next_ready:
        return
    done = w.displaced & (w.ready_at <= t)
    w.displaced &= ~done
    w.ready_at[done] = np.inf
    update_shares(w)


def regional_usage(w: World) -> np.ndarray:
    """H100e contracted at each provider in each region (R, P), migrating customers included."""
    return np.asarray(w.shares[:, : len(w.providers)] * w.cloud_need[:, None])
