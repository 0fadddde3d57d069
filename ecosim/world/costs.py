"""What each region spends: on its own capacity, on cloud, and on its levers.

Spending is a rate (USD per year, at the prices of the moment) read from the state at a
moment; a lever's cost is what it adds beyond the capacity it buys (the premium of multi-cloud
or sovereign offerings, the overhead of portable stacks and federated training, mirrors, the
talent programme, stored and borrowed chips, a domestic chain's chip-making capex).
"""

from __future__ import annotations

import numpy as np

from ecosim.core.units import PRICED_HOURS_PER_YEAR
from ecosim.world import capacity
from ecosim.world.cloud import prices
from ecosim.world.prices import capex, opex
from ecosim.world.state import World


def spend(w: World) -> tuple[np.ndarray, np.ndarray]:
    """Yearly spending rate of each region on own capacity and on cloud (USD/yr).

    Own capacity: each live site's capex at the price it was bought at, over its life, plus
    the opex of the capacity available now at today's prices; cloud at today's prices.
    """
    own = w.own_capital_cost(w.t) + w.own_cap * opex(w)
    rented = (w.cloud_cap * prices(w)).sum(axis=1) * PRICED_HOURS_PER_YEAR
    return np.asarray(own), np.asarray(rented)


def lever_cost(w: World) -> np.ndarray:
    """Yearly cost of the levers beyond the capacity they buy (USD/yr per region)."""
    eff = w.scenario.uncertainties.levers
    p = w.params
    own_spend, cloud_spend = spend(w)
    out = w.stockpile * capex(w) / p.life_years  # stored chips are paid for like installed ones
    out = out + cloud_spend * (eff.multi_cloud_premium * p.multi_cloud)
    out = out + cloud_spend * (eff.sovereign_premium * p.sovereign_cloud)
    out = out + (own_spend + cloud_spend) * eff.open_stack_overhead * p.open_stack
    out = out + (own_spend + cloud_spend) * (1.0 - eff.federated_efficiency) * p.federated * (
        p.must_stay_local
    )
    out = out + p.mirror * eff.mirror_cost_usd_per_year
    out = out + p.talent_programme * p.graduates0 * eff.graduate_cost_usd
    out = out + w.borrowed * (prices(w).mean(axis=1) * PRICED_HOURS_PER_YEAR)
    # a domestic chain's capex, paid back over the build life at the cost of capital
    out = out + capacity.committed_capex(w, w.t, capacity.CHAIN) * capacity.annuity_factor(
        w.scenario
    )
    return np.asarray(out)
