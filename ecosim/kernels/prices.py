"""The prices' update at each step's close: compiled.

Every world step smooths the designers' quotes and the providers' fleet tightness, then sets
the designers' prices, what each region's buyers pay, the index of a new site's capex and the
cloud prices. That is some fifty numpy calls on arrays of four to eighty elements, so the calls
cost more than the arithmetic. The rules are :mod:`ecosim.world.prices`' (documented there);
the ``*_ref`` functions are the same in numpy, as that module computed them before.

The kernels repeat numpy's arithmetic in numpy's order: a product of several factors is taken
left to right, and a sum over fewer than eight designers adds them left to right, as numpy
does (with eight or more, the world calls the twin). The powers (the scarcity elasticity) stay
in numpy: its vectorised ``power`` rounds differently from the scalar one a kernel calls.
Tests hold the kernels equal to their twins to the bit.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MAX_MARKUP_SHARE",
    "fleet_tightness",
    "smooth",
    "smooth_ref",
    "update",
    "update_ref",
]

F8 = NDArray[np.float64]
I8 = NDArray[np.int64]

#: A logit margin ``1 / (1 - share)`` diverges as one provider takes the whole market; above
#: this share it is held (a monopolist's price is bounded by its customers leaving the cloud).
MAX_MARKUP_SHARE = 0.9


def fleet_tightness(want: F8, fleet: F8) -> F8:
    """What each provider's customers ``want`` of it in each region over its ``fleet`` there
    (R, P), at least 1 (1 where it has no fleet)."""
    return np.asarray(
        np.maximum(np.divide(want, fleet, out=np.ones_like(want), where=fleet > 0), 1.0)
    )


def smooth_ref(
    keep: float, quote_ema: F8, quotes: F8, tightness: F8, want: F8, fleet: F8
) -> tuple[F8, F8]:
    """The designers' smoothed quotes and the providers' smoothed tightness after a step that
    keeps ``keep`` of the old values: the new quotes, and what each provider's customers
    ``want`` of it in each region over its ``fleet`` there (at least 1; 1 without a fleet)."""
    new_quotes = keep * quote_ema + (1.0 - keep) * quotes
    new_tightness = keep * tightness + (1.0 - keep) * fleet_tightness(want, fleet)
    return np.asarray(new_quotes), np.asarray(new_tightness)


@numba.njit(cache=True)
def smooth(
    keep: float, quote_ema: F8, quotes: F8, tightness: F8, want: F8, fleet: F8
) -> tuple[F8, F8]:
    """:func:`smooth_ref`, compiled."""
    rest = 1.0 - keep
    new_quotes = np.empty(quote_ema.size)
    for d in range(quote_ema.size):
        new_quotes[d] = keep * quote_ema[d] + rest * quotes[d]
    n_r, n_p = tightness.shape
    new_tightness = np.empty((n_r, n_p))
    for r in range(n_r):
        for p in range(n_p):
            tight = want[r, p] / fleet[r, p] if fleet[r, p] > 0 else 1.0
            if tight < 1.0:  # not ``max``: a NaN stays NaN, as numpy's maximum keeps it
                tight = 1.0
            new_tightness[r, p] = keep * tightness[r, p] + rest * tight
    return new_quotes, new_tightness


def update_ref(
    level: float,
    scarcity: F8,
    costs: F8,
    cost_ref: float,
    list_price: float,
    allow: F8,
    designers: I8,
    control_premium: float,
    weights: F8,
    chip_share: F8,
    own_cost: F8,
    opex: F8,
    prov_home: I8,
    shares: F8,
    share0: F8,
    multi_cloud: F8,
    spread0: F8,
    lock_in: float,
    cost_share: F8,
    prov_price: F8,
    price_factor: F8,
    price_hike: F8,
    scarce: F8,
) -> tuple[F8, F8, F8, F8]:
    """The designers' prices (D,), what buyers homed in each region pay (R,), the index of a
    new site's capex (R,) and the cloud prices (R, P), at the trend's ``level``.

    ``scarcity`` and ``scarce`` are the designers' and the fleets' scarcity premia (the
    elasticity's powers), ``costs`` the designers' chain capital costs and ``cost_ref`` what
    the trend pays for, ``list_price`` the accelerator's price on the reference date,
    ``allow`` (supplier, region) the share of each flow that may go freely, ``weights`` how
    each region's buyers spread over the designers, ``own_cost`` and ``opex`` each region's
    listed yearly cost and opex of an H100e, ``shares`` the regions' cloud shares (the last
    column the outside option), ``share0`` and ``spread0`` the markups' references, and
    ``cost_share`` the part of each provider's listed price that is cost.
    """
    designer_price = (list_price * scarcity + (costs - cost_ref)) * level
    # the blocked part of a designer's flow to a region costs the premium (R x D)
    blocked = 1.0 - np.clip(allow[designers].T, 0.0, 1.0)
    paid = designer_price[None, :] * (1.0 + control_premium * blocked)
    total = weights.sum(axis=1)
    mean_price = np.where(
        total > 0,
        (weights * paid).sum(axis=1) / np.maximum(total, 1e-300),
        list_price * level,
    )
    premium = mean_price / (list_price * level)
    capex_index = level * (1.0 + chip_share * (premium - 1.0))
    # a provider's cost per hour moves with its home region's capex and opex
    own_now = (own_cost - opex) * capex_index + opex * level
    cost = (own_now / own_cost)[prov_home]
    share = np.minimum(shares[:, : prov_price.size], MAX_MARKUP_SHARE)
    share_ref = np.minimum(share0, MAX_MARKUP_SHARE)
    locked = np.divide(
        1.0 - multi_cloud, 1.0 - spread0, out=np.ones_like(spread0), where=spread0 < 1
    )
    margin = (1.0 - share_ref) / (1.0 - share) * (1.0 - lock_in + lock_in * locked[:, None])
    k = cost_share[None, :]
    cloud_price = (
        prov_price[None, :]
        * price_factor[:, None]
        * price_hike
        * cost[None, :]
        * (k + (1.0 - k) * margin)
        * scarce
    )
    return (
        np.asarray(designer_price),
        np.asarray(mean_price),
        np.asarray(capex_index),
        np.asarray(cloud_price),
    )


@numba.njit(cache=True)
def update(
    level: float,
    scarcity: F8,
    costs: F8,
    cost_ref: float,
    list_price: float,
    allow: F8,
    designers: I8,
    control_premium: float,
    weights: F8,
    chip_share: F8,
    own_cost: F8,
    opex: F8,
    prov_home: I8,
    shares: F8,
    share0: F8,
    multi_cloud: F8,
    spread0: F8,
    lock_in: float,
    cost_share: F8,
    prov_price: F8,
    price_factor: F8,
    price_hike: F8,
    scarce: F8,
) -> tuple[F8, F8, F8, F8]:
    """:func:`update_ref`, compiled; for fewer than eight designers (a sum over them is then
    numpy's left-to-right one)."""
    n_d = designers.size
    n_r = weights.shape[0]
    n_p = prov_price.size
    designer_price = np.empty(n_d)
    for d in range(n_d):
        designer_price[d] = (list_price * scarcity[d] + (costs[d] - cost_ref)) * level
    base = list_price * level
    mean_price = np.empty(n_r)
    capex_index = np.empty(n_r)
    ratio = np.empty(n_r)
    for r in range(n_r):
        total = 0.0
        for d in range(n_d):
            total += weights[r, d]
        if total > 0:
            paid_sum = 0.0
            for d in range(n_d):
                may = allow[designers[d], r]
                # not ``min``/``max``: a NaN stays NaN, as numpy's clip keeps it
                if may < 0.0:
                    may = 0.0
                elif may > 1.0:
                    may = 1.0
                paid = designer_price[d] * (1.0 + control_premium * (1.0 - may))
                paid_sum += weights[r, d] * paid
            held = total if total > 1e-300 else 1e-300
            mean_price[r] = paid_sum / held
        else:
            mean_price[r] = base
        premium = mean_price[r] / base
        capex_index[r] = level * (1.0 + chip_share[r] * (premium - 1.0))
        ratio[r] = ((own_cost[r] - opex[r]) * capex_index[r] + opex[r] * level) / own_cost[r]
    cloud_price = np.empty((n_r, n_p))
    for r in range(n_r):
        locked = (1.0 - multi_cloud[r]) / (1.0 - spread0[r]) if spread0[r] < 1 else 1.0
        lock = 1.0 - lock_in + lock_in * locked
        for p in range(n_p):
            share = shares[r, p]
            if share > MAX_MARKUP_SHARE:
                share = MAX_MARKUP_SHARE
            share_ref = share0[r, p]
            if share_ref > MAX_MARKUP_SHARE:
                share_ref = MAX_MARKUP_SHARE
            margin = (1.0 - share_ref) / (1.0 - share) * lock
            k = cost_share[p]
            cloud_price[r, p] = (
                prov_price[p]
                * price_factor[r]
                * price_hike[r, p]
                * ratio[prov_home[p]]
                * (k + (1.0 - k) * margin)
                * scarce[r, p]
            )
    return designer_price, mean_price, capex_index, cloud_price
