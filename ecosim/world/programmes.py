"""Public programmes: AI factories, each a site built on its own schedule, and what the
programme makes of them.

A factory is the region's own capacity once built (it counts in ``own_cap`` and toward the
region's own build target, see ``docs/model.md``), but the programme also decides who uses it
and brings expertise (``uncertainties.ai_factories``):

- its compute goes to research, industry and startups in fixed shares;
- its support staff stand in for specialists its users would otherwise need, and its
  operators come with it, so its capacity adds nothing to the region's operations need;
- its training adds specialists to the region's pool from a year or so after it opens.
"""

from __future__ import annotations

import numpy as np

from ecosim.core.clock import date_to_day
from ecosim.core.units import DAYS_PER_YEAR
from ecosim.world.policy import BuildDecision
from ecosim.world.state import World

#: The programme's user classes, in the order of the ``user_class`` dimension of the outputs.
USER_CLASSES: tuple[str, ...] = ("research", "industry", "startups")


def ai_factories(w: World, r: int) -> list[tuple[float, BuildDecision]]:
    """Region ``r``'s AI factories within the horizon: ``(day decided, build)``, in time order.

    Each factory of a batch is its own build of the batch's size and lead time.
    """
    s = w.scenario
    batches = sorted(s.regions[w.regions[r]].levers.ai_factories, key=lambda b: b.start)
    out = []
    for batch in batches:
        at = date_to_day(s.start, batch.start)
        if at >= s.horizon_days:
            break
        for _ in range(batch.count):
            decision = BuildDecision(r, batch.size_h100e, batch.lead_time_days, 0.0, 0.0, True)
            out.append((at, decision))
    return out


def factory_capacity(w: World, t: float) -> np.ndarray:
    """Capacity of each region's live AI factories at day ``t`` (R,), H100e."""
    # kept with the live sites, which change far less often than the day
    return w.site_totals(t, factories=True)[0].copy()


def factories_open(w: World, t: float) -> np.ndarray:
    """Number of each region's AI factories open at day ``t`` (R,)."""
    return w.site_totals(t, factories=True)[1].copy()


def support_staff(w: World, t: float) -> np.ndarray:
    """Support specialists of each region's open factories at day ``t`` (R,), FTE."""
    return factories_open(w, t) * w.scenario.uncertainties.ai_factories.support_staff


def staff_relief(w: World, t: float) -> np.ndarray:
    """Specialists the factories' support spares each region's users at day ``t`` (R,)."""
    prog = w.scenario.uncertainties.ai_factories
    return support_staff(w, t) * prog.staff_leverage


def trainees(w: World, t: float) -> np.ndarray:
    """Specialists each region's factories' training adds per day at day ``t`` (R,)."""
    prog = w.scenario.uncertainties.ai_factories
    # the kept counts themselves (read-only), not factories_open's copy: only read here
    trained = w.site_totals(t - prog.training_years * DAYS_PER_YEAR, factories=True)[1]
    return np.asarray(trained * prog.trainees_per_year / DAYS_PER_YEAR)


def user_shares(w: World) -> np.ndarray:
    """The programme's shares of a factory's compute by user class (U,)."""
    users = w.scenario.uncertainties.ai_factories.user_shares
    return np.array([getattr(users, name) for name in USER_CLASSES])


def factory_users(w: World, t: float) -> np.ndarray:
    """Compute each region's factories give each user class at day ``t`` (R, U), H100e: the
    programme's shares of the factories' capacity available (an outage takes it down)."""
    cap = factory_capacity(w, t) * w.own_available
    return np.asarray(cap[:, None] * user_shares(w)[None, :])
