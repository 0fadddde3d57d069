"""What each region spends: on its own capacity, on cloud, and on its levers.

Spending is a rate (USD per year, at the prices of the moment) read from the state at a
moment; a lever's cost is what it adds beyond the capacity it buys (the premium of multi-cloud
or sovereign offerings, the overhead of portable stacks and federated training, mirrors, the
talent programme, stored and borrowed chips, a domestic chain's chip-making capex).
"""

from __future__ import annotations

import numpy as np

from ecosim.core.units import PRICED_HOURS_PER_YEAR
from ecosim.kernels import costs as kc
from ecosim.world import capacity, federated, talent
from ecosim.world.cloud import prices
from ecosim.world.prices import opex
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

    Columns are :data:`LEVER_COST_ITEMS`: the last columns of :func:`cost_items`.
    """
    return np.asarray(cost_items(w)[:, len(COST_ITEMS) - len(LEVER_COST_ITEMS) :])


def lever_cost(w: World) -> np.ndarray:
    """Yearly cost of the levers beyond the capacity they buy (USD/yr per region)."""
    return np.asarray(lever_costs(w).sum(axis=1))


def cost_items(
    w: World, lent: np.ndarray | None = None, chain_capex: np.ndarray | None = None
) -> np.ndarray:
    """A region's yearly ``cost`` in its parts (region, :data:`COST_ITEMS`; USD/yr).

    Own capacity: each live site's capex at the price it was bought at, over its life, and
    the opex of the capacity available now at today's prices; cloud rent at today's prices;
    then each lever's cost beyond the capacity it buys: stored chips paid like installed ones,
    the premia of multi-cloud and sovereign offerings on the rent, the overhead of portable
    stacks and the compute federated training spends communicating on all spending, a
    mirror's, the talent programme's and a local-models programme's (a share of what a
    frontier lab spends a year, from the day it is funded) yearly costs, borrowed capacity at
    cloud prices and lent specialists at what a secondment costs, and a domestic chain's
    capex paid back over the build life at the cost of capital.

    ``lent`` (the specialists each region borrows, :func:`talent.borrowed` of
    :func:`talent.need`) and ``chain_capex`` (what its domestic-chain programme committed,
    :func:`capacity.committed_capex` of :data:`capacity.CHAIN` at the world's clock) are
    computed unless the caller has them. The arithmetic is one compiled call
    (:func:`ecosim.kernels.costs.cost_items`, whose twin says it in numpy).
    """
    eff = w.scenario.uncertainties.levers
    p = w.params
    if lent is None:
        lent = talent.borrowed(w, talent.need(w))
    if chain_capex is None:
        chain_capex = capacity.committed_capex(w, w.t, capacity.CHAIN)
    # compiled where it gives numpy's bits: numpy halves a sum over more than MAX_ROW providers
    fn = kc.cost_items if w.cloud_price.shape[1] <= kc.MAX_ROW else kc.cost_items_ref
    return np.asarray(
        fn(
            w.own_capital_cost(w.t),
            w.own_cap,
            p.opex,
            w.price_trend,
            w.cloud_cap,
            w.cloud_price,
            PRICED_HOURS_PER_YEAR,
            w.stockpile,
            p.capex,
            w.capex_index,
            p.life_years,
            federated.capacity_factor(w, w.t),
            w.borrowed,
            lent,
            chain_capex,
            capacity.annuity_factor(w.scenario),
            p.multi_cloud,
            eff.multi_cloud_premium,
            p.sovereign_cloud,
            eff.sovereign_premium,
            p.open_stack,
            eff.open_stack_overhead,
            p.mirror,
            eff.mirror_cost_usd_per_year,
            p.talent_programme * p.graduates0,
            eff.graduate_cost_usd,
            p.local_models,
            eff.local_models_usd_per_year,
            eff.specialist_usd_per_year,
        )
    )
