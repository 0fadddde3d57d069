"""The accelerator supply chain: upstream capacity, designers' output, orders, lead times.

Every stage speaks H100e: a designer's output needs one unit of each upstream good (wafers,
HBM, packaging) per H100e. Each upstream supplier splits its capacity over the designers it may
serve (an export control removes a flow, but for its compliant share), so a designer's output
is the least of its own capacity and what it gets of each upstream good. Output fills orders
first in, first out. Lithography does not limit output directly: a foundry cut off from tools
loses servicing, and its health ``litho_factor`` drifts toward its tool access over years.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from ecosim.core.units import DAYS_PER_YEAR
from ecosim.kernels import chain
from ecosim.kernels import materials as materials_kernels
from ecosim.kernels import record as kernels_record
from ecosim.kernels import supply as supply_kernels
from ecosim.scenario.models import UPSTREAM_GOODS
from ecosim.world.state import World

#: Goods whose lead time the recorder reports, in this order.
LEAD_GOODS: tuple[str, ...] = ("accelerator", "wafer", "hbm", "packaging", "lithography")


def designer_output(w: World, t: float) -> np.ndarray:
    """Possible output of each designer (H100e/day) given upstream supply at day ``t``."""
    # asked for several times a step (supply, quotes, prices, the recorder) with the same
    # inputs: kept for them, keyed on everything it reads that can change in a run (the
    # capacity by what it is computed from, which is cheaper than computing it)
    cap_key = w.capacity_key(t)
    key = (cap_key, w.allow.tobytes(), w.imports_stopped.tobytes())
    if w.output_memo.key == key:
        return w.output_memo.value.copy()
    out = _designer_output(w, w.chip_capacity(t, cap_key))
    w.output_memo.keep(key, out.copy())
    return out


def _designer_output(w: World, cap: np.ndarray) -> np.ndarray:
    des = w.designers
    rows, offsets = w.rows_of_goods(UPSTREAM_GOODS)
    args = (cap, des, w.chip_home[des], rows, offsets, w.allow, _home_first(w, rows, offsets))
    # compiled, to the bit (kernels/chain.py), for fewer than eight designers, as numpy then
    # sums over them left to right
    fn = chain.designer_output if des.size < 8 else chain.designer_output_ref
    return np.asarray(fn(*args, w.chip_home))


#: :func:`_home_first`'s answers (read-only), by what they are read from: asked for whenever
#: the designers' output is, they move only when a control or a stop on imports does.
_FIRST: dict[bytes, np.ndarray] = {}


def _home_first(w: World, rows: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Which upstream ``rows`` (goods by ``offsets``) serve their home's designers first
    (:func:`home_first`; read-only)."""
    key = b"".join(a.tobytes() for a in (w.allow, w.imports_stopped, w.chip_home, rows, offsets))
    known = _FIRST.get(key)
    if known is None:
        known = np.zeros(rows.size, dtype=bool)
        for g in range(offsets.size - 1):
            sup = rows[offsets[g] : offsets[g + 1]]
            if sup.size:
                known[offsets[g] : offsets[g + 1]] = home_first(w, sup)
        known.setflags(write=False)
        if len(_FIRST) >= 16:  # a run and its twin, each with a few states of its controls
            _FIRST.clear()
        _FIRST[key] = known
    return known


def home_first(w: World, sup: np.ndarray) -> np.ndarray:
    """Which suppliers ``sup`` of one upstream good serve their home region's designers first.

    A supplier homed in a region that makes its own chain (stopped imports), or whose
    designers a control cuts off from a foreign supplier of the good: cut off from abroad,
    a region's own wafer fabs and memory makers supply its own designers before anyone else
    (SMIC and CXMT make Huawei's dies and memory, not NVIDIA's). Split by capacity alone,
    China's memory makers sent nearly all of their HBM to NVIDIA's far larger capacity after
    the baseline's controls, and Huawei assembled at a quarter of its capacity for want of
    memory its own country makes.
    """
    homes = w.chip_home[sup]
    foreign = homes[None, :] != np.arange(w.n_regions)[:, None]  # (region, supplier)
    cut = ((w.allow[sup].T < 1.0) & foreign).any(axis=1)  # (region,)
    # (a supplier barred from its own home, as under an embargo on everything, serves no one
    # there first)
    return np.asarray((w.imports_stopped[homes] | cut[homes]) & (w.allow[sup, homes] > 0.0))


def start_fleets(w: World) -> None:
    """Each region's buyers' chips at the start, by designer: the capacity its own sites and
    its cloud need stand for, split as the region would buy it at the start."""
    possible = designer_output(w, 0.0)
    held = w.own_cap + w.cloud_need
    w.fleet_designer = np.zeros((w.n_regions, w.designers.size))
    for r in range(w.n_regions):
        split = base_split(w, r, possible)
        if split.sum() > 0:
            w.fleet_designer[r] = held[r] * split / split.sum()


def designer_dependence(w: World) -> np.ndarray:
    """Share of each region's buyers' chips from each designer (R, D); rows sum to one (a
    region holding nothing is spread over the designers that may sell to it)."""
    fleet = w.fleet_designer
    total = fleet.sum(axis=1, keepdims=True)
    fallback = w.sells.T / np.maximum(w.sells.T.sum(axis=1, keepdims=True), 1e-300)
    return np.asarray(np.where(total > 0, fleet / np.maximum(total, 1e-300), fallback))


def step_supply(w: World, t0: float, t1: float, on_delivery: Callable[[int], None]) -> None:
    """Produce over ``[t0, t1)`` and fill orders; call ``on_delivery`` with each filled order's
    index in ``w.orders``, in the order filled."""
    dt = t1 - t0
    if dt <= 0:
        return
    # the chips held retire over the region's hardware life, and fab health drifts toward
    # tool access (exact exponential steps): both factors kept for the step's length
    retire, decay = _decays(w, dt)
    w.fleet_designer *= retire
    litho = w.rows_of_good("lithography")
    fabs = w.rows_of_good("wafer")
    homes = w.chip_home[fabs]
    stopped = w.imports_stopped
    if (
        litho.size < 8
        and w.materials.size < 8
        # the fabs' homes only if need be (counting the stops is a direct call, .any() a
        # Python wrapper around a reduction)
        and not (np.count_nonzero(stopped) and stopped[homes].any())
    ):
        # compiled, to the bit (kernels/supply.py): with fewer than eight suppliers of tools
        # and of material numpy sums their capacity left to right; no region makes its own
        bought = np.zeros(len(w.chip))
        supply_kernels.step_fabs(
            w.nominal_now(w.t),
            w.allow,
            litho,
            w.materials,
            fabs,
            homes,
            decay,
            dt,
            w.litho_factor,
            w.materials_stock,
            w.materials_target,
            w.materials_refill,
            w.materials_factor,
            bought,
        )
    else:
        if litho.size and fabs.size:
            access = fab_access(w, litho, fabs)
            w.litho_factor[fabs] = access + (w.litho_factor[fabs] - access) * decay
        bought = _step_materials(w, dt)
    possible = designer_output(w, t0)
    year = int(t0 // DAYS_PER_YEAR)
    if year != w.quota_year:  # country quotas are per calendar year of the run
        w.quota_year = year
        w.quota_used[:] = 0.0
    book = w.orders
    # compiled (kernels/supply.py); the buyers told after, in the order filled, as what they
    # do on delivery reads nothing the filling writes
    produced, filled = supply_kernels.fill_orders(
        possible * dt,
        w.designers,
        w.quota,
        w.quota_used,
        book.by_provider,
        book.buyer,
        book.designer,
        book.quantity,
        book.remaining,
        book.open,
        book.n,
        w.prov_home,
        w.backlog,
        w.delivered_to,
        w.fleet_designer,
    )
    for i in filled:
        on_delivery(int(i))
    # what the designers' output was read from: nothing since has changed it
    capacity = w.chip_capacity(t0)
    rows, offsets = w.rows_of_goods(UPSTREAM_GOODS)
    spread = (produced, dt, w.designers, rows, offsets, capacity, w.throughput, w.delivered_total)
    # compiled where numpy sums the designers and each good's suppliers left to right
    if not supply_kernels.spread_output(*spread):
        supply_kernels.spread_output_ref(*spread)
    _deliver_materials(w, t0, dt, bought, capacity)


#: :func:`_decays`' factors, by (step length, the regions' site lives, the tools' wear).
_DECAYS: dict[tuple[float, bytes, float], tuple[np.ndarray, float]] = {}


def _decays(w: World, dt: float) -> tuple[np.ndarray, float]:
    """What is left after ``dt`` days of each region's chips (R, 1; read-only) over its
    hardware life, and of a fab's gap to its tool access at the tools' wear.

    Asked at every step, nearly always for a day: kept for the step's length and the lives
    and wear they are computed from, in the same numpy arithmetic.
    """
    life = w.params.life_years
    wear = w.scenario.uncertainties.supply.lithography_wear_per_year
    key = (dt, life.tobytes(), wear)
    known = _DECAYS.get(key)
    if known is None:
        retire = np.exp(-dt / (life * DAYS_PER_YEAR))[:, None]
        retire.setflags(write=False)
        known = (retire, np.exp(-wear * dt / DAYS_PER_YEAR))
        if len(_DECAYS) >= 16:  # a run steps by a day, and by less up to its events
            _DECAYS.clear()
        _DECAYS[key] = known
    return known


def fab_access(w: World, sources: np.ndarray, fabs: np.ndarray) -> np.ndarray:
    """Share of what they need from the ``sources`` each of the ``fabs`` may get.

    Each source serves a fab by its share of the sources' capacity, times the share it may
    send to the fab's home: other sources do not make up for a blocked one. A region that
    stopped chip imports serves its own fabs first, so there a fab has at least the share of
    its region's fab capacity its region's own sources cover.
    """
    nominal = w.chip_nominal(w.t)
    cap = nominal[sources]
    homes = w.chip_home[fabs]
    if cap.sum() <= 0.0:
        shared = np.zeros(fabs.size)
    else:
        shared = (w.allow[sources][:, homes] * cap[:, None]).sum(0) / cap.sum()
    for k in np.unique(homes[w.imports_stopped[homes]]):
        here = homes == k
        use = float(nominal[fabs[here]].sum())
        own = float(cap[w.chip_home[sources] == k].sum())
        cover = min(own / use, 1.0) if use > 0.0 else 1.0
        shared[here] = np.maximum(shared[here], cover)
    return np.asarray(shared)


def materials_access(w: World) -> np.ndarray:
    """Share of its material each wafer fab may still get (over ``chip``; 1 where not a fab).

    Each materials supplier serves a fab by its share of materials capacity, times the share
    it may send to the fab's home region; other suppliers do not make up for a blocked one.
    """
    out = np.ones(len(w.chip))
    mats = w.materials
    fabs = w.rows_of_good("wafer")
    if mats.size and fabs.size:
        out[fabs] = np.clip(fab_access(w, mats, fabs), 0.0, 1.0)
    return out


def _step_materials(w: World, dt: float) -> np.ndarray:
    """Advance the fabs' stocks of restricted material over ``dt`` days; set what they have.

    A fab short of a share ``1 - a`` of its material covers the shortfall from its stock (in
    days of full use) and has all of it while the stock lasts, then ``a``. The share it has,
    ``materials_factor``, is its average over the step, so a stock that runs out part-way
    counts in proportion and output does not depend on the step length. The output that
    follows, :meth:`~ecosim.world.state.World.materials_health`, loses only the share at risk
    of the shortfall; the stock is drawn the same way whatever that share. While a fab may
    buy freely (``a = 1``) it rebuilds its stock toward its target at its refill pace.
    Returns the days of stock each chip supplier bought in the step (0 where not a fab).
    """
    bought = np.zeros(len(w.chip))
    fabs = w.rows_of_good("wafer")
    if not w.materials.size or not fabs.size:
        return bought
    access = materials_access(w)[fabs]
    short = 1.0 - access  # days of stock the shortfall takes per day
    stock = w.materials_stock[fabs]
    drawn = np.minimum(short * dt, stock)
    free = short <= 0.0
    room = np.maximum(w.materials_target[fabs] - stock, 0.0)
    buy = np.where(free, np.minimum(w.materials_refill[fabs] * dt, room), 0.0)
    w.materials_stock[fabs] = np.maximum(stock - drawn, 0.0) + buy
    # all of it over the part of the step the stock covers (drawn / short days), a after
    w.materials_factor[fabs] = np.clip(access + drawn / dt, 0.0, 1.0)
    bought[fabs] = buy
    return bought


def _deliver_materials(
    w: World, t0: float, dt: float, bought: np.ndarray, capacity: np.ndarray | None = None
) -> None:
    """Add the material delivered to each fab over the step to ``materials_delivered``.

    Material is counted in H100e of a fab's full output: a day of its full use of the
    material is the H100e of wafers it would make that day with all of it (what it made,
    over its :meth:`~ecosim.world.state.World.materials_health`). Only the share at risk
    ``d`` of that output needs the material, but the unit does not move with ``d``, which a
    restriction sets only while active, so the recorded flows compare over time. Each
    supplier delivers its share of that use as far as it may serve the fab's home, plus its
    part of the stock the fab bought (``materials_source``), so what a fab receives and draws
    from its stock is its full output times the share ``h`` of its material it had
    (``materials_factor``): ``h / (1 - d (1 - h))`` times what it made, which is what it made
    when ``d = 1``. ``capacity`` is the chip capacity at ``t0`` if the caller has it already.
    """
    mats = w.materials
    fabs = w.rows_of_good("wafer")
    if mats.size <= materials_kernels.MAX_SUPPLIERS and fabs.size <= materials_kernels.MAX_FABS:
        # one compiled call for the lines below (kernels/materials.py; deliver_step_ref is
        # the same in numpy), where numpy adds the suppliers' capacity left to right
        materials_kernels.deliver_step(
            w.nominal_now(t0),
            w.chip_capacity(t0) if capacity is None else capacity,
            w.throughput,
            w.materials_factor,
            w.materials_at_risk,
            w.chip_home,
            w.allow,
            mats,
            fabs,
            float(dt),
            w.materials_source,
            bought,
            w.materials_delivered,
        )
        return
    nominal = w.chip_nominal(t0)
    cap = nominal[mats]
    if not mats.size or not fabs.size or cap.sum() <= 0:
        return
    health = w.materials_health()[fabs]
    # with every fab down, step_supply leaves the wafer throughput of an earlier step in place
    if capacity is None:
        capacity = w.chip_capacity(t0)
    made = w.throughput[fabs] if capacity[fabs].sum() > 0 else np.zeros(fabs.size)
    use = np.where(health > 0, made / np.maximum(health, 1e-300), 0.0)  # H100e/d
    homes = w.chip_home[fabs]
    # compiled for fewer than eight suppliers, whose capacity numpy then sums left to right
    deliver = (
        supply_kernels.deliver_materials if mats.size < 8 else supply_kernels.deliver_materials_ref
    )
    deliver(
        nominal,
        w.allow,
        mats,
        fabs,
        homes,
        use,
        dt,
        w.materials_source,
        bought,
        w.materials_delivered,
    )


def buyer_parts(w: World) -> tuple[np.ndarray, np.ndarray]:
    """Who may buy from whom, by buyer part, and what each part orders.

    The portable part of a region's work runs on any designer's chips that may be sold to it;
    the rest runs only on chips native to its code (:attr:`World.native`).

    Parameters
    ----------
    w
        The world.

    Returns
    -------
    tuple of numpy.ndarray
        Each region's portable part, then its non-portable part, by designer (2R, D; 1 where
        the part may buy), and what each part orders, in H100e of demand (2R,).
    """
    demand = np.maximum(w.demand, 0.0)
    p = np.clip(w.portable, 0.0, 1.0)
    eligible = np.concatenate([w.sells.T, (w.sells * w.native).T])
    return eligible, np.concatenate([demand * p, demand * (1.0 - p)])


def part_splits(
    w: World,
    buyer_home: int,
    possible: np.ndarray,
    buyers: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """How a buyer homed in ``buyer_home`` would split an order with no control in force,
    by part: row 0 the portable part, row 1 the rest, each summing to its share of the order.

    Orders placed in proportion to each region's demand should reach every designer in
    proportion to its output, so that no designer idles while another's queue grows. With every
    designer selling to every part, that is a split by possible output. Otherwise the split is
    found by iterative proportional fitting of the (buyer part, designer) matrix to those two
    margins (exact when such a split exists; otherwise the designers a part shares with nobody
    get all of it). A designer that may not serve a part gets nothing of it; a part no designer
    may serve is not ordered: its work waits. ``buyers`` is :func:`buyer_parts` if the caller has
    it already (it reads demand and who may buy from whom, which ordering leaves as they are).
    """
    eligible, wants = buyer_parts(w) if buyers is None else buyers
    n = w.n_regions
    rows = (buyer_home, n + buyer_home)
    total_want = wants[list(rows)].sum()
    out = np.zeros((2, possible.size))
    if total_want <= 0 or possible.sum() <= 0:
        weight = eligible[list(rows)] * possible[None, :]
        share = np.array([w.portable[buyer_home], 1.0 - w.portable[buyer_home]])
        sums = weight.sum(axis=1, keepdims=True)
        norm = np.where(sums > 0, weight / np.maximum(sums, 1e-300), 0.0)
        return np.asarray(norm * share[:, None])
    if eligible.all():
        share = wants[list(rows)][:, None] / total_want
        return np.asarray(share * possible / possible.sum())
    # orders arrive in bursts at one instant: fit once per (demand, output, portable) state
    key = wants.tobytes() + possible.tobytes()
    if w.split_cache is None or w.split_cache[0] != key:
        w.split_cache = (key, _fit_split(eligible * possible[None, :], wants, possible))
    fitted = w.split_cache[1]
    # each part exactly its share: the fit meets its margins only to a relative 1e-10
    for i, row in enumerate(rows):
        got = fitted[row].sum()
        out[i] = fitted[row] / got * wants[row] / total_want if got > 0 else 0.0
    return np.asarray(out)


def base_split(w: World, buyer_home: int, possible: np.ndarray) -> np.ndarray:
    """How a buyer homed in ``buyer_home`` would split an order with no control in force: the
    sum of its parts' splits (:func:`part_splits`). It sums to less than one where the
    non-portable part has no designer to buy from."""
    if w.sells.all() and w.native.all() and possible.sum() > 0:
        return np.asarray(possible / possible.sum())  # exactly, when every part buys anywhere
    return np.asarray(part_splits(w, buyer_home, possible).sum(axis=0))


def _fit_split(x: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Scale ``x`` (regions by designers) until its row sums are ``rows`` and its column sums
    are ``cols`` scaled to the same total (Sinkhorn; 200 sweeps at most, a dozen typically)."""
    target = cols / cols.sum() * rows.sum()
    tol = 1e-10 * float(rows.max())
    # compiled (kernels/supply.py) for two to seven designers, as numpy then sums a row left
    # to right and the rows one after another; the numpy twin otherwise
    fit = supply_kernels.fit_split if 1 < x.shape[1] < 8 else supply_kernels.fit_split_ref
    return np.asarray(fit(np.ascontiguousarray(x), rows, target, tol))


def route_split(
    w: World,
    buyer_home: int,
    t: float,
    free_only: bool = False,
    possible: np.ndarray | None = None,
    quotes: np.ndarray | None = None,
    buyers: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Share of a buyer's order going to each designer.

    Without controls the order splits as :func:`part_splits`, the portable part leaning toward
    the designers with shorter queues (each designer's part of it times ``(cycle + shortest
    wait) / (cycle + its wait)``, the wait being its quote beyond its own cycle). A designer
    that may sell the buyer only a compliant share ``a`` gets ``a`` of its part; the rest
    moves to designers that are fully open to the buyer and run that part's work -- any of
    them for the portable part, only native ones for the rest (substitution) -- or is not
    ordered at all if none is: non-portable work waits for its designer. ``free_only`` sends
    everything to fully open designers (for re-routed orders). ``possible`` is the designers'
    output at ``t`` if the caller has it already, and ``quotes`` their lead times at that
    output (:func:`designer_lead_times` with ``rate=possible``): a review that splits for
    every home at one instant reads them once, as it does ``buyers``, who may buy from whom
    and what they order by buyer part (:func:`buyer_parts`).
    """
    if possible is None:
        possible = designer_output(w, t)
    output = possible  # what the designers can make now, which their quotes are read from
    if possible.sum() <= 0:
        possible = w.chip_capacity(t)[w.designers]
    parts = part_splits(w, buyer_home, possible, buyers)
    # work that runs on any chips goes where it is delivered sooner: the portable part leans
    # away from designers with a longer queue than the shortest (a designer's own cycle is not
    # a queue, or Huawei's longer assembly would idle its output)
    if quotes is None:
        quotes = designer_lead_times(w, t, rate=output)
    # the lean and the substitution in one compiled call (kernels/supply.py; route_split_ref
    # is the same in numpy), its sums numpy's for any number of designers
    return np.asarray(
        supply_kernels.route_split(
            parts,
            quotes,
            possible,
            w.chip_cycle,
            w.allow,
            w.sells,
            w.native,
            w.designers,
            int(buyer_home),
            bool(free_only),
        )
    )


def place_order(
    w: World,
    kind: str,
    buyer: int,
    buyer_home: int,
    quantity: float,
    t: float,
    project: int = -1,
    free_only: bool = False,
) -> float:
    """Split ``quantity`` H100e over the designers the buyer may buy from and queue it.

    Returns
    -------
    float
        H100e ordered: less than ``quantity`` where no designer open to the buyer makes it.
    """
    possible = designer_output(w, t)
    split = route_split(w, buyer_home, t, free_only, possible)
    if quantity <= 0:
        return 0.0
    _charge_imposers(w, buyer_home, quantity, split, possible)
    return _queue(w, kind == "provider", buyer, quantity * split, t, project)


def _queue(
    w: World, by_provider: bool, buyer: int, parts: np.ndarray, t: float, project: int = -1
) -> float:
    """Queue ``parts[k]`` H100e at each designer ``k`` whose part is above 1e-12 of the
    total; the H100e queued."""
    ordered = 0.0
    for k in np.flatnonzero(parts > 1e-12 * float(parts.sum())):
        q = float(parts[k])
        w.orders.place(by_provider, buyer, int(k), q, t, project)
        w.backlog[int(k)] += q
        # summed left to right from 0, as the orders are placed
        ordered += q
    return float(ordered)


def _charge_imposers(
    w: World,
    buyer_home: int,
    quantity: float,
    split: np.ndarray,
    possible: np.ndarray,
    bases: dict[int, np.ndarray] | None = None,
) -> None:
    """Sales the imposers' designers lose to a control: what they would have sold, less what
    the buyer may still buy from them. ``possible`` is the designers' output now; ``bases``
    keeps each home's :func:`base_split` at that output for a caller ordering for many buyers
    at one instant (it reads demand, the sellers and the output, which ordering leaves as
    they are)."""
    if not w.imposer_cost_rate.any():
        return
    if possible.sum() <= 0:
        return
    base = bases.get(buyer_home) if bases is not None else None
    if base is None:
        base = base_split(w, buyer_home, possible)
        if bases is not None:
            bases[buyer_home] = base
    lost = np.maximum(base - split, 0.0) * quantity
    homes = w.chip_home[w.designers]
    np.add.at(w.control_cost, homes, lost * w.imposer_cost_rate[homes])


def cancel_for_provider(w: World, p: int, quantity: float, designer: int = -1) -> float:
    """Provider ``p`` cancels up to ``quantity`` H100e of its orders (at ``designer`` only, if
    given), newest first; the H100e cancelled.

    Only orders no designer has started on can be cancelled: a started one is delivered.
    """
    book = w.orders
    n = book.n
    untouched = book.remaining[:n] >= book.quantity[:n] * (1.0 - 1e-12)
    mine = book.open[:n] & book.by_provider[:n] & (book.buyer[:n] == p) & untouched
    if designer >= 0:
        mine &= book.designer[:n] == designer
    mine = np.flatnonzero(mine)
    left = float(quantity)
    cancelled = 0.0
    for i in mine[::-1]:
        if left <= 0.0:
            break
        cut = min(float(book.remaining[i]), left)
        book.remaining[i] -= cut
        book.quantity[i] -= cut
        w.backlog[int(book.designer[i])] -= cut
        if book.remaining[i] <= 1e-9 * max(cut, 1.0):
            book.remaining[i] = 0.0
            book.quantity[i] = 0.0
            book.open[i] = False
        left -= cut
        cancelled += cut
    w.prov_cancelled[p] += cancelled
    return cancelled


def provider_orders_at(w: World) -> np.ndarray:
    """What each provider waits for from each designer (P, D), H100e."""
    book = w.orders
    n = book.n
    mine = book.open[:n] & book.by_provider[:n]
    out = np.zeros((w.prov_home.size, w.designers.size))
    np.add.at(out, (book.buyer[:n][mine], book.designer[:n][mine]), book.remaining[:n][mine])
    return out


def order_parts_for_provider(
    w: World,
    p: int,
    parts: np.ndarray,
    t: float,
    possible: np.ndarray | None = None,
    bases: dict[int, np.ndarray] | None = None,
) -> float:
    """Provider ``p`` orders ``parts[k]`` H100e from each designer ``k`` at ``t``.

    For a buyer that has sized what it wants from each designer itself (by that designer's
    quote, :func:`ecosim.world.cloud.provider_orders`) on the split of :func:`route_split`,
    which already holds a control's compliant shares and substitution. The imposers of a
    control are charged as for :func:`place_order`.

    Parameters
    ----------
    w
        The world.
    p
        The provider.
    parts
        H100e wanted from each designer (one per designer).
    t
        Day of the order.
    possible
        The designers' output at ``t`` if the caller has it already.
    bases
        Each home's split without controls at ``possible``, filled as homes are met, for a
        caller ordering for several providers at ``t`` (:func:`_charge_imposers`).

    Returns
    -------
    float
        H100e ordered (what a provider waits for is read from the order book:
        :func:`provider_orders_at`).
    """
    home = int(w.prov_home[p])
    if possible is None:
        possible = designer_output(w, t)
    total = float(parts.sum())
    if total <= 0:
        return 0.0
    _charge_imposers(w, home, total, parts / total, possible, bases)
    return _queue(w, True, p, parts, t)


def drop_flows(w: World) -> None:
    """Forget what was delivered and cancelled so far: a warm-up's flows are not the run's."""
    w.delivered_to[:] = 0.0
    w.materials_delivered[:] = 0.0
    w.delivered_total[:] = 0.0
    w.prov_cancelled[:] = 0.0


def hand_over(w: World) -> tuple[np.ndarray, np.ndarray]:
    """What was delivered since the last hand-over, and reset the counts.

    Returns
    -------
    tuple of numpy.ndarray
        Accelerators delivered to buyers homed in each region per designer (region,
        designer), and materials delivered to wafer fabs homed in each region per materials
        supplier (region, material), both in H100e.
    """
    # the counts themselves are handed over and fresh ones started: every writer looks them
    # up on the world at each write, so none still writes to those handed over
    out = w.delivered_to, w.materials_delivered
    w.delivered_to = np.zeros_like(out[0])
    w.materials_delivered = np.zeros_like(out[1])
    return out


def stock_materials(w: World, fabs: np.ndarray, days: np.ndarray | float, at_least: bool) -> None:
    """Fill the stock of restricted material of ``fabs``: up to ``days`` of use when
    ``at_least``, else by ``days`` more."""
    if at_least:
        w.materials_stock[fabs] = np.maximum(w.materials_stock[fabs], days)
    else:
        w.materials_stock[fabs] += days


def reroute_blocked(w: World, t: float) -> list[tuple[int, float]]:
    """Cancel the blocked share of queued orders and place it where the buyer may buy.

    Called when a control starts: a blocked buyer's orders at a designer keep only the
    compliant share; the rest goes to designers still open to it (substitution).

    Returns
    -------
    list of (int, float)
        Projects that will get less, and by how much (H100e): what no designer open to their
        region can make. The caller shrinks them (:func:`ecosim.world.projects.shrink`).
    """
    book = w.orders
    cut_orders: list[tuple[int, int, float]] = []
    for k in range(w.designers.size):
        s = int(w.designers[k])
        for i in book.queue(k):
            i = int(i)
            home = _buyer_home(w, i)
            share = w.allow[s, home]
            if share >= 1.0:
                continue
            cut = book.remaining[i] * (1.0 - share)
            book.remaining[i] -= cut
            w.backlog[k] -= cut
            book.quantity[i] -= cut
            if not book.remaining[i] > 1e-9:
                book.open[i] = False
            cut_orders.append((i, home, float(cut)))
    # placed after every queue is rebuilt, so a new order is never cut again in this pass
    shrunk: list[tuple[int, float]] = []
    for i, home, cut in cut_orders:
        provider = bool(book.by_provider[i])
        buyer, project = int(book.buyer[i]), int(book.project[i])
        kind = "provider" if provider else "region"
        lost = cut - place_order(w, kind, buyer, home, cut, t, project, True)
        if lost > 0 and not provider and project >= 0:
            # nowhere open to this buyer: the order shrinks (a project delivers less)
            shrunk.append((project, lost))
    return shrunk


def _buyer_home(w: World, i: int) -> int:
    """The region of the buyer of order ``i``: a provider's is its home."""
    book = w.orders
    buyer = int(book.buyer[i])
    return int(w.prov_home[buyer]) if book.by_provider[i] else buyer


def lead_times(
    w: World,
    t: float,
    quotes: np.ndarray | None = None,
    possible: np.ndarray | None = None,
    cap: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Lead time per good in :data:`LEAD_GOODS` (days) and a flag where it is capped.

    Accelerators: the designers' quotes (:func:`designer_lead_times`) weighted by what each
    can make now. Upstream goods: their own production cycle plus the share
    of that wait they cause — all of it for the most utilised stage of the chain (the
    bottleneck), in proportion to utilisation for the others. (A ``cycle / (1 - utilisation)``
    queue would explode for chains that run near full, as this one does by design.) Capped at
    the scenario's maximum and flagged, which is also what an embargo (no throughput) shows; 0
    where no supplier of the good is in the scenario's world. ``quotes`` are the designers'
    quotes at ``t``, ``possible`` their output (:func:`designer_output`) and ``cap`` the
    chip rows' capacity (:meth:`World.chip_capacity`) when the caller has them already; they
    are only read.
    """
    cap_max = w.scenario.uncertainties.supply.lead_time_cap_days
    if cap is None:
        cap = w.chip_capacity(t)
    des = w.designers
    if quotes is None:
        quotes = designer_lead_times(w, t)
    # the world-wide quote: each designer's, weighted by what it can make now, so a designer
    # serving one country's queue weighs by its output, not by the length of that queue
    if possible is None:
        possible = designer_output(w, t)
    # the upstream goods' rows, the wafer fabs first (their capacity is what tools sustain)
    rows, offsets = w.rows_of_goods(LEAD_GOODS[1:])
    # compiled (kernels/supply.py) where numpy sums the designers and each good's suppliers
    # left to right; the numpy twin otherwise
    bounds = offsets.tolist()  # a few offsets: as Python ints, cheaper than numpy's calls
    small = des.size < 8 and max(b - a for a, b in itertools.pairwise(bounds)) < 8
    fn = supply_kernels.lead_times if small else supply_kernels.lead_times_ref
    out, flag = fn(
        cap,
        quotes,
        possible,
        w.backlog,
        w.chip_cycle,
        des,
        rows,
        offsets,
        _LITHO,
        w.throughput,
        float(cap_max),
    )
    return np.asarray(out), np.asarray(flag)


#: Where lithography is among the upstream goods of LEAD_GOODS (the wafer fabs first): its
#: lead time follows from fab capacity over what tools sustain, not from its own throughput.
_LITHO = LEAD_GOODS[1:].index("lithography")


def designer_lead_times(
    w: World, t: float, idle_at_cap: bool = False, rate: np.ndarray | None = None
) -> np.ndarray:
    """The lead time each designer quotes at day ``t`` (days), capped at the scenario's maximum.

    The wait a new order would face: the designer's assembly cycle plus its backlog ahead over
    the rate it can produce at now (its capacity, limited by the wafers, HBM and packaging it
    can get). The rate is what it *can* make, not what it made in the last step: orders arrive
    in monthly lumps, and a designer that had nothing to make for a day is not infinitely slow
    (measured on the realised output, the quote jumped to the cap and back in a run without
    any shock). Only a designer with a backlog and no possible output at all (an embargo on
    its inputs) is at the cap; with ``idle_at_cap``, one that can make nothing is at the cap
    even with nothing ordered (a chain not yet built): what a buyer would be told and pay,
    while buyers deciding what to order see its cycle, or they would book it a year ahead
    before it makes anything and keep its queue that long. ``rate`` is the designers' output
    at ``t`` (:func:`designer_output`) if the caller has it already.
    """
    cap_max = w.scenario.uncertainties.supply.lead_time_cap_days
    if rate is None:
        rate = designer_output(w, t)
    # compiled, element by element (kernels/supply.py; its twin is the same in numpy)
    return np.asarray(
        supply_kernels.designer_lead_times(
            w.backlog, rate, w.chip_cycle[w.designers], float(cap_max), idle_at_cap
        )
    )


def order_ahead(w: World, quotes: np.ndarray) -> np.ndarray:
    """How far ahead buyers order against ``quotes`` (days): the quote, up to the furthest
    they book (``uncertainties.supply.order_ahead_cap_days``).

    Ordering ahead by the quote is a loop: every order lengthens the queue the next buyer is
    quoted. While the designers make more than the fleets' growth over the quote, it settles;
    when a disruption cuts output below that, the quote runs up, and the orders it calls for
    hold it up after output is back (in a 90 % TSMC loss for a year, quotes stayed at the
    730-day cap a quarter longer without this cap). Buyers do not book that far: quoting
    systems stop at 52 weeks.
    """
    return np.minimum(quotes, w.scenario.uncertainties.supply.order_ahead_cap_days)


def buyer_lead_times(
    w: World, per_designer: np.ndarray, output: np.ndarray | None = None
) -> np.ndarray:
    """Lead time faced by buyers homed in each region (days): the designers' lead times
    weighted by what the region's buyers (its builds and the providers homed there) still
    wait for at each; a region waiting for nothing is weighted by the designers it may buy
    from. A region that may buy from no designer is at the cap. ``output`` is the designers'
    output at the world's day (:func:`designer_output` at ``w.t``) if the caller has it
    already.
    """
    cap_max = w.scenario.uncertainties.supply.lead_time_cap_days
    weights = buyer_mix(w, output)
    # a mean of values at the cap may round a hair above it, so it is capped again; compiled
    # (kernels/record.py) where numpy sums the designers left to right, the twin otherwise
    fn = (
        kernels_record.buyer_lead_times
        if w.designers.size < 8
        else kernels_record.buyer_lead_times_ref
    )
    return np.asarray(fn(weights, np.asarray(per_designer, dtype=np.float64), float(cap_max)))


def lead_time_readings(
    w: World, possible: np.ndarray, cap: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The lead times recorded at the world's day: each designer's quote
    (:func:`designer_lead_times` with ``idle_at_cap``), each good's lead time and whether it
    is capped (:func:`lead_times` on those quotes) and the buyers' (:func:`buyer_lead_times`).

    ``possible`` is the designers' output at ``w.t`` (:func:`designer_output`) and ``cap`` the
    chip rows' capacity (:meth:`World.chip_capacity`); both are only read.
    """
    des = w.designers
    rows, offsets = w.rows_of_goods(LEAD_GOODS[1:])
    bounds = offsets.tolist()
    if des.size >= 8 or max(b - a for a, b in itertools.pairwise(bounds)) >= 8:
        # numpy's sums are not left to right there: the functions, with their numpy twins
        quotes = designer_lead_times(w, w.t, idle_at_cap=True, rate=possible)
        lead, capped = lead_times(w, w.t, quotes, possible, cap)
        return quotes, lead, capped, buyer_lead_times(w, quotes, possible)
    # the same compiled rules in one call (kernels/record.py; lead_time_readings_ref is the
    # same in numpy): four calls a sample, with their arguments gathered four times, cost
    # more than the rules
    quotes, lead, capped, buyers = kernels_record.lead_time_readings(
        w.backlog,
        np.asarray(possible, dtype=np.float64),
        w.chip_cycle,
        des,
        cap,
        rows,
        offsets,
        _LITHO,
        w.throughput,
        float(w.scenario.uncertainties.supply.lead_time_cap_days),
        *_mix_inputs(w),
    )
    return quotes, lead, capped, buyers


def _mix_inputs(
    w: World,
) -> tuple[
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    int,
    np.ndarray,
    np.ndarray,
    np.ndarray,
]:
    """What the buyers' mix reads besides the designers and their output, in the order of
    :func:`ecosim.kernels.supply.buyer_mix`: the order book's open orders, by buyer and
    designer, and the world's homes, sales shares and allowances."""
    book = w.orders
    return (
        book.by_provider,
        book.buyer,
        book.designer,
        book.remaining,
        book.open,
        book.n,
        w.prov_home,
        w.sells,
        w.allow,
    )


def buyer_mix(w: World, output: np.ndarray | None = None) -> np.ndarray:
    """How the buyers homed in each region spread over the designers (R, D), unnormalised:
    what they still wait for at each designer, or, for a region waiting for nothing, the share
    of each designer's flow that may be sold to it times what it may make. ``output`` is what
    they may make at the world's day (:func:`designer_output` at ``w.t``) if the caller has it
    already."""
    # compiled (kernels/supply.py; its twin is the same in numpy)
    return np.asarray(
        supply_kernels.buyer_mix(
            *_mix_inputs(w),
            w.designers,
            designer_output(w, w.t) if output is None else output,
        )
    )
