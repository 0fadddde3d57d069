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
    return np.asarray(own), _rent(w)


def _rent(w: World) -> np.ndarray:
    """Yearly cloud rent of each region at today's prices (USD/yr)."""
    return np.asarray((w.cloud_cap * prices(w)).sum(axis=1) * PRICED_HOURS_PER_YEAR)


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

#: The column of each lever in :func:`lever_costs`, looked up once rather than at every call.
_COL: dict[str, int] = {name: i for i, name in enumerate(LEVER_COST_ITEMS)}


def lever_costs(
    w: World,
    spent: tuple[np.ndarray, np.ndarray] | None = None,
    lent: np.ndarray | None = None,
    chain_capex: np.ndarray | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Yearly cost of each lever beyond the capacity it buys (region, lever; USD/yr).

    Columns are :data:`LEVER_COST_ITEMS`. Where the caller has them already, ``spent`` is
    :func:`spend`, ``lent`` the specialists each region borrows (:func:`talent.borrowed` of
    :func:`talent.need`) and ``chain_capex`` what its domestic-chain programme committed
    (:func:`capacity.committed_capex` of :data:`capacity.CHAIN` at the world's clock). ``out``,
    if given, receives the columns (region, lever) and is returned.
    """
    eff = w.scenario.uncertainties.levers
    p = w.params
    own_spend, cloud_spend = spend(w) if spent is None else spent
    if lent is None:
        lent = talent.borrowed(w, talent.need(w))
    if chain_capex is None:
        chain_capex = capacity.committed_capex(w, w.t, capacity.CHAIN)
    both = own_spend + cloud_spend
    if out is None:
        out = np.empty((w.n_regions, len(LEVER_COST_ITEMS)))
    col = _COL
    out[:, col["stockpile"]] = w.stockpile * capex(w) / p.life_years  # paid like installed chips
    out[:, col["multi_cloud"]] = cloud_spend * (eff.multi_cloud_premium * p.multi_cloud)
    out[:, col["sovereign_cloud"]] = cloud_spend * (eff.sovereign_premium * p.sovereign_cloud)
    out[:, col["open_stack"]] = both * eff.open_stack_overhead * p.open_stack
    # the compute federated training spends communicating
    out[:, col["federated_learning"]] = both * (1.0 - federated.capacity_factor(w, w.t))
    out[:, col["open_weights_mirror"]] = p.mirror * eff.mirror_cost_usd_per_year
    out[:, col["talent_programme"]] = p.talent_programme * p.graduates0 * eff.graduate_cost_usd
    # a programme's share of what a frontier lab spends a year, from the day it is funded
    out[:, col["local_models"]] = p.local_models * eff.local_models_usd_per_year
    # borrowed capacity at cloud prices, and lent specialists at what a secondment costs
    out[:, col["alliance"]] = (
        w.borrowed * (prices(w).mean(axis=1) * PRICED_HOURS_PER_YEAR)
        + lent * eff.specialist_usd_per_year
    )
    # a domestic chain's capex, paid back over the build life at the cost of capital
    out[:, col["domestic_chain"]] = chain_capex * capacity.annuity_factor(w.scenario)
    return out


def lever_cost(w: World) -> np.ndarray:
    """Yearly cost of the levers beyond the capacity they buy (USD/yr per region)."""
    return np.asarray(lever_costs(w).sum(axis=1))


def cost_items(
    w: World, lent: np.ndarray | None = None, chain_capex: np.ndarray | None = None
) -> np.ndarray:
    """A region's yearly ``cost`` in its parts (region, :data:`COST_ITEMS`; USD/yr).

    ``lent`` and ``chain_capex`` are :func:`lever_costs`' where the caller has them already.
    """
    # each part once: own spending is capital plus opex, as :func:`spend` adds them
    capital = w.own_capital_cost(w.t)
    opex_now = w.own_cap * opex(w)
    rented = _rent(w)
    out = np.empty((w.n_regions, len(COST_ITEMS)))
    out[:, 0] = capital
    out[:, 1] = opex_now
    out[:, 2] = rented
    lever_costs(w, (capital + opex_now, rented), lent, chain_capex, out[:, 3:])
    return out
