"""The cloud's per-step arithmetic: what providers want, deliver and receive, and the capacity
set aside for each region's workloads.

Each is asked for several times a world step on arrays of regions by providers (9 x 19 in the
baseline), where a dozen small numpy calls cost far more than the arithmetic. The kernels
repeat their numpy twins' operations in the same order, so they agree to the bit; a row sum of
eight or more values is taken in numpy's pairwise order (:func:`ecosim.kernels.sums.row_sum`).
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from ecosim.kernels.allocation import allocate
from ecosim.kernels.sums import row_sum

__all__ = [
    "MAX_ROW",
    "cloud_need",
    "cloud_need_ref",
    "delivered",
    "delivered_ref",
    "receive",
    "receive_ref",
    "wanted",
    "wanted_ref",
    "workload_capacity",
    "workload_capacity_ref",
    "workload_shares",
    "workload_shares_ref",
]

F8 = NDArray[np.float64]

#: Longest row a kernel here takes; a longer one goes to the twin.
MAX_ROW = 128


def wanted_ref(
    shares: F8,
    need: F8,
    rest: float,
    can_join: NDArray[np.uint8],
    present: NDArray[np.bool_],
    headroom: F8,
) -> F8:
    """Capacity each provider wants in each region (R, P), headroom included: numpy twin of
    :func:`wanted`.

    Parameters
    ----------
    shares : ndarray of float64, shape (R, P + 1)
        Workload shares, outside option last.
    need : ndarray of float64, shape (R,)
        Each region's need of cloud capacity (H100e).
    rest : float
        The outside option's resting share.
    can_join : ndarray of uint8, shape (R, P)
        1 where the provider takes new contracts from the region.
    present : ndarray of bool, shape (R, P)
        Where each provider has data centres.
    headroom : ndarray of float64, shape (P,)
        Each provider's headroom over its use.

    Returns
    -------
    ndarray of float64, shape (R, P)
        What its customers use, plus its part (by share, among the providers open there) of the
        work waiting on the outside option beyond its resting share, times one plus headroom.
    """
    n_p = shares.shape[1] - 1
    usage = shares[:, :n_p] * need[:, None]
    waiting = np.maximum(shares[:, -1] - rest, 0.0) * need
    open_ = (can_join * present).astype(float)
    weight = (shares[:, :n_p] + 1e-6) * open_
    total = weight.sum(axis=1, keepdims=True)
    part = np.divide(weight, total, out=np.zeros_like(weight), where=total > 0.0)
    return np.asarray((usage + waiting[:, None] * part) * (1.0 + headroom[None, :]))


def cloud_need_ref(demand: F8, factor: F8, own: F8, available: F8, margin: F8) -> tuple[F8, F8, F8]:
    """Each region's demand, own capacity and need of cloud capacity (R, each): numpy twin of
    :func:`cloud_need`.

    Parameters
    ----------
    demand : ndarray of float64, shape (R,)
        Each region's demand before surges (H100e).
    factor : ndarray of float64, shape (R,)
        What surges multiply it by.
    own : ndarray of float64, shape (R,)
        Each region's installed own capacity (H100e).
    available : ndarray of float64, shape (R,)
        The part of it not darkened by an outage.
    margin : ndarray of float64, shape (R,)
        The margin a region keeps over its demand.

    Returns
    -------
    tuple of ndarray of float64, shape (R,)
        The demand times ``factor``, the own capacity times ``available``, and the cloud
        need: the demand with its margin less the own capacity, at least zero.
    """
    demand = demand * factor
    own = own * available
    need = np.maximum(0.0, demand * (1.0 + margin) - own)
    return np.asarray(demand), np.asarray(own), np.asarray(need)


@numba.njit(cache=True)
def cloud_need(demand: F8, factor: F8, own: F8, available: F8, margin: F8) -> tuple[F8, F8, F8]:
    """Each region's demand, own capacity and need of cloud capacity (R, each).

    Compiled (every refresh of the world asks for them: five numpy calls on a few elements);
    :func:`cloud_need_ref` is the same in numpy, with the same parameters.
    """
    n = demand.size
    out_demand = np.empty(n)
    out_own = np.empty(n)
    out_need = np.empty(n)
    for r in range(n):
        d = demand[r] * factor[r]
        o = own[r] * available[r]
        x = d * (1.0 + margin[r]) - o
        out_demand[r] = d
        out_own[r] = o
        # np.maximum(0.0, x): zero unless x is larger, a NaN kept
        out_need[r] = 0.0 if x <= 0.0 else x
    return out_demand, out_own, out_need


def delivered_ref(served: F8, need: F8, can_stay: NDArray[np.uint8], cap: F8, available: F8) -> F8:
    """Cloud capacity each region gets from each provider (R, P): numpy twin of
    :func:`delivered`.

    Parameters
    ----------
    served : ndarray of float64, shape (R, P + 1)
        Shares of the workload being served, outside option last.
    need : ndarray of float64, shape (R,)
        Each region's need of cloud capacity (H100e).
    can_stay : ndarray of uint8, shape (R, P)
        1 where the provider still serves the region's customers.
    cap : ndarray of float64, shape (R, P)
        Each provider's fleet in each region (H100e).
    available : ndarray of float64, shape (P,)
        The part of each provider's fleet not darkened by an outage.

    Returns
    -------
    ndarray of float64, shape (R, P)
        What is asked of each provider, rationed where it exceeds what the provider has there.
    """
    demand = np.asarray(served[:, : cap.shape[1]] * need[:, None]) * can_stay
    have = cap * available[None, :]
    ration = np.where(demand > have, have / np.maximum(demand, 1e-300), 1.0)
    return np.asarray(demand * ration)


@numba.njit(cache=True)
def wanted(
    shares: F8,
    need: F8,
    rest: float,
    can_join: NDArray[np.uint8],
    present: NDArray[np.bool_],
    headroom: F8,
) -> F8:
    """Capacity each provider wants in each region (R, P), headroom included.

    Compiled (asked for at every delivery to a provider and every close of a step);
    :func:`wanted_ref` is the same in numpy, with the same parameters. For at most
    :data:`MAX_ROW` providers.
    """
    n_r = shares.shape[0]
    n_p = shares.shape[1] - 1
    weight = np.empty((n_r, n_p))
    for r in range(n_r):
        for p in range(n_p):
            # numpy's (can_join * present).astype(float)
            open_ = float(can_join[r, p]) if present[r, p] else 0.0
            weight[r, p] = (shares[r, p] + 1e-6) * open_
    out = np.empty((n_r, n_p))
    for r in range(n_r):
        total = row_sum(weight[r], 0, n_p)
        beyond = shares[r, n_p] - rest
        # np.maximum(beyond, 0.0), NaN kept
        waiting = (0.0 if beyond < 0.0 else beyond) * need[r]
        for p in range(n_p):
            part = weight[r, p] / total if total > 0.0 else 0.0
            out[r, p] = (shares[r, p] * need[r] + waiting * part) * (1.0 + headroom[p])
    return out


@numba.njit(cache=True)
def delivered(served: F8, need: F8, can_stay: NDArray[np.uint8], cap: F8, available: F8) -> F8:
    """Cloud capacity each region gets from each provider (R, P), after rationing.

    Compiled (every refresh of the world asks for it); :func:`delivered_ref` is the same in
    numpy, with the same parameters.
    """
    n_r, n_p = cap.shape
    out = np.empty((n_r, n_p))
    for r in range(n_r):
        for p in range(n_p):
            demand = (served[r, p] * need[r]) * float(can_stay[r, p])
            have = cap[r, p] * available[p]
            ration = have / max(demand, 1e-300) if demand > have else 1.0
            out[r, p] = demand * ration
    return out


def receive_ref(
    cap: F8, p: int, quantity: float, want: F8, present: NDArray[np.bool_], reach: F8
) -> None:
    """Numpy twin of :func:`receive`, with the same parameters and effect."""
    want = want[:, p] * reach
    short = np.maximum(want - cap[:, p], 0.0)
    fill = min(quantity, float(short.sum()))
    if fill > 0.0:
        cap[:, p] += short * (fill / short.sum())
    rest = quantity - fill
    if rest > 0.0:
        where = want
        if not where.sum() > 0.0:
            where = present[:, p] * reach
        if not where.sum() > 0.0:
            where = present[:, p].astype(float)
        cap[:, p] += rest * where / max(float(where.sum()), 1e-300)


@numba.njit(cache=True)
def receive(
    cap: F8, p: int, quantity: float, want: F8, present: NDArray[np.bool_], reach: F8
) -> None:
    """Spread ``quantity`` H100e delivered to provider ``p`` over its regions' fleets, in place.

    The regions where the provider is furthest below what it may hold of these chips (what it
    wants times ``reach``) get the chips in proportion to each shortfall; what is left over
    goes where it may hold them, or where it is present if nowhere. For at most
    :data:`MAX_ROW` regions; :func:`receive_ref` is the same in numpy.

    Parameters
    ----------
    cap : ndarray of float64, shape (R, P)
        Each provider's fleet in each region (H100e); column ``p`` grows.
    p : int
        The provider.
    quantity : float
        H100e delivered.
    want : ndarray of float64, shape (R, P)
        What each provider wants in each region (:func:`wanted`).
    present : ndarray of bool, shape (R, P)
        Where each provider has data centres.
    reach : ndarray of float64, shape (R,)
        Share of what it wants in each region it may hold in these chips: below 1 where an
        export control keeps their designer's chips out of the region beyond what it keeps
        out of the provider's home (:func:`ecosim.world.cloud.reach`); ones without controls,
        which leave every product as it was.
    """
    n_r = cap.shape[0]
    short = np.empty(n_r)
    column = np.empty(n_r)
    for r in range(n_r):
        column[r] = want[r, p] * reach[r]
        d = column[r] - cap[r, p]
        short[r] = 0.0 if d < 0.0 else d  # np.maximum(d, 0.0), NaN kept
    total_short = row_sum(short, 0, n_r)
    fill = min(quantity, total_short)
    if fill > 0.0:
        scale = fill / total_short
        for r in range(n_r):
            cap[r, p] += short[r] * scale
    rest = quantity - fill
    if rest > 0.0:
        if not row_sum(column, 0, n_r) > 0.0:
            for r in range(n_r):
                column[r] = (1.0 if present[r, p] else 0.0) * reach[r]
        if not row_sum(column, 0, n_r) > 0.0:
            # the chips may reach none of its regions: they stay where it is present
            for r in range(n_r):
                column[r] = 1.0 if present[r, p] else 0.0
        spread = max(row_sum(column, 0, n_r), 1e-300)
        for r in range(n_r):
            cap[r, p] += rest * column[r] / spread


def workload_capacity_ref(
    own: F8,
    cloud_cap: F8,
    borrowed: F8,
    factor: F8,
    stack: F8,
    present: NDArray[np.bool_],
    demand: F8,
    shares: F8,
    weight: F8,
    local_only: NDArray[np.bool_],
) -> F8:
    """Numpy twin of :func:`workload_capacity`, with the same parameters."""
    total = (own + cloud_cap.sum(axis=1) + borrowed) * factor
    local = (own + (cloud_cap * present).sum(axis=1)) * stack
    need = demand[:, None] * shares
    return np.asarray(allocate(total, local, need, weight, local_only))


@numba.njit(cache=True)
def workload_capacity(
    own: F8,
    cloud_cap: F8,
    borrowed: F8,
    factor: F8,
    stack: F8,
    present: NDArray[np.bool_],
    demand: F8,
    shares: F8,
    weight: F8,
    local_only: NDArray[np.bool_],
) -> F8:
    """Capacity each workload's queue runs on (R, W), H100e.

    The capacity a region's jobs can use (own, cloud and borrowed, times ``factor``) and its
    part in the region (own and the providers present there, times ``stack``) set aside for
    the workloads' needs by :func:`ecosim.kernels.allocation.allocate`. For at most
    :data:`MAX_ROW` providers; :func:`workload_capacity_ref` is the same in numpy.

    Parameters
    ----------
    own : ndarray of float64, shape (R,)
        Each region's own capacity (H100e).
    cloud_cap : ndarray of float64, shape (R, P), C-contiguous
        Cloud capacity each region gets from each provider (H100e).
    borrowed : ndarray of float64, shape (R,)
        Capacity borrowed from partners (H100e).
    factor : ndarray of float64, shape (R,)
        Share of the capacity left after the overheads of portable stacks and federation.
    stack : ndarray of float64, shape (R,)
        Share of the capacity in the region left after the overhead of portable stacks.
    present : ndarray of bool, shape (R, P)
        Where each provider has data centres.
    demand : ndarray of float64, shape (R,)
        Each region's compute demand (H100e).
    shares : ndarray of float64, shape (R, W)
        Each workload's share of the demand.
    weight : ndarray of float64, shape (W,)
        Each workload's claim on short capacity.
    local_only : ndarray of bool, shape (W,)
        Workloads that may run only in the region.
    """
    n_r, n_p = cloud_cap.shape
    n_w = shares.shape[1]
    total = np.empty(n_r)
    local = np.empty(n_r)
    here = np.empty(n_p)
    need = np.empty((n_r, n_w))
    for r in range(n_r):
        total[r] = (own[r] + row_sum(cloud_cap[r], 0, n_p) + borrowed[r]) * factor[r]
        for p in range(n_p):
            here[p] = cloud_cap[r, p] * (1.0 if present[r, p] else 0.0)
        local[r] = (own[r] + row_sum(here, 0, n_p)) * stack[r]
        for k in range(n_w):
            need[r, k] = demand[r] * shares[r, k]
    return allocate(total, local, need, weight, local_only)


def workload_shares_ref(
    own_models: F8, open_models: F8, intensity: float, max_share: float, split: F8
) -> F8:
    """Numpy twin of :func:`workload_shares`, with the same parameters."""
    deployed = np.clip(own_models + open_models, 0.0, 1.0)
    inference = np.minimum(max_share, deployed * intensity)
    out = np.empty((own_models.size, split.shape[1] + 1))
    out[:, :-1] = (1.0 - inference)[:, None] * split
    out[:, -1] = inference
    return out


@numba.njit(cache=True)
def workload_shares(
    own_models: F8, open_models: F8, intensity: float, max_share: float, split: F8
) -> F8:
    """Every region's demand shares by workload (R, W): the training workloads first, split by
    ``split``, inference last (:func:`ecosim.world.workloads.shares` states the rule).

    Parameters
    ----------
    own_models, open_models : ndarray of float64, shape (R,)
        Each region's share of model use on its own models and on open weights.
    intensity : float
        Inference's share of the compute behind deployed models (the exponential, numpy's).
    max_share : float
        The largest share of demand inference may take.
    split : ndarray of float64, shape (R, W - 1)
        Each region's split of its training work.
    """
    n_r, n_t = split.shape
    out = np.empty((n_r, n_t + 1))
    for r in range(n_r):
        # numpy.clip and numpy.minimum, NaN-propagating as theirs are
        deployed = own_models[r] + open_models[r]
        if deployed < 0.0:
            deployed = 0.0
        elif deployed > 1.0:
            deployed = 1.0
        used = deployed * intensity
        inference = used if (used != used or used <= max_share) else max_share
        for k in range(n_t):
            out[r, k] = (1.0 - inference) * split[r, k]
        out[r, n_t] = inference
    return out
