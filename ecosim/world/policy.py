"""Each region's quarterly build-versus-buy decision.

A region aims to own ``build_share`` of the demand it expects once a build would deliver. It
builds when the expected utilisation of its capacity exceeds the TCO break-even
``u* = (capex / life + opex) / (8760 * p_cloud)``, or, for coordinated regions, whatever the
market says (public programmes). Coordinated regions add procurement delays before ordering.
Builds are limited by a yearly budget, which keeps its share of the region's growing demand,
and finish only when construction is over *and* their accelerators have arrived.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ecosim.core.units import DAYS_PER_YEAR, PRICED_HOURS_PER_YEAR
from ecosim.world.cloud import prices
from ecosim.world.prices import capex, own_cost_per_year, trend
from ecosim.world.state import World


@dataclass(frozen=True)
class BuildDecision:
    """What a region decided this quarter."""

    region: int
    quantity: float
    lead_time_days: float
    break_even: float
    utilisation: float
    factory: bool = False  # a public programme's AI factory, not the region's own review


def break_even_utilisation(w: World, r: int) -> float:
    """TCO break-even utilisation of owning one H100e rather than renting it."""
    cost = float(own_cost_per_year(w)[r])
    share = w.cloud_cap[r]
    price_r = prices(w)[r]
    p_cloud = (
        float(np.average(price_r, weights=share)) if share.sum() > 0 else float(price_r.mean())
    )
    return cost / (PRICED_HOURS_PER_YEAR * p_cloud)


def decide(
    w: World,
    r: int,
    t: float,
    utilisation: float,
    pipeline: float,
    stream: str = "policy/lead_time",
) -> BuildDecision:
    """The region's build decision at day ``t``.

    The construction lead time is drawn every quarter, build or not, so the stream stays
    aligned between a run and its no-shock twin. ``stream`` names the region's stream of lead
    times (``<stream>/<region>``).
    """
    name = w.regions[r]
    reg = w.scenario.regions[name]
    pol = reg.policy
    rng = w.streams.get(f"{stream}/{name}")
    lead = float(
        pol.build_lead_time_median_days * np.exp(pol.build_lead_time_sigma * rng.standard_normal())
    )
    horizon = t + pol.procurement_delay_days + lead
    expected_demand = float(w.demand_at(horizon)[r])
    own_then = float(w.own_capacity(horizon)[r])
    target = w.params.build_share[r] * expected_demand * (1.0 + pol.reserve_margin)
    gap = target - own_then - pipeline
    u_star = break_even_utilisation(w, r)
    worth_it = pol.style == "coordinated" or utilisation >= u_star
    # budgets keep their share of a growing market's spending: they scale with the region's
    # demand in H100e and with the price trend per H100e since the start (a budget that kept
    # up with demand in H100e alone would buy more of it every year as prices fall)
    growth = float(w.demand_at(t)[r] / max(reg.demand.initial_h100e, 1e-9))
    budget = pol.budget_usd_per_year * growth * w.price_trend / trend(w, 0.0)
    affordable = budget * pol.decision_interval_days / DAYS_PER_YEAR
    affordable /= float(capex(w)[r])
    quantity = min(max(gap, 0.0), affordable) if worth_it else 0.0
    return BuildDecision(r, quantity, lead, u_star, utilisation)


def warm_decisions(w: World, r: int, first_review: float) -> list[tuple[float, BuildDecision]]:
    """The builds region ``r`` decided before day 0 that are still being built then.

    A run that started with no build under way saw every region's own capacity retire for a
    construction time before its first decision came live: the US's fell from 1.50M H100e to
    1.08M in the first eighteen months of the no-shock baseline, while the labs and firms it
    stands for were building faster than ever. The reviews before day 0 are those of the
    region's calendar (``first_review`` less whole intervals), each deciding as a review does
    (:func:`decide`, with the use of a region at its break-even or above, as at the first
    review, and the builds decided before it and not yet done as its pipeline) on the world
    as it stands at day 0 with demand at that day. Their lead times come from a stream of their
    own, so every later review draws what it drew before.

    Parameters
    ----------
    w
        The world at day 0.
    r
        The region.
    first_review
        Day of the region's first review in the run.

    Returns
    -------
    list of (float, BuildDecision)
        The day of each decision (before 0) and the decision, oldest first, for the builds
        whose construction ends after day 0.
    """
    pol = w.scenario.regions[w.regions[r]].policy
    interval = pol.decision_interval_days
    delay = pol.procurement_delay_days
    # the longest a build decided before day 0 can still take: its procurement and a lead
    # time three spreads above the median
    span = delay + pol.build_lead_time_median_days * math.exp(3.0 * pol.build_lead_time_sigma)
    made: list[tuple[float, BuildDecision]] = []
    for k in range(int(span // interval) + 1, 0, -1):
        t = first_review - k * interval
        pipeline = sum(d.quantity for at, d in made if at + delay + d.lead_time_days > t)
        decision = decide(w, r, t, 1.0, pipeline, stream="policy/warm_lead_time")
        if decision.quantity > 0.0:
            made.append((t, decision))
    return [(at, d) for at, d in made if at + delay + d.lead_time_days > 0.0]


def note_use(w: World, served: np.ndarray, capacity: np.ndarray, dt: float) -> None:
    """Count work served and capacity offered since each region's last review."""
    w.used_since_review += served
    w.cap_since_review += capacity * dt


def use_counters(w: World) -> tuple[np.ndarray, np.ndarray]:
    """Work served and capacity offered since each region's last review, which the compiled
    step adds to in place as :func:`note_use` does."""
    return w.used_since_review, w.cap_since_review


def review(w: World, r: int, t: float) -> BuildDecision:
    """Region ``r``'s build-or-buy review at day ``t``, on the use seen since the last one."""
    used, cap = w.used_since_review[r], w.cap_since_review[r]
    utilisation = used / cap if cap > 0 else 1.0
    w.used_since_review[r] = w.cap_since_review[r] = 0.0
    return decide(w, r, t, utilisation, float(w.pipeline[r]))


def commit(w: World, r: int, quantity: float) -> None:
    """A decided build enters region ``r``'s pipeline (what later reviews count as coming)."""
    w.pipeline[r] += quantity


def uncommit(w: World, r: int, quantity: float) -> None:
    """A build leaves the pipeline: its site is live (or it came to nothing)."""
    w.pipeline[r] -= quantity
