"""Build projects: a region's decision to add own capacity, from order to live site.

A project orders its accelerators a quoted lead time before its site is ready (never before
procurement is done); it is finished when construction is over and every accelerator it still
waits for has arrived (orders an export control cuts shrink it). The engine schedules the
waiting; this module owns what a project is and does.
"""

from __future__ import annotations

import numpy as np

from ecosim.core.units import DAYS_PER_YEAR
from ecosim.kernels import projects as kernels_projects
from ecosim.world import supply
from ecosim.world.policy import BuildDecision
from ecosim.world.prices import trend
from ecosim.world.state import World


def start(w: World, decision: BuildDecision, decided: float, now: float, delay: float) -> int:
    """Open a project decided at ``decided`` whose procurement ends ``now``.

    Its chips are ordered later, by :func:`order`, no earlier than the designers' quote
    before the site is ready (:func:`order_day`).

    Parameters
    ----------
    w
        The world.
    decision
        How much the region builds and how long construction takes.
    decided
        Day of the decision, when construction starts.
    now
        Day procurement ends (after the procurement ``delay``).
    delay
        Procurement delay in days between the decision and the end of procurement.

    Returns
    -------
    int
        The project's index in ``w.projects``.
    """
    r = decision.region
    done = decided + delay + decision.lead_time_days
    return w.projects.open(r, decision.quantity, decided, done, decision.factory)


def order_day(w: World, index: int, now: float) -> float:
    """The day project ``index`` orders its accelerators.

    The lead time its region's buyers are quoted now, before the site is ready, and never
    before ``now``. A site takes one to three years to build and chips a few months to
    arrive: ordered at the decision they would sit idle for a year or more, and every build
    would be a burst of orders far ahead of need, which no quote would then reflect.

    Parameters
    ----------
    w
        The world.
    index
        The project's index in ``w.projects``.
    now
        Day of the question: procurement is over.

    Returns
    -------
    float
        The day to order (``now`` or later).
    """
    r = int(w.projects.region[index])
    return max(now, float(w.projects.construction_done[index]) - _quote(w, r, now))


def order(w: World, index: int, now: float) -> float:
    """Order project ``index``'s accelerators at ``now``.

    What no designer open to the region can supply is not ordered: the project shrinks.

    Parameters
    ----------
    w
        The world.
    index
        The project's index in ``w.projects``.
    now
        Day of the order.

    Returns
    -------
    float
        H100e ordered.
    """
    book = w.projects
    r = int(book.region[index])
    book.quantity[index] = supply.place_order(
        w, "region", r, r, float(book.quantity[index]), now, index
    )
    return float(book.quantity[index])


def settle_before_start(w: World, index: int, now: float) -> None:
    """What project ``index``, decided before day 0, had done by then; ``now`` is the day its
    procurement ended (0 if it ended before the run).

    It paid the part of its construction before day 0 (the rest of its site is paid over the
    run, :func:`pay_construction`), and if its chips were due to be ordered before then
    (:func:`order_day`) they arrived before then: they are its own, paid at the price of the
    run's start, and no order of it reaches the designers' books.
    """
    book = w.projects
    r = int(book.region[index])
    decided, done = float(book.decided[index]), float(book.construction_done[index])
    quantity = float(book.quantity[index])
    before = min(max(-decided, 0.0) / max(done - decided, 1e-9), 1.0)
    rest = 1.0 - w.params.chip_share[r]
    # at the prices of the run's start, whenever the build's procurement ended
    book.paid[index] += quantity * w.params.capex[r] * rest * trend(w, 0.0) * before
    # chips are ordered after procurement: only a build whose procurement ended before the run
    # can have ordered them before it
    if now <= 0.0 and done - _quote(w, r, now) < now:
        book.delivered[index] = quantity
        book.paid[index] += quantity * _chip_price(w, r)


def _chip_price(w: World, r: int) -> float:
    """What region ``r``'s buyers pay now for the accelerators of one H100e of a site (USD)."""
    listed = w.scenario.uncertainties.prices.accelerator_usd_per_h100e
    return float(w.params.capex[r] * w.params.chip_share[r] * w.accel_price[r] / listed)


def _quote(w: World, r: int, now: float) -> float:
    """The lead time region ``r``'s buyers are quoted at ``now``, as far ahead as they book."""
    lead = supply.designer_lead_times(w, now)
    return float(supply.order_ahead(w, supply.buyer_lead_times(w, lead))[r])


def is_supplied(w: World, index: int) -> bool:
    """Whether every accelerator project ``index`` still waits for has arrived."""
    # re-routed orders keep the project's total (or shrink it), so count quantity
    book = w.projects
    return bool(book.delivered[index] >= book.quantity[index] * (1.0 - 1e-9))


def receive(w: World, i: int) -> None:
    """A project's order ``i`` of ``w.orders`` is delivered: its chips arrive and are paid."""
    index = int(w.orders.project[i])
    quantity = float(w.orders.quantity[i])
    w.projects.delivered[index] += quantity
    r = int(w.projects.region[index])
    # the accelerators are paid at the price the region's buyers pay on delivery
    chip = _chip_price(w, r)
    w.capex_spent[r] += quantity * chip
    w.projects.paid[index] += quantity * chip


def pay_construction(w: World, t0: float, t1: float) -> None:
    """Pay the part of each site's capex that is not chips over ``[t0, t1)``.

    Servers, network and the facility are paid evenly from the decision to the end of
    construction, so a project costs money while it is built and before it serves anything.
    """
    book = w.projects
    if not len(book):
        return
    # one compiled call over the book, which grows through a run
    # (kernels/projects.py; pay_construction_ref is its numpy twin, this function's rule)
    kernels_projects.pay_construction(
        book.quantity,
        book.decided,
        book.construction_done,
        book.region,
        w.params.capex,
        w.params.chip_share,
        float(w.price_trend),
        float(t0),
        float(t1),
        w.capex_spent,
        book.paid,
    )


def hand_over_capex(w: World) -> np.ndarray:
    """Capital paid since the last hand-over (R,), USD; the count starts again from zero."""
    # the count itself is handed over and a fresh one started (as supply.hand_over does)
    out = w.capex_spent
    w.capex_spent = np.zeros_like(out)
    return out


def shrink(w: World, index: int, lost: float) -> None:
    """Project ``index`` will get ``lost`` H100e fewer: no designer open to it can make them."""
    w.projects.quantity[index] -= lost


def finish(w: World, index: int, now: float) -> None:
    """Bring project ``index`` live at ``now`` with what was delivered, for the site's life."""
    book = w.projects
    r = int(book.region[index])
    delivered = float(book.delivered[index])
    if delivered > 0:
        life = w.scenario.regions[w.regions[r]].compute.life_years * DAYS_PER_YEAR
        # the site costs what was paid for it: its chips and the rest of it, spread over
        # what was delivered (a project that shrank paid for a larger site)
        w.add_site(
            r,
            delivered,
            now,
            now + life,
            float(book.paid[index]) / delivered,
            bool(book.factory[index]),
        )
    book.finished[index] = True


def reroute_blocked(w: World, t: float) -> None:
    """Move orders queued at designers their buyers may no longer buy from (a control, an end
    of chip imports) and shrink the projects whose orders were cut."""
    for index, lost in supply.reroute_blocked(w, t):
        shrink(w, index, lost)
