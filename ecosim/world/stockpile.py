"""The stockpile lever: accelerators bought ahead, and the rush before an announced control.

A region's stockpile (``w.stockpile``, H100e in store) is released when its compute service
falls below a trigger; stored chips lose worth as the frontier moves on, and a released
stockpile takes days to connect. When an export control is announced, its targets rush
orders for the months ahead before it bites.
"""

from __future__ import annotations

import numpy as np

from ecosim.core.units import DAYS_PER_YEAR, MONTHS_PER_YEAR
from ecosim.scenario.models import ShockBase
from ecosim.world.policy import BuildDecision
from ecosim.world.state import World


def rush(w: World, spec: ShockBase, now: float) -> list[BuildDecision]:
    """Orders the targets of an announced control place at ``now`` for the months ahead.

    Each target buys the growth of its demand over ``stockpile_months`` of the coming year;
    a shock without targets or stockpiling months causes none.
    """
    months = getattr(spec, "stockpile_months", 0.0)
    out = []
    for name in getattr(spec, "targets", []):
        r = w.region_index(name)
        ahead = w.demand_at(now + DAYS_PER_YEAR)[r]
        growth = float(ahead / max(w.demand[r], 1e-9))
        quantity = w.demand[r] * max(growth - 1.0, 0.0) * months / MONTHS_PER_YEAR
        if quantity > 0:
            out.append(BuildDecision(r, quantity, 0.0, 0.0, 0.0))
    return out


def hold(w: World, r: int, h100e: float) -> None:
    """From now, region ``r`` holds ``h100e`` accelerators in store (a dated action): what
    it buys beyond its stock is paid for like the rest of the stock (``lever_cost``)."""
    w.stockpile[r] = max(float(h100e), 0.0)


def due(w: World, compute_service: np.ndarray) -> list[int]:
    """Regions that hold a stockpile and whose compute service fell below the trigger."""
    trigger = w.scenario.uncertainties.levers.stockpile_trigger
    return [int(r) for r in np.flatnonzero((w.stockpile > 0) & (compute_service < trigger))]


def take(w: World, r: int, now: float) -> float:
    """Empty region ``r``'s store at ``now``; the H100e it is still worth."""
    half_life = w.scenario.uncertainties.levers.stockpile_half_life_years
    # stored chips lose worth as the frontier moves on
    worth = 0.5 ** (now / DAYS_PER_YEAR / half_life)
    quantity = float(w.stockpile[r]) * worth
    w.stockpile[r] = 0.0
    return quantity


def connect(w: World, r: int, quantity: float, taken: float, now: float) -> None:
    """The released chips go live at ``now`` as a site, retiring a life after they were taken."""
    life = w.scenario.regions[w.regions[r]].compute.life_years * DAYS_PER_YEAR
    # the chips were bought when stored, at the run's start, at the listed capex
    w.add_site(r, quantity, now, taken + life, float(w.params.capex[r]))
