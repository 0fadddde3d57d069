"""What each region spends: on its own capacity, on cloud, and on its levers.

Spending is a rate (USD per year, at the prices of the moment) read from the state at a
moment; a lever's cost is what it adds beyond the capacity it buys (the premium of multi-cloud
or sovereign offerings, the overhead of portable stacks and federated training, mirrors, the
talent programme, stored and borrowed chips, a domestic chain's chip-making capex).
"""

from __future__ import annotations

import numpy as np

from ecosim.core.units import PRICED_HOURS_PER_YEAR
from ecosim.world import capacity, federated, talent
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


#: What each column of :func:`lever_costs` is: the levers that cost beyond what they buy.
LEVER_COST_ITEMS: tuple[str, ...] = (
    "stockpile",
    "multi_cloud",
    "sovereign_cloud",
    "open_stack",
    "federated_learning",
    "open_weights_mirror",
    "talent_programme",
    "local_models",
    "alliance",
    "domestic_chain",
)

#: The parts of a region's yearly ``cost``: own capacity's capital and running costs, cloud
#: rent, then each lever (:data:`LEVER_COST_ITEMS`).
COST_ITEMS: tuple[str, ...] = ("own_capital", "own_opex", "cloud", *LEVER_COST_ITEMS)


def lever_costs(w: World) -> np.ndarray:
    """Yearly cost of each lever beyond the capacity it buys (region, lever; USD/yr).

    Columns are :data:`LEVER_COST_ITEMS`.
    """
    eff = w.scenario.uncertainties.levers
    p = w.params
    own_spend, cloud_spend = spend(w)
    both = own_spend + cloud_spend
    items = {
        "stockpile": w.stockpile * capex(w) / p.life_years,  # paid for like installed chips
        "multi_cloud": cloud_spend * (eff.multi_cloud_premium * p.multi_cloud),
        "sovereign_cloud": cloud_spend * (eff.sovereign_premium * p.sovereign_cloud),
        "open_stack": both * eff.open_stack_overhead * p.open_stack,
        # the compute federated training spends communicating
        "federated_learning": both * (1.0 - federated.capacity_factor(w, w.t)),
        "open_weights_mirror": p.mirror * eff.mirror_cost_usd_per_year,
        "talent_programme": p.talent_programme * p.graduates0 * eff.graduate_cost_usd,
        # a programme's share of what a frontier lab spends a year, from the day it is funded
        "local_models": p.local_models * eff.local_models_usd_per_year,
        # borrowed capacity at cloud prices, and lent specialists at what a secondment costs
        "alliance": w.borrowed * (prices(w).mean(axis=1) * PRICED_HOURS_PER_YEAR)
        + talent.borrowed(w, talent.need(w)) * eff.specialist_usd_per_year,
        # a domestic chain's capex, paid back over the build life at the cost of capital
        "domestic_chain": capacity.committed_capex(w, w.t, capacity.CHAIN)
        * capacity.annuity_factor(w.scenario),
    }
    return np.column_stack(
        [
            np.broadcast_to(np.asarray(items[k], dtype=np.float64), (w.n_regions,))
            for k in LEVER_COST_ITEMS
        ]
    )


def lever_cost(w: World) -> np.ndarray:
    """Yearly cost of the levers beyond the capacity they buy (USD/yr per region)."""
    return np.asarray(lever_costs(w).sum(axis=1))


def cost_items(w: World) -> np.ndarray:
    """A region's yearly ``cost`` in its parts (region, :data:`COST_ITEMS`; USD/yr)."""
    capital = w.own_capital_cost(w.t)
    opex_now = w.own_cap * opex(w)
    _, rented = spend(w)
    return np.column_stack([capital, opex_now, rented, lever_costs(w)])
