"""The supply chain's per-step arithmetic, compiled: filling the order book, the fabs'
health and material, the chip rows' capacity and throughput, the split of orders fitted to
demand and output, what buyers wait for, and the quoted lead times.

Each runs every world step, or at every order or record, and is a loop of scalar arithmetic
or a dozen numpy calls on arrays of four to twenty-four elements, so the calls cost more than
the arithmetic. The rules are those of :mod:`ecosim.world.supply` and of
:class:`ecosim.world.state.World`'s capacity (documented there); each ``*_ref`` function is
the same in plain Python and numpy, its kernel's twin. The kernels repeat the twins'
arithmetic in their order -- a sum over fewer than eight values adds them left to right, a
sum over the rows of a (rows, columns) array adds the rows one after another, and
``numpy.add.at`` and ``numpy.bincount`` add their items in order, as numpy does -- and
tests hold them equal to the bit. Where numpy would sum eight or more values pairwise the
callers use the twin.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from ecosim.kernels.sums import row_sum

__all__ = [
    "built_capacity",
    "built_capacity_ref",
    "buyer_mix",
    "buyer_mix_ref",
    "capacity",
    "capacity_ref",
    "deliver_materials",
    "deliver_materials_ref",
    "designer_lead_times",
    "designer_lead_times_ref",
    "fab_access_ref",
    "fill_orders",
    "fill_orders_ref",
    "fit_split",
    "fit_split_ref",
    "lead_times",
    "lead_times_ref",
    "materials_health",
    "materials_health_ref",
    "nominal",
    "nominal_ref",
    "route_split",
    "route_split_ref",
    "spread_output",
    "spread_output_ref",
    "step_fabs",
    "step_fabs_ref",
]

F8 = NDArray[np.float64]
I8 = NDArray[np.int64]
B1 = NDArray[np.bool_]


def fill_orders_ref(
    budgets: F8,
    designers: I8,
    quota: F8,
    quota_used: F8,
    by_provider: B1,
    buyer: I8,
    designer: I8,
    quantity: F8,
    remaining: F8,
    open_: B1,
    n: int,
    prov_home: I8,
    backlog: F8,
    delivered_to: F8,
    fleet_designer: F8,
) -> tuple[F8, I8]:
    """Fill the first ``n`` orders of the book, first in, first out, at each designer ``k``
    up to its ``budgets[k]`` H100e; a buyer past its country's quota waits and the next one
    in line is served.

    Writes what is filled into ``remaining`` and ``open_`` (the book's), ``quota_used``,
    ``backlog``, ``delivered_to`` and ``fleet_designer``.

    Returns
    -------
    tuple of numpy.ndarray
        H100e each designer made, and the orders filled, in the order filled.
    """
    produced = np.zeros(designers.size)
    filled: list[int] = []
    for k in range(designers.size):
        budget = float(budgets[k])
        if budget <= 1e-12:
            continue
        queue = np.flatnonzero(open_[:n] & (designer[:n] == k))
        s = int(designers[k])
        at = 0
        while at < queue.size and budget > 1e-12:
            i = int(queue[at])
            b = int(buyer[i])
            home = int(prov_home[b]) if by_provider[i] else b
            room = quota[s, home] - quota_used[s, home]
            take = min(float(remaining[i]), budget, max(room, 0.0))
            if take <= 0.0:
                at += 1
                continue
            remaining[i] -= take
            budget -= take
            produced[k] += take
            backlog[k] -= take
            quota_used[s, home] += take
            delivered_to[home, k] += take
            fleet_designer[home, k] += take
            if remaining[i] <= 1e-9 * max(float(quantity[i]), 1.0):
                open_[i] = False
                at += 1
                filled.append(i)
    return produced, np.array(filled, dtype=np.int64)


@numba.njit(cache=True)
def fill_orders(
    budgets: F8,
    designers: I8,
    quota: F8,
    quota_used: F8,
    by_provider: B1,
    buyer: I8,
    designer: I8,
    quantity: F8,
    remaining: F8,
    open_: B1,
    n: int,
    prov_home: I8,
    backlog: F8,
    delivered_to: F8,
    fleet_designer: F8,
) -> tuple[F8, I8]:
    """:func:`fill_orders_ref`, compiled."""
    produced = np.zeros(designers.size)
    # the open orders, in the book's order: a designer's loop closes only its own, so its
    # queue is its part of them
    waiting = np.empty(n, dtype=np.int64)
    n_waiting = 0
    for i in range(n):
        if open_[i]:
            waiting[n_waiting] = i
            n_waiting += 1
    filled = np.empty(n_waiting, dtype=np.int64)
    n_filled = 0
    queue = np.empty(n_waiting, dtype=np.int64)
    for k in range(designers.size):
        budget = budgets[k]
        if budget <= 1e-12:
            continue
        size = 0
        for j in range(n_waiting):
            i = waiting[j]
            if designer[i] == k:
                queue[size] = i
                size += 1
        s = designers[k]
        at = 0
        while at < size and budget > 1e-12:
            i = queue[at]
            b = buyer[i]
            home = prov_home[b] if by_provider[i] else b
            room = quota[s, home] - quota_used[s, home]
            # Python's min and max: the first of equal values, as the twin takes them
            take = remaining[i]
            if budget < take:
                take = budget
            free = 0.0 if room < 0.0 else room
            if free < take:
                take = free
            if take <= 0.0:
                at += 1
                continue
            remaining[i] -= take
            budget -= take
            produced[k] += take
            backlog[k] -= take
            quota_used[s, home] += take
            delivered_to[home, k] += take
            fleet_designer[home, k] += take
            q = quantity[i]
            if remaining[i] <= 1e-9 * (1.0 if q < 1.0 else q):
                open_[i] = False
                at += 1
                filled[n_filled] = i
                n_filled += 1
    return produced, filled[:n_filled].copy()


def fit_split_ref(x: F8, rows: F8, target: F8, tol: float) -> F8:
    """Scale ``x`` (parts by designers) until its row sums are ``rows`` and its column sums
    ``target`` (Sinkhorn; 200 sweeps at most), stopping once every row is within ``tol``."""
    x = x.copy()
    for _ in range(200):
        r = x.sum(axis=1)
        x *= np.divide(rows, r, out=np.zeros_like(r), where=r > 0)[:, None]
        c = x.sum(axis=0)
        x *= np.divide(target, c, out=np.ones_like(c), where=c > 0)[None, :]
        if float(np.abs(x.sum(axis=1) - rows).max()) <= tol:
            break
    return x


@numba.njit(cache=True)
def fit_split(x: F8, rows: F8, target: F8, tol: float) -> F8:
    """:func:`fit_split_ref`, compiled; for two to seven designers (a row's sum is then
    numpy's left-to-right one, and a column's adds the rows one after another: with one
    designer numpy sums the column pairwise)."""
    x = x.copy()
    n_r, n_c = x.shape
    c = np.empty(n_c)
    for _ in range(200):
        for i in range(n_r):
            r = 0.0
            for j in range(n_c):
                r += x[i, j]
            f = rows[i] / r if r > 0 else 0.0
            for j in range(n_c):
                x[i, j] *= f
        # the rows added one after another, as numpy sums a C-ordered array over axis 0
        for j in range(n_c):
            c[j] = x[0, j]
        for i in range(1, n_r):
            for j in range(n_c):
                c[j] += x[i, j]
        for j in range(n_c):
            f = target[j] / c[j] if c[j] > 0 else 1.0
            for i in range(n_r):
                x[i, j] *= f
        worst = 0.0
        for i in range(n_r):
            r = 0.0
            for j in range(n_c):
                r += x[i, j]
            gap = abs(r - rows[i])
            if gap > worst or gap != gap:
                worst = gap
        if worst <= tol:
            break
    return x


def fab_access_ref(nominal: F8, sources: I8, fabs: I8, homes: I8, allow: F8) -> F8:
    """Share of what they need from the ``sources`` each of the ``fabs`` (homed in
    ``homes``) may get: each source by its share of the sources' ``nominal`` capacity, times
    the share it may send to the fab's home (no region making its own chain)."""
    cap = nominal[sources]
    if cap.sum() <= 0.0:
        return np.zeros(fabs.size)
    return np.asarray((allow[sources][:, homes] * cap[:, None]).sum(0) / cap.sum())


@numba.njit(cache=True)
def _fab_access(nominal: F8, sources: I8, fabs: I8, homes: I8, allow: F8) -> F8:
    """:func:`fab_access_ref`, compiled: fewer than eight sources, summed left to right."""
    total = 0.0
    for s in sources:
        total += nominal[s]
    out = np.zeros(fabs.size)
    if total <= 0.0:
        return out
    for j in range(fabs.size):
        acc = 0.0
        for i in range(sources.size):
            s = sources[i]
            acc += allow[s, homes[j]] * nominal[s]
        out[j] = acc / total
    return out


def step_fabs_ref(
    nominal: F8,
    allow: F8,
    litho: I8,
    mats: I8,
    fabs: I8,
    homes: I8,
    decay: float,
    dt: float,
    litho_factor: F8,
    stock: F8,
    target: F8,
    refill: F8,
    factor: F8,
    bought: F8,
) -> None:
    """The fabs' step: their health ``litho_factor`` drifts toward their tool access by
    ``decay``, and their stock of restricted material is drawn and bought over ``dt`` days
    (:func:`ecosim.world.supply.step_supply` and ``_step_materials``): writes
    ``litho_factor``, ``stock``, ``factor`` and ``bought`` at the fabs."""
    if litho.size and fabs.size:
        access = fab_access_ref(nominal, litho, fabs, homes, allow)
        litho_factor[fabs] = access + (litho_factor[fabs] - access) * decay
    if not mats.size or not fabs.size:
        return
    access = np.clip(fab_access_ref(nominal, mats, fabs, homes, allow), 0.0, 1.0)
    short = 1.0 - access
    held = stock[fabs]
    drawn = np.minimum(short * dt, held)
    free = short <= 0.0
    room = np.maximum(target[fabs] - held, 0.0)
    buy = np.where(free, np.minimum(refill[fabs] * dt, room), 0.0)
    stock[fabs] = np.maximum(held - drawn, 0.0) + buy
    factor[fabs] = np.clip(access + drawn / dt, 0.0, 1.0)
    bought[fabs] = buy


@numba.njit(cache=True)
def _minimum(a: float, b: float) -> float:
    # numpy's: NaN if either is
    if a != a or b != b:
        return a + b
    return a if a <= b else b


@numba.njit(cache=True)
def _maximum(a: float, b: float) -> float:
    if a != a or b != b:
        return a + b
    return a if a >= b else b


@numba.njit(cache=True)
def step_fabs(
    nominal: F8,
    allow: F8,
    litho: I8,
    mats: I8,
    fabs: I8,
    homes: I8,
    decay: float,
    dt: float,
    litho_factor: F8,
    stock: F8,
    target: F8,
    refill: F8,
    factor: F8,
    bought: F8,
) -> None:
    """:func:`step_fabs_ref`, compiled; for fewer than eight lithography and materials
    suppliers each (their capacity is then summed left to right, as numpy does)."""
    if litho.size and fabs.size:
        access = _fab_access(nominal, litho, fabs, homes, allow)
        for j in range(fabs.size):
            f = fabs[j]
            litho_factor[f] = access[j] + (litho_factor[f] - access[j]) * decay
    if not mats.size or not fabs.size:
        return
    access = _fab_access(nominal, mats, fabs, homes, allow)
    for j in range(fabs.size):
        f = fabs[j]
        a = _minimum(_maximum(access[j], 0.0), 1.0)
        short = 1.0 - a
        held = stock[f]
        drawn = _minimum(short * dt, held)
        room = _maximum(target[f] - held, 0.0)
        buy = _minimum(refill[f] * dt, room) if short <= 0.0 else 0.0
        stock[f] = _maximum(held - drawn, 0.0) + buy
        factor[f] = _minimum(_maximum(a + drawn / dt, 0.0), 1.0)
        bought[f] = buy


def deliver_materials_ref(
    nominal: F8,
    allow: F8,
    mats: I8,
    fabs: I8,
    homes: I8,
    use: F8,
    dt: float,
    source: F8,
    bought: F8,
    delivered: F8,
) -> None:
    """Add to ``delivered`` (region, materials supplier) the material each fab, homed in
    ``homes``, receives over ``dt`` days at its full ``use`` (H100e/day): each supplier's
    share of it by ``nominal`` capacity as far as it may serve the fab's home, plus its part
    ``source`` of the stock the fab ``bought`` (``_deliver_materials``)."""
    cap = nominal[mats]
    flow = (cap / cap.sum())[:, None] * allow[mats][:, homes] * (use * dt)[None, :]
    flow += source[:, homes] * (bought[fabs] * use)[None, :]
    np.add.at(delivered, homes, flow.T)


@numba.njit(cache=True)
def deliver_materials(
    nominal: F8,
    allow: F8,
    mats: I8,
    fabs: I8,
    homes: I8,
    use: F8,
    dt: float,
    source: F8,
    bought: F8,
    delivered: F8,
) -> None:
    """:func:`deliver_materials_ref`, compiled; for fewer than eight materials suppliers
    (their capacity is then summed left to right, as numpy does)."""
    total = 0.0
    for m in mats:
        total += nominal[m]
    # numpy.add.at adds the fabs' rows one after another, in the fabs' order
    for j in range(fabs.size):
        h = homes[j]
        for i in range(mats.size):
            m = mats[i]
            flow = nominal[m] / total * allow[m, h] * (use[j] * dt)
            flow += source[i, h] * (bought[fabs[j]] * use[j])
            delivered[h, i] += flow


def buyer_mix_ref(
    by_provider: B1,
    buyer: I8,
    designer: I8,
    remaining: F8,
    open_: B1,
    n: int,
    prov_home: I8,
    sells: F8,
    allow: F8,
    designers: I8,
    output: F8,
) -> F8:
    """How the buyers homed in each region spread over the designers (R, D), unnormalised
    (:func:`ecosim.world.supply.buyer_mix`): what the first ``n`` orders of the book still
    wait for at each designer, or, for a region waiting for nothing, the share of each
    designer's flow that may be sold to it times its ``output`` (the share alone where
    that is nothing everywhere)."""
    waiting = open_[:n]
    buyer = buyer[:n]
    # a provider's orders are its home region's
    homes = buyer.copy()
    provider = by_provider[:n]
    homes[provider] = prov_home[buyer[provider]]
    weights = np.zeros((sells.shape[1], designers.size))
    np.add.at(weights, (homes[waiting], designer[:n][waiting]), remaining[:n][waiting])
    open_to = sells.T * allow[designers].T  # (region, designer) share that may be sold
    # by what each may make: a designer with nothing to make yet (a chain being built) counts
    # only for a region that may buy from nothing else
    making = open_to * output[None, :]
    open_to = np.where(making.sum(axis=1, keepdims=True) > 0, making, open_to)
    waits = weights.sum(axis=1) > 0
    weights[~waits] = open_to[~waits]
    return weights


@numba.njit(cache=True)
def buyer_mix(
    by_provider: B1,
    buyer: I8,
    designer: I8,
    remaining: F8,
    open_: B1,
    n: int,
    prov_home: I8,
    sells: F8,
    allow: F8,
    designers: I8,
    output: F8,
) -> F8:
    """:func:`buyer_mix_ref`, compiled. Its sums are only compared with zero, and their terms
    are never negative (what orders still wait for, shares, output), so their order does
    not matter."""
    n_r = sells.shape[1]
    n_d = designers.size
    weights = np.zeros((n_r, n_d))
    # numpy.add.at adds the orders one after another, in the book's order
    for i in range(n):
        if open_[i]:
            b = buyer[i]
            h = prov_home[b] if by_provider[i] else b
            weights[h, designer[i]] += remaining[i]
    for r in range(n_r):
        total = 0.0
        for d in range(n_d):
            total += weights[r, d]
        if total > 0:
            continue
        making = 0.0
        for d in range(n_d):
            making += sells[d, r] * allow[designers[d], r] * output[d]
        for d in range(n_d):
            share = sells[d, r] * allow[designers[d], r]
            weights[r, d] = share * output[d] if making > 0 else share
    return weights


def designer_lead_times_ref(
    backlog: F8, rate: F8, cycle: F8, cap_max: float, idle_at_cap: bool
) -> F8:
    """The lead time each designer quotes (:func:`ecosim.world.supply.designer_lead_times`):
    its ``cycle`` plus its ``backlog`` over its ``rate``, capped at ``cap_max``."""
    backlog = np.maximum(backlog, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        wait = np.where(rate > 0, backlog / rate, np.inf)
    if not idle_at_cap:
        wait = np.where(backlog > 0, wait, 0.0)
    return np.asarray(np.minimum(cycle + wait, cap_max))


@numba.njit(cache=True)
def designer_lead_times(backlog: F8, rate: F8, cycle: F8, cap_max: float, idle_at_cap: bool) -> F8:
    """:func:`designer_lead_times_ref`, compiled."""
    out = np.empty(rate.size)
    for d in range(rate.size):
        b = _maximum(backlog[d], 0.0)
        wait = b / rate[d] if rate[d] > 0 else np.inf
        if not idle_at_cap and not b > 0:
            wait = 0.0
        out[d] = _minimum(cycle[d] + wait, cap_max)
    return out


def spread_output_ref(
    produced: F8,
    dt: float,
    designers: I8,
    rows: I8,
    offsets: I8,
    capacity: F8,
    throughput: F8,
    delivered_total: F8,
) -> bool:
    """Add what the designers ``produced`` over ``dt`` days to ``delivered_total``, and set
    each chip row's ``throughput`` (H100e/day): the designers' rate, and for each upstream
    good (its suppliers ``rows[offsets[g]:offsets[g + 1]]``) that rate split by the
    suppliers' ``capacity``; a good no supplier of which has capacity keeps its rows at 0.
    Returns True (done)."""
    delivered_total += produced
    rate = produced / dt
    throughput[:] = 0.0
    throughput[designers] = rate
    used = rate.sum()
    for g in range(offsets.size - 1):
        sup = rows[offsets[g] : offsets[g + 1]]
        cap = capacity[sup]
        if sup.size and cap.sum() > 0:
            throughput[sup] = used * cap / cap.sum()
    return True


@numba.njit(cache=True)
def spread_output(
    produced: F8,
    dt: float,
    designers: I8,
    rows: I8,
    offsets: I8,
    capacity: F8,
    throughput: F8,
    delivered_total: F8,
) -> bool:
    """:func:`spread_output_ref`, compiled, where there are fewer than eight designers and
    fewer than eight suppliers of each good (numpy then sums them left to right); else it
    writes nothing and returns False, for the twin to do it."""
    if designers.size >= 8:
        return False
    for g in range(offsets.size - 1):
        if offsets[g + 1] - offsets[g] >= 8:
            return False
    used = 0.0
    for d in range(designers.size):
        delivered_total[d] += produced[d]
    throughput[:] = 0.0
    for d in range(designers.size):
        rate = produced[d] / dt
        throughput[designers[d]] = rate
        used += rate
    for g in range(offsets.size - 1):
        total = 0.0
        for i in range(offsets[g], offsets[g + 1]):
            total += capacity[rows[i]]
        if offsets[g + 1] > offsets[g] and total > 0:
            for i in range(offsets[g], offsets[g + 1]):
                throughput[rows[i]] = used * capacity[rows[i]] / total
    return True


def capacity_ref(
    nominal: F8, litho: F8, factor: F8, at_risk: F8, disruption: F8, days: float
) -> F8:
    """Capacity of each chip row (H100e/day): ``nominal`` (H100e/yr) over ``days``, less
    ``disruption``, times its health: ``litho`` times :func:`materials_health_ref`
    (:meth:`ecosim.world.state.World.chip_capacity`)."""
    health = litho * materials_health_ref(factor, at_risk)
    return np.asarray(nominal / days * (1.0 - disruption) * health)


def materials_health_ref(factor: F8, at_risk: F8) -> F8:
    """Share of its output each chip row can make with the share ``factor`` of its material
    it has, of which a share ``at_risk`` of its output depends (all of it where NaN):
    ``1 - d (1 - h)``, written as ``h + (1 - d)(1 - h)`` so that ``d = 1`` gives ``h`` to
    the last bit (:meth:`ecosim.world.state.World.materials_health`)."""
    h, d = factor, at_risk
    return np.asarray(np.where(np.isnan(d), h, np.minimum(h + (1.0 - d) * (1.0 - h), 1.0)))


@numba.njit(cache=True)
def capacity(nominal: F8, litho: F8, factor: F8, at_risk: F8, disruption: F8, days: float) -> F8:
    """:func:`capacity_ref`, compiled."""
    health = materials_health(factor, at_risk)
    out = np.empty(nominal.size)
    for s in range(nominal.size):
        out[s] = nominal[s] / days * (1.0 - disruption[s]) * (litho[s] * health[s])
    return out


@numba.njit(cache=True)
def materials_health(factor: F8, at_risk: F8) -> F8:
    """:func:`materials_health_ref`, compiled."""
    out = np.empty(factor.size)
    for s in range(factor.size):
        h = factor[s]
        d = at_risk[s]
        out[s] = h if d != d else _minimum(h + (1.0 - d) * (1.0 - h), 1.0)
    return out


def _mean_ref(x: F8, weights: F8) -> float:
    return float((x * weights).sum() / weights.sum())


def lead_times_ref(
    cap: F8,
    quotes: F8,
    possible: F8,
    backlog: F8,
    cycle: F8,
    des: I8,
    rows: I8,
    offsets: I8,
    litho: int,
    throughput: F8,
    cap_max: float,
) -> tuple[F8, NDArray[np.bool_]]:
    """Lead time of the accelerators and of each upstream good (its suppliers
    ``rows[offsets[g]:offsets[g + 1]]``, the first the wafer fabs, good ``litho`` the
    lithography tools), and where it is capped (:func:`ecosim.world.supply.lead_times`)."""
    out = np.zeros(offsets.size)
    if possible.sum() > 0:
        out[0] = _mean_ref(quotes, possible)
    else:
        out[0] = np.inf if np.maximum(backlog, 0.0).sum() > 0 else float(quotes.min())
    mean_cycle = _mean_ref(cycle[des], np.maximum(cap[des], 1e-12))
    wait = max(out[0] - mean_cycle, 0.0)
    fabs = rows[offsets[0] : offsets[1]]
    utils = np.zeros(offsets.size)
    cycles = np.zeros(offsets.size)
    present = np.zeros(offsets.size, dtype=bool)
    for g in range(offsets.size - 1):
        sup = rows[offsets[g] : offsets[g + 1]]
        if sup.size == 0:
            continue
        i = g + 1
        present[i] = True
        if g == litho:
            # tools sustain fab output: utilisation is fab capacity over what tools can support
            utils[i] = cap[fabs].sum() / max(cap[sup].sum(), 1e-12) if fabs.size else 0.0
        else:
            utils[i] = throughput[sup].sum() / max(cap[sup].sum(), 1e-12)
        cycles[i] = _mean_ref(cycle[sup], np.maximum(cap[sup], 1e-12))
    top = max(float(utils.max()), 1e-12)
    for k in np.flatnonzero(present):
        share = min(utils[k] / top, 1.0)
        out[k] = cycles[k] + (wait * share if share > 0 else 0.0)
    flag = out >= cap_max
    return np.minimum(out, cap_max), flag


@numba.njit(cache=True)
def _py_max(a: float, b: float) -> float:
    # Python's max(a, b): a unless b is greater
    return b if b > a else a


@numba.njit(cache=True)
def _py_min(a: float, b: float) -> float:
    # Python's min(a, b): a unless b is less
    return b if b < a else a


@numba.njit(cache=True)
def _weighted_mean(x: F8, weights: F8, at: I8) -> float:
    # (x * w).sum() / w.sum() over the rows ``at``, w floored at 1e-12, left to right
    top = 0.0
    bottom = 0.0
    for s in at:
        w = _maximum(weights[s], 1e-12)
        top += x[s] * w
        bottom += w
    return top / bottom


@numba.njit(cache=True)
def lead_times(
    cap: F8,
    quotes: F8,
    possible: F8,
    backlog: F8,
    cycle: F8,
    des: I8,
    rows: I8,
    offsets: I8,
    litho: int,
    throughput: F8,
    cap_max: float,
) -> tuple[F8, NDArray[np.bool_]]:
    """:func:`lead_times_ref`, compiled; for fewer than eight designers and fewer than eight
    suppliers of each good (numpy then sums them left to right)."""
    n_out = offsets.size
    out = np.zeros(n_out)
    made = 0.0
    for d in range(des.size):
        made += possible[d]
    if made > 0:
        top = 0.0
        for d in range(des.size):
            top += quotes[d] * possible[d]
        out[0] = top / made
    else:
        waiting = 0.0
        for d in range(backlog.size):
            waiting += _maximum(backlog[d], 0.0)
        out[0] = np.inf if waiting > 0 else quotes.min()
    wait = _py_max(out[0] - _weighted_mean(cycle, cap, des), 0.0)
    utils = np.zeros(n_out)
    cycles = np.zeros(n_out)
    present = np.zeros(n_out, dtype=np.bool_)
    for g in range(n_out - 1):
        sup = rows[offsets[g] : offsets[g + 1]]
        if sup.size == 0:
            continue
        i = g + 1
        present[i] = True
        supplied = 0.0
        for s in sup:
            supplied += cap[s]
        if g == litho:
            n_fabs = offsets[1] - offsets[0]
            fabs_cap = 0.0
            for j in range(offsets[0], offsets[1]):
                fabs_cap += cap[rows[j]]
            utils[i] = fabs_cap / _py_max(supplied, 1e-12) if n_fabs else 0.0
        else:
            used = 0.0
            for s in sup:
                used += throughput[s]
            utils[i] = used / _py_max(supplied, 1e-12)
        cycles[i] = _weighted_mean(cycle, cap, sup)
    top = _py_max(utils.max(), 1e-12)
    flag = np.zeros(n_out, dtype=np.bool_)
    for g in range(n_out):
        if present[g]:
            share = _py_min(utils[g] / top, 1.0)
            out[g] = cycles[g] + (wait * share if share > 0 else 0.0)
        flag[g] = out[g] >= cap_max
        out[g] = _minimum(out[g], cap_max)
    return out, flag


def built_capacity_ref(
    t: float, size: F8, online: F8, ramp: F8, row: I8, moves: B1, owner: I8, n: int
) -> tuple[F8, F8]:
    """What builds add to each of ``n`` chip rows at day ``t``, and what they move out of
    it (H100e/yr) (what :func:`nominal` adds to the trend): a build of ``size`` at
    ``row`` gives nothing before ``online``, then climbs linearly over ``ramp`` days; one
    that ``moves`` takes its output out of its row's ``owner``'s row."""
    made = size * np.clip((t - online) / np.maximum(ramp, 1e-9), 0.0, 1.0)
    made = np.where(t >= online, made, 0.0)
    built = np.bincount(row, weights=made, minlength=n)
    moved = np.bincount(owner[row[moves]], weights=made[moves], minlength=n)
    return built.astype(np.float64), moved.astype(np.float64)


@numba.njit(cache=True)
def built_capacity(
    t: float, size: F8, online: F8, ramp: F8, row: I8, moves: B1, owner: I8, n: int
) -> tuple[F8, F8]:
    """:func:`built_capacity_ref`, compiled: numpy.bincount adds the builds one after
    another, in their order."""
    built = np.zeros(n)
    moved = np.zeros(n)
    for i in range(size.size):
        climb = _minimum(_maximum((t - online[i]) / _maximum(ramp[i], 1e-9), 0.0), 1.0)
        made = size[i] * climb if t >= online[i] else 0.0
        built[row[i]] += made
        if moves[i]:
            moved[owner[row[i]]] += made
    return built, moved


def nominal_ref(
    cap0: F8,
    factor: F8,
    t: float,
    size: F8,
    online: F8,
    ramp: F8,
    row: I8,
    moves: B1,
    owner: I8,
) -> F8:
    """Capacity of each chip row at day ``t`` before disruptions and health (H100e/yr)
    (:meth:`ecosim.world.state.World.chip_nominal`): its initial ``cap0`` grown by its
    ``factor``, less what builds move out of it, plus what they add
    (:func:`built_capacity_ref`)."""
    built, moved = built_capacity_ref(t, size, online, ramp, row, moves, owner, cap0.size)
    return np.asarray(np.maximum(cap0 * factor - moved, 0.0) + built)


@numba.njit(cache=True)
def nominal(
    cap0: F8,
    factor: F8,
    t: float,
    size: F8,
    online: F8,
    ramp: F8,
    row: I8,
    moves: B1,
    owner: I8,
) -> F8:
    """:func:`nominal_ref`, compiled, element by element."""
    built, moved = built_capacity(t, size, online, ramp, row, moves, owner, cap0.size)
    out = np.empty(cap0.size)
    for s in range(cap0.size):
        out[s] = _maximum(cap0[s] * factor[s] - moved[s], 0.0) + built[s]
    return out


def route_split_ref(
    parts: F8,
    quotes: F8,
    possible: F8,
    chip_cycle: F8,
    allow: F8,
    sells: F8,
    native: F8,
    designers: I8,
    home: int,
    free_only: bool,
) -> F8:
    """Share of an order from a buyer homed in ``home`` going to each designer
    (:func:`ecosim.world.supply.route_split`), from its parts' splits ``parts`` (2, D; the
    portable part, then the rest): the portable part leans toward the designers with the
    shorter ``quotes``, and what a control blocks moves to the designers fully open to the
    buyer that run the part's work (by the part's split, else by ``possible``), or to them
    alone with ``free_only``."""
    parts = parts.copy()
    allow = allow[designers, home]
    if parts[0].sum() > 0:
        cycle = chip_cycle[designers]
        wait = np.maximum(quotes - cycle, 0.0)
        served = parts[0] > 0
        lean = parts[0] * (cycle + np.min(wait[served])) / np.maximum(cycle + wait, 1e-9)
        parts[0] = lean * parts[0].sum() / lean.sum() if lean.sum() > 0 else parts[0]
    open_to = (allow >= 1.0) & (sells[:, home] > 0)
    runs = (np.ones_like(allow), native[:, home])
    out = np.zeros_like(allow)
    for base, can_run in zip(parts, runs, strict=True):
        share = base.sum()
        if share <= 0:
            continue
        free = open_to & (can_run > 0)
        kept = base * (0.0 if free_only else allow)
        kept[free] = 0.0 if free_only else base[free]
        moved = share - kept.sum()
        # substitutes take the moved share as they take the part, or by what they make
        sub = base * free
        if not sub.sum() > 0:
            sub = possible * free
        if sub.sum() > 0:
            kept = kept + moved * sub / sub.sum()
        out += kept
    return np.asarray(out)


@numba.njit(cache=True)
def route_split(
    parts: F8,
    quotes: F8,
    possible: F8,
    chip_cycle: F8,
    allow: F8,
    sells: F8,
    native: F8,
    designers: I8,
    home: int,
    free_only: bool,
) -> F8:
    """:func:`route_split_ref`, compiled: its sums are numpy's (:func:`row_sum`), its minima
    and maxima numpy's, NaN included."""
    n = designers.size
    base = np.empty((2, n))
    cycle = np.empty(n)
    share = np.empty(n)
    for d in range(n):
        base[0, d] = parts[0, d]
        base[1, d] = parts[1, d]
        cycle[d] = chip_cycle[designers[d]]
        share[d] = allow[designers[d], home]
    first = base[0]
    total = row_sum(first, 0, n)
    if total > 0:
        lowest = 0.0
        found = False
        for d in range(n):
            if first[d] > 0:
                w = _maximum(quotes[d] - cycle[d], 0.0)
                lowest = _minimum(lowest, w) if found else w
                found = True
        lean = np.empty(n)
        for d in range(n):
            wait = _maximum(quotes[d] - cycle[d], 0.0)
            lean[d] = first[d] * (cycle[d] + lowest) / _maximum(cycle[d] + wait, 1e-9)
        leaned = row_sum(lean, 0, n)
        if leaned > 0:
            for d in range(n):
                first[d] = lean[d] * total / leaned
    out = np.zeros(n)
    kept = np.empty(n)
    sub = np.empty(n)
    free = np.empty(n, dtype=np.bool_)
    for p in range(2):
        part = base[p]
        whole = row_sum(part, 0, n)
        if whole <= 0:
            continue
        for d in range(n):
            # fully open to the buyer, and running the part's work (any chips the portable)
            free[d] = share[d] >= 1.0 and sells[d, home] > 0 and (p == 0 or native[d, home] > 0)
            if free[d]:
                kept[d] = 0.0 if free_only else part[d]
            else:
                kept[d] = part[d] * (0.0 if free_only else share[d])
            sub[d] = part[d] * (1.0 if free[d] else 0.0)
        moved = whole - row_sum(kept, 0, n)
        if not row_sum(sub, 0, n) > 0:
            for d in range(n):
                sub[d] = possible[d] * (1.0 if free[d] else 0.0)
        spread = row_sum(sub, 0, n)
        if spread > 0:
            for d in range(n):
                kept[d] = kept[d] + moved * sub[d] / spread
        for d in range(n):
            out[d] += kept[d]
    return out
