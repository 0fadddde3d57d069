"""Public programmes: AI factories, each a site built on its own schedule."""

from __future__ import annotations

from ecosim.core.clock import date_to_day
from ecosim.world.policy import BuildDecision
from ecosim.world.state import World


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
            out.append((at, BuildDecision(r, batch.size_h100e, batch.lead_time_days, 0.0, 0.0)))
    return out
