"""What the recorder reads of the world at a sample, beyond its arrays as they are: compiled.

Each was a dozen to thirty numpy calls on arrays of a few to twenty elements, read at every
recorded sample (the cloud market's concentration at every step, of the run and its twin), so
the calls cost far more than the arithmetic. The rules are those of
:func:`ecosim.world.cloud.concentration`, :func:`ecosim.world.layers.exposure`,
:func:`ecosim.world.layers.data_location` and
:func:`ecosim.world.capacity.capacity_by_region` (documented there); the ``*_ref`` functions
are the same in numpy, in today's form, and each kernel repeats numpy's arithmetic in numpy's
order: a region's sum over its providers is numpy's sum of a contiguous row (eight
accumulators from eight providers on, left to right below;
:func:`ecosim.kernels.sums.row_sum`), products keep numpy's grouping, and ``np.add.at`` adds its
values one after another. Nothing transcendental is computed here.

:func:`lead_time_readings` is the four lead-time readings of a sample (the designers', the
goods', the buyers' and the mix of what they wait for) in one call, each the compiled rule of
:mod:`ecosim.kernels.supply` or of this module; four calls a sample cost more than the rules.

Beside them, the recorder's own sums over a recording period: a step's flows added into them
(:func:`add_step_flows`, six numpy additions at every step before) and the job queues' sums
written into a sample's rows (:func:`close_job_period`, the mean wait among them); both add
and divide element by element as numpy does.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from ecosim.kernels import supply as ks
from ecosim.kernels.jobs import ABANDONED_WORK, OVERFLOW, QUEUE_AREA, REQUESTED, SERVED
from ecosim.kernels.layers import _clip01, _fmax, _fmin
from ecosim.kernels.plain import plain_bool
from ecosim.kernels.sums import row_sum

__all__ = [
    "MAX_ROW",
    "add_step_flows",
    "add_step_flows_ref",
    "buyer_lead_times",
    "buyer_lead_times_ref",
    "capacity_by_region",
    "capacity_by_region_ref",
    "close_job_period",
    "close_job_period_ref",
    "committed_capex",
    "committed_capex_ref",
    "concentration",
    "concentration_ref",
    "data_location",
    "data_location_ref",
    "designer_dependence",
    "designer_dependence_ref",
    "exposure",
    "exposure_ref",
    "lead_time_readings",
    "lead_time_readings_ref",
    "self_sufficiency",
    "self_sufficiency_at",
    "self_sufficiency_at_ref",
    "self_sufficiency_ref",
]

F8 = NDArray[np.float64]
I8 = NDArray[np.int64]
B1 = NDArray[np.bool_]

#: Numpy's block of a pairwise sum: it halves longer runs, which the row helper does not do (a
#: world has far fewer providers), so the world's callers hand longer rows to the twins.
MAX_ROW = 128

#: Columns of the exposure, in the order of :data:`ecosim.scenario.models.LAYERS`.
COMPUTE, DATA, SOFTWARE, MODELS, OPERATIONS = range(5)


def concentration_ref(shares: F8, tail: B1) -> F8:
    """Herfindahl index of each region's cloud market (R,), from the shares of its providers
    (``shares``' first ``tail.size`` columns; the last is the outside option), a long-tail
    provider counted in the market but not as one firm."""
    cloud = shares[:, : tail.size]
    served = cloud.sum(axis=1, keepdims=True)
    within = np.divide(cloud, served, out=np.zeros_like(cloud), where=served > 0.0)
    return np.asarray(np.sum(np.where(tail, 0.0, within) ** 2, axis=1))


@numba.njit(cache=True)
def concentration(shares: F8, tail: B1) -> F8:
    """:func:`concentration_ref`, compiled."""
    n, n_p = shares.shape[0], tail.size
    out = np.empty(n)
    square = np.empty(n_p)
    for r in range(n):
        row = shares[r]
        served = row_sum(row, 0, n_p)
        for p in range(n_p):
            within = row[p] / served if served > 0.0 else 0.0
            v = 0.0 if tail[p] else within
            square[p] = v * v
        out[r] = row_sum(square, 0, n_p)
    return out


def _cloud_where_ref(shares: F8, weight: np.ndarray) -> F8:
    """Each region's cloud share weighted by ``weight[r, p]`` (the providers' columns)."""
    return np.asarray((shares[:, : weight.shape[1]] * weight).sum(axis=1))


def exposure_ref(
    shares: F8,
    cloud_cap: F8,
    own_cap: F8,
    prov_exposure: F8,
    prov_home: I8,
    own_infra: F8,
    foreign_stack: B1,
    open_stack: F8,
    model_mix: F8,
    api_access: F8,
    api_foreign: F8,
    managed_foreign: F8,
) -> F8:
    """Share of each layer exposed to foreign legal compulsion (R, 5), in numpy: the world's
    arrays and its regions' parameters of the same names; ``foreign_stack`` whether a region's
    proprietary stack comes from abroad."""
    n = shares.shape[0]
    out = np.zeros((n, 5))
    total_cloud = cloud_cap.sum(axis=1)
    capacity = own_cap + total_cloud
    exposed_cap = (cloud_cap * prov_exposure).sum(axis=1)
    out[:, COMPUTE] = np.where(capacity > 0, exposed_cap / np.maximum(capacity, 1e-300), 0.0)
    out[:, DATA] = (1.0 - own_infra) * _cloud_where_ref(shares, prov_exposure)
    foreign = prov_home[None, :] != np.arange(n)[:, None]
    out[:, SOFTWARE] = np.where(foreign_stack, 1.0 - open_stack, 0.0)
    out[:, MODELS] = model_mix[:, 2] * api_access * api_foreign
    on_foreign = _cloud_where_ref(shares, foreign.astype(np.float64))
    out[:, OPERATIONS] = managed_foreign * np.minimum(
        on_foreign / np.maximum(1.0 - shares[:, -1], 1e-300), 1.0
    )
    return np.asarray(np.clip(out, 0.0, 1.0))


@numba.njit(cache=True)
def exposure(
    shares: F8,
    cloud_cap: F8,
    own_cap: F8,
    prov_exposure: F8,
    prov_home: I8,
    own_infra: F8,
    foreign_stack: B1,
    open_stack: F8,
    model_mix: F8,
    api_access: F8,
    api_foreign: F8,
    managed_foreign: F8,
) -> F8:
    """:func:`exposure_ref`, compiled."""
    n, n_p = cloud_cap.shape
    out = np.empty((n, 5))
    # one row of weighted values per sum, as numpy forms the product before it sums it
    exposed_w = np.empty(n_p)
    data_w = np.empty(n_p)
    foreign_w = np.empty(n_p)
    for r in range(n):
        for p in range(n_p):
            exposed_w[p] = cloud_cap[r, p] * prov_exposure[r, p]
            data_w[p] = shares[r, p] * prov_exposure[r, p]
            foreign_w[p] = shares[r, p] * (1.0 if prov_home[p] != r else 0.0)
        capacity = own_cap[r] + row_sum(cloud_cap[r], 0, n_p)
        compute = row_sum(exposed_w, 0, n_p) / _fmax(capacity, 1e-300) if capacity > 0 else 0.0
        out[r, COMPUTE] = _clip01(compute)
        out[r, DATA] = _clip01((1.0 - own_infra[r]) * row_sum(data_w, 0, n_p))
        out[r, SOFTWARE] = _clip01(1.0 - open_stack[r] if foreign_stack[r] else 0.0)
        out[r, MODELS] = _clip01(model_mix[r, 2] * api_access[r] * api_foreign[r])
        cloud = _fmax(1.0 - shares[r, shares.shape[1] - 1], 1e-300)
        out[r, OPERATIONS] = _clip01(
            managed_foreign[r] * _fmin(row_sum(foreign_w, 0, n_p) / cloud, 1.0)
        )
    return out


def data_location_ref(shares: F8, prov_home: I8, prov_present: B1, own_infra: F8) -> F8:
    """Share of each region's data by location class (R, 4), in numpy: own, with a domestic
    provider, with a foreign provider in the region, abroad."""
    n = shares.shape[0]
    home = prov_home[None, :] == np.arange(n)[:, None]
    cloud = 1.0 - shares[:, -1]
    out = np.empty((n, 4))
    out[:, 1] = _cloud_where_ref(shares, home)
    out[:, 2] = _cloud_where_ref(shares, ~home & prov_present)
    out[:, 3] = _cloud_where_ref(shares, ~home & ~prov_present)
    out[:, 1:] *= (1.0 - own_infra)[:, None]
    out[:, 0] = own_infra + (1.0 - own_infra) * (1.0 - cloud)
    return out


@numba.njit(cache=True)
def data_location(shares: F8, prov_home: I8, prov_present: B1, own_infra: F8) -> F8:
    """:func:`data_location_ref`, compiled."""
    n, n_p = prov_present.shape
    out = np.empty((n, 4))
    home_w = np.empty(n_p)
    present_w = np.empty(n_p)
    abroad_w = np.empty(n_p)
    for r in range(n):
        for p in range(n_p):
            s = shares[r, p]
            home = prov_home[p] == r
            present = prov_present[r, p]
            home_w[p] = s * (1.0 if home else 0.0)
            present_w[p] = s * (1.0 if not home and present else 0.0)
            abroad_w[p] = s * (1.0 if not home and not present else 0.0)
        rest = 1.0 - own_infra[r]
        out[r, 1] = row_sum(home_w, 0, n_p) * rest
        out[r, 2] = row_sum(present_w, 0, n_p) * rest
        out[r, 3] = row_sum(abroad_w, 0, n_p) * rest
        cloud = 1.0 - shares[r, shares.shape[1] - 1]
        out[r, 0] = own_infra[r] + rest * (1.0 - cloud)
    return out


def capacity_by_region_ref(
    cap: F8, home: I8, rows: I8, offsets: I8, n_regions: int, days: float
) -> F8:
    """Capacity of each good made in each region (good, region): the rows
    ``rows[offsets[g]:offsets[g + 1]]`` of good ``g``, their daily capacity ``cap`` times
    ``days``, added into their ``home`` regions."""
    year = cap * days
    out = np.zeros((offsets.size - 1, n_regions))
    for g in range(offsets.size - 1):
        sup = rows[offsets[g] : offsets[g + 1]]
        np.add.at(out[g], home[sup], year[sup])
    return out


@numba.njit(cache=True)
def capacity_by_region(cap: F8, home: I8, rows: I8, offsets: I8, n_regions: int, days: float) -> F8:
    """:func:`capacity_by_region_ref`, compiled."""
    out = np.zeros((offsets.size - 1, n_regions))
    for g in range(offsets.size - 1):
        for i in range(offsets[g], offsets[g + 1]):
            s = rows[i]
            out[g, home[s]] += cap[s] * days
    return out


def buyer_lead_times_ref(weights: F8, per_designer: F8, cap_max: float) -> F8:
    """Lead time faced by the buyers homed in each region (R,): the designers' lead times
    ``per_designer`` weighted by ``weights`` (R, D), at ``cap_max`` where a region's weights
    are all zero."""
    total = weights.sum(axis=1)
    mean = (weights * per_designer).sum(axis=1) / np.where(total > 0, total, 1.0)
    return np.asarray(np.where(total > 0, np.minimum(mean, cap_max), float(cap_max)))


@numba.njit(cache=True)
def buyer_lead_times(weights: F8, per_designer: F8, cap_max: float) -> F8:
    """:func:`buyer_lead_times_ref`, compiled: for fewer than eight designers, which numpy
    sums left to right."""
    n, n_d = weights.shape
    out = np.empty(n)
    for r in range(n):
        total = 0.0
        top = 0.0
        for d in range(n_d):
            total += weights[r, d]
            top += weights[r, d] * per_designer[d]
        # numpy's sum of fewer than eight elements starts from zero
        total = 0.0 + total
        top = 0.0 + top
        if total > 0:
            out[r] = _fmin(top / total, cap_max)
        else:
            out[r] = float(cap_max)
    return out


def lead_time_readings_ref(
    backlog: F8,
    possible: F8,
    cycle: F8,
    des: I8,
    cap: F8,
    rows: I8,
    offsets: I8,
    litho: int,
    throughput: F8,
    cap_max: float,
    by_provider: B1,
    buyer: I8,
    designer: I8,
    remaining: F8,
    open_: B1,
    n: int,
    prov_home: I8,
    sells: F8,
    allow: F8,
) -> tuple[F8, F8, B1, F8]:
    """The lead times a sample records, in numpy: each designer's quote (a designer that can
    make nothing at the cap), each good's lead time and whether it is capped, and the lead
    time the buyers homed in each region face.

    The designers ``des`` (rows of the chip-row arrays ``cycle``, ``cap`` and
    ``throughput``) can make ``possible`` and have ``backlog`` ahead; ``rows`` and
    ``offsets`` are the upstream goods' suppliers and ``litho`` the lithography tools' good
    among them; ``by_provider`` to ``n`` are the order book's, ``prov_home``, ``sells`` and
    ``allow`` the world's (:func:`ecosim.world.supply.lead_time_readings`).
    """
    quotes = ks.designer_lead_times_ref(backlog, possible, cycle[des], cap_max, True)
    lead, capped = ks.lead_times_ref(
        cap, quotes, possible, backlog, cycle, des, rows, offsets, litho, throughput, cap_max
    )
    weights = ks.buyer_mix_ref(
        by_provider, buyer, designer, remaining, open_, n, prov_home, sells, allow, des, possible
    )
    return quotes, lead, capped, buyer_lead_times_ref(weights, quotes, cap_max)


@numba.njit(cache=True)
def lead_time_readings(
    backlog: F8,
    possible: F8,
    cycle: F8,
    des: I8,
    cap: F8,
    rows: I8,
    offsets: I8,
    litho: int,
    throughput: F8,
    cap_max: float,
    by_provider: B1,
    buyer: I8,
    designer: I8,
    remaining: F8,
    open_: B1,
    n: int,
    prov_home: I8,
    sells: F8,
    allow: F8,
) -> tuple[F8, F8, B1, F8]:
    """:func:`lead_time_readings_ref`, compiled: for fewer than eight designers and fewer
    than eight suppliers of each good, where each compiled rule it calls gives numpy's bits."""
    quotes = ks.designer_lead_times(backlog, possible, cycle[des], cap_max, plain_bool(True))
    lead, capped = ks.lead_times(
        cap, quotes, possible, backlog, cycle, des, rows, offsets, litho, throughput, cap_max
    )
    weights = ks.buyer_mix(
        by_provider, buyer, designer, remaining, open_, n, prov_home, sells, allow, des, possible
    )
    return quotes, lead, capped, buyer_lead_times(weights, quotes, cap_max)


def designer_dependence_ref(fleet: F8, sells: F8) -> F8:
    """Share of each region's chips from each designer (R, D): the rows of ``fleet`` (R, D)
    over their sums, or for a region holding nothing the designers that may sell to it,
    ``sells`` (D, R), over their number."""
    total = fleet.sum(axis=1, keepdims=True)
    fallback = sells.T / np.maximum(sells.T.sum(axis=1, keepdims=True), 1e-300)
    return np.asarray(np.where(total > 0, fleet / np.maximum(total, 1e-300), fallback))


@numba.njit(cache=True)
def designer_dependence(fleet: F8, sells: F8) -> F8:
    """:func:`designer_dependence_ref`, compiled: for fewer than eight designers, which numpy
    sums left to right (a zero's sign does not matter: the sums are only compared with zero
    and held at least ``1e-300``)."""
    n, n_d = fleet.shape
    out = np.empty((n, n_d))
    for r in range(n):
        total = 0.0
        for d in range(n_d):
            total += fleet[r, d]
        if total > 0:
            held = _fmax(total, 1e-300)
            for d in range(n_d):
                out[r, d] = fleet[r, d] / held
        else:
            count = 0.0
            for d in range(n_d):
                count += sells[d, r]
            count = _fmax(count, 1e-300)
            for d in range(n_d):
                out[r, d] = sells[d, r] / count
    return out


def self_sufficiency_ref(cap: F8, stages: I8, bought: F8) -> F8:
    """What each region's chain makes a year, its least stage among ``stages`` of ``cap``
    (stage, region), over what it buys a year ``bought`` (R,); 0 where it buys nothing."""
    made = cap[stages].min(axis=0)
    return np.asarray(np.where(bought > 0, made / np.maximum(bought, 1e-300), 0.0))


@numba.njit(cache=True)
def self_sufficiency(cap: F8, stages: I8, bought: F8) -> F8:
    """:func:`self_sufficiency_ref`, compiled."""
    n = cap.shape[1]
    out = np.empty(n)
    for r in range(n):
        made = cap[stages[0], r]
        for i in range(1, stages.size):
            made = _fmin(made, cap[stages[i], r])
        out[r] = made / _fmax(bought[r], 1e-300) if bought[r] > 0 else 0.0
    return out


def self_sufficiency_at_ref(cap: F8, stages: I8, now: F8, ahead: F8, life: F8, scale: float) -> F8:
    """:func:`self_sufficiency_ref` with the purchases a year worked out from the demand
    ``now`` and a year ``ahead`` (R,): the growth (none if demand falls) plus the
    replacement of hardware at the end of its ``life``, times ``scale``
    (:func:`ecosim.world.capacity.purchases_all`)."""
    bought = np.asarray(np.maximum(ahead - now, 0.0) + now / life) * scale
    return self_sufficiency_ref(cap, stages, bought)


@numba.njit(cache=True)
def self_sufficiency_at(cap: F8, stages: I8, now: F8, ahead: F8, life: F8, scale: float) -> F8:
    """:func:`self_sufficiency_at_ref`, compiled: the purchases element by element as numpy
    works them out, then :func:`self_sufficiency`."""
    bought = np.empty(now.size)
    for r in range(now.size):
        bought[r] = (_fmax(ahead[r] - now[r], 0.0) + now[r] / life[r]) * scale
    return self_sufficiency(cap, stages, bought)


def committed_capex_ref(
    start: F8, source: I8, row: I8, capex: F8, home: I8, t: float, only: int, n_regions: int
) -> F8:
    """Capex of the builds started by day ``t`` in each region (R,): each build's ``capex``
    added to the ``home`` region of its chip ``row``, of builds of source ``only`` (any source
    if ``only`` is negative)."""
    started = start <= t
    if only >= 0:
        started &= source == only
    regions = home[row[started]]
    return np.bincount(regions, weights=capex[started], minlength=n_regions).astype(np.float64)


@numba.njit(cache=True)
def committed_capex(
    start: F8, source: I8, row: I8, capex: F8, home: I8, t: float, only: int, n_regions: int
) -> F8:
    """:func:`committed_capex_ref`, compiled: the builds added in their order, as bincount
    adds them."""
    out = np.zeros(n_regions)
    for i in range(start.size):
        if start[i] <= t and (only < 0 or source[i] == only):
            out[home[row[i]]] += capex[i]
    return out


def add_step_flows_ref(
    jobs: F8,
    lanes: F8,
    arrivals: F8,
    deliveries: F8,
    materials: F8,
    capex: F8,
    jobs_sum: F8,
    arrivals_sum: F8,
    served_sum: F8,
    deliveries_sum: F8,
    materials_sum: F8,
    capex_sum: F8,
) -> None:
    """Add one step's flows to the sums of the recording period, in place: the job queues'
    accumulators ``jobs`` (R, N_OUT) and ``arrivals`` (R,), the work served of each workload's
    lane (``lanes``' served column, (R, W, N_OUT)), ``deliveries``, ``materials`` and
    ``capex`` to the ``*_sum`` of the same shape (``served_sum`` (R, W))."""
    jobs_sum += jobs
    arrivals_sum += arrivals
    served_sum += lanes[:, :, SERVED]
    deliveries_sum += deliveries
    materials_sum += materials
    capex_sum += capex


@numba.njit(cache=True)
def _add_rows(total: F8, values: F8) -> None:
    """``total += values`` of two (R, C) arrays, element by element."""
    for r in range(total.shape[0]):
        for c in range(total.shape[1]):
            total[r, c] += values[r, c]


@numba.njit(cache=True)
def add_step_flows(
    jobs: F8,
    lanes: F8,
    arrivals: F8,
    deliveries: F8,
    materials: F8,
    capex: F8,
    jobs_sum: F8,
    arrivals_sum: F8,
    served_sum: F8,
    deliveries_sum: F8,
    materials_sum: F8,
    capex_sum: F8,
) -> None:
    """:func:`add_step_flows_ref`, compiled: one call instead of six at every step."""
    _add_rows(jobs_sum, jobs)
    _add_rows(deliveries_sum, deliveries)
    _add_rows(materials_sum, materials)
    for r in range(arrivals_sum.shape[0]):
        arrivals_sum[r] += arrivals[r]
        capex_sum[r] += capex[r]
        for k in range(served_sum.shape[1]):
            served_sum[r, k] += lanes[r, k, SERVED]


def close_job_period_ref(
    jobs_sum: F8,
    arrivals_sum: F8,
    requested: F8,
    served: F8,
    abandoned: F8,
    overflow: F8,
    queue_wait: F8,
) -> None:
    """Write the job queues' sums over a recording period into a sample's rows (R,) and zero
    the sums for the next period: the work requested, served and abandoned and the arrivals
    dropped (``jobs_sum``'s columns), and the mean wait of the jobs that arrived (the queue
    area over ``arrivals_sum``, 0 where none arrived)."""
    requested[:] = jobs_sum[:, REQUESTED]
    served[:] = jobs_sum[:, SERVED]
    abandoned[:] = jobs_sum[:, ABANDONED_WORK]
    overflow[:] = jobs_sum[:, OVERFLOW]
    queue_wait[:] = np.where(
        arrivals_sum > 0, jobs_sum[:, QUEUE_AREA] / np.maximum(arrivals_sum, 1), 0.0
    )
    jobs_sum[:] = 0.0
    arrivals_sum[:] = 0.0


@numba.njit(cache=True)
def close_job_period(
    jobs_sum: F8,
    arrivals_sum: F8,
    requested: F8,
    served: F8,
    abandoned: F8,
    overflow: F8,
    queue_wait: F8,
) -> None:
    """:func:`close_job_period_ref`, compiled."""
    for r in range(jobs_sum.shape[0]):
        a = arrivals_sum[r]
        requested[r] = jobs_sum[r, REQUESTED]
        served[r] = jobs_sum[r, SERVED]
        abandoned[r] = jobs_sum[r, ABANDONED_WORK]
        overflow[r] = jobs_sum[r, OVERFLOW]
        queue_wait[r] = jobs_sum[r, QUEUE_AREA] / _fmax(a, 1.0) if a > 0 else 0.0
        for c in range(jobs_sum.shape[1]):
            jobs_sum[r, c] = 0.0
        arrivals_sum[r] = 0.0
