"""What each region spends, in its parts, and its totals: compiled.

The recorder reads a region's yearly cost in its parts (:data:`ecosim.world.costs.COST_ITEMS`)
at every sample, and its totals: some forty numpy calls on arrays of nine to twenty elements,
so the calls cost more than the arithmetic. The rules are :mod:`ecosim.world.costs`'
(documented there); the ``*_ref`` functions are the same in numpy, as that module and the
recorder computed them before.

The kernels repeat numpy's arithmetic in numpy's order: a product of several factors is taken
left to right, and a sum along a row is numpy's (:func:`ecosim.kernels.sums.row_sum`).
Division by zero gives numpy's infinities and NaNs (``error_model="numpy"``), not an
exception. Tests hold them equal to their twins to the bit.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from ecosim.kernels.sums import row_sum

__all__ = [
    "MAX_ROW",
    "N_FIXED",
    "cost_items",
    "cost_items_ref",
    "cost_totals",
    "cost_totals_ref",
]

F8 = NDArray[np.float64]

#: The parts before the levers' in a row of :func:`cost_items`: own capital, own opex, cloud.
N_FIXED = 3

#: Longest row of providers the kernels take (a world has far fewer); longer ones go to the
#: twins.
MAX_ROW = 128


def cost_items_ref(
    capital: F8,
    own_cap: F8,
    opex: F8,
    trend: float,
    cloud_cap: F8,
    cloud_price: F8,
    hours: float,
    stockpile: F8,
    capex: F8,
    capex_index: F8,
    life_years: F8,
    federated_factor: F8,
    borrowed: F8,
    lent: F8,
    chain_capex: F8,
    annuity: float,
    multi_cloud: F8,
    multi_cloud_premium: float,
    sovereign: F8,
    sovereign_premium: float,
    open_stack: F8,
    open_stack_overhead: float,
    mirror: F8,
    mirror_cost: float,
    graduates: F8,
    graduate_cost: float,
    local_models: F8,
    local_models_cost: float,
    specialist_cost: float,
) -> F8:
    """Each region's yearly cost in its parts (region, own capital, own opex, cloud, then the
    levers' ten columns; USD/yr).

    ``capital`` is the live sites' yearly capital cost, ``opex`` the listed opex of an H100e
    moved by the price ``trend``, ``cloud_cap`` and ``cloud_price`` (region, provider) the
    cloud capacity and its price per hour (``hours`` a year), ``stockpile`` the chips stored,
    ``capex`` and ``capex_index`` a site's listed capex and its index now, ``federated_factor``
    the capacity federated training leaves, ``borrowed`` the capacity and ``lent`` the
    specialists borrowed from partners, ``chain_capex`` a domestic chain's committed capex
    paid back at ``annuity`` a year. Then each lever and what it costs: the multi-cloud and
    sovereign-cloud shares and their premia, the open-stack share and its overhead, the
    mirror, the talent programme's graduates (the programme times its graduates) and the
    local-models programme with their yearly costs, and a lent specialist's yearly cost.
    """
    opex_now = own_cap * (opex * trend)
    rented = (cloud_cap * cloud_price).sum(axis=1) * hours
    both = capital + opex_now + rented
    out = np.empty((capital.size, N_FIXED + 10))
    out[:, 0] = capital
    out[:, 1] = opex_now
    out[:, 2] = rented
    out[:, 3] = stockpile * (capex * capex_index) / life_years  # paid like installed chips
    out[:, 4] = rented * (multi_cloud_premium * multi_cloud)
    out[:, 5] = rented * (sovereign_premium * sovereign)
    out[:, 6] = both * open_stack_overhead * open_stack
    out[:, 7] = both * (1.0 - federated_factor)
    out[:, 8] = mirror * mirror_cost
    out[:, 9] = graduates * graduate_cost
    out[:, 10] = local_models * local_models_cost
    out[:, 11] = borrowed * (cloud_price.mean(axis=1) * hours) + lent * specialist_cost
    out[:, 12] = chain_capex * annuity
    return out


@numba.njit(cache=True, error_model="numpy")
def cost_items(
    capital: F8,
    own_cap: F8,
    opex: F8,
    trend: float,
    cloud_cap: F8,
    cloud_price: F8,
    hours: float,
    stockpile: F8,
    capex: F8,
    capex_index: F8,
    life_years: F8,
    federated_factor: F8,
    borrowed: F8,
    lent: F8,
    chain_capex: F8,
    annuity: float,
    multi_cloud: F8,
    multi_cloud_premium: float,
    sovereign: F8,
    sovereign_premium: float,
    open_stack: F8,
    open_stack_overhead: float,
    mirror: F8,
    mirror_cost: float,
    graduates: F8,
    graduate_cost: float,
    local_models: F8,
    local_models_cost: float,
    specialist_cost: float,
) -> F8:
    """:func:`cost_items_ref`, compiled; for at most :data:`MAX_ROW` providers."""
    n_r, n_p = cloud_price.shape
    out = np.empty((n_r, N_FIXED + 10))
    row = np.empty(n_p)
    for r in range(n_r):
        for p in range(n_p):
            row[p] = cloud_cap[r, p] * cloud_price[r, p]
        rented = row_sum(row, 0, n_p) * hours
        opex_now = own_cap[r] * (opex[r] * trend)
        both = capital[r] + opex_now + rented
        out[r, 0] = capital[r]
        out[r, 1] = opex_now
        out[r, 2] = rented
        out[r, 3] = stockpile[r] * (capex[r] * capex_index[r]) / life_years[r]
        out[r, 4] = rented * (multi_cloud_premium * multi_cloud[r])
        out[r, 5] = rented * (sovereign_premium * sovereign[r])
        out[r, 6] = both * open_stack_overhead * open_stack[r]
        out[r, 7] = both * (1.0 - federated_factor[r])
        out[r, 8] = mirror[r] * mirror_cost
        out[r, 9] = graduates[r] * graduate_cost
        out[r, 10] = local_models[r] * local_models_cost
        mean = row_sum(cloud_price[r], 0, n_p) / n_p
        out[r, 11] = borrowed[r] * (mean * hours) + lent[r] * specialist_cost
        out[r, 12] = chain_capex[r] * annuity
    return out


def cost_totals_ref(items: F8, capex_spent: F8, years: float) -> tuple[F8, F8, F8]:
    """From :func:`cost_items`: each region's yearly cost, its levers' part, and its cash flow
    (the capital paid over ``years`` plus own opex, cloud rent and the levers)."""
    levers = items[:, N_FIXED:].sum(axis=1)
    cost = items.sum(axis=1)
    cash_flow = capex_spent / years + items[:, 1] + items[:, 2] + levers
    return np.asarray(cost), np.asarray(levers), np.asarray(cash_flow)


@numba.njit(cache=True, error_model="numpy")
def cost_totals(items: F8, capex_spent: F8, years: float) -> tuple[F8, F8, F8]:
    """:func:`cost_totals_ref`, compiled."""
    n_r, n_i = items.shape
    cost = np.empty(n_r)
    levers = np.empty(n_r)
    cash_flow = np.empty(n_r)
    for r in range(n_r):
        row = items[r]
        levers[r] = row_sum(row, N_FIXED, n_i)
        cost[r] = row_sum(row, 0, n_i)
        cash_flow[r] = capex_spent[r] / years + row[1] + row[2] + levers[r]
    return cost, levers, cash_flow
