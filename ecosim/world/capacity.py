"""New chip-making capacity: what is built, where, when it produces and what it costs.

Capacity comes from four sources (:data:`BUILD_SOURCES`): the sites suppliers list with their
public dates, a region's domestic-chain programme (a lever), the targets' response to an
export control, and the market, which builds while quotes stay long. Every build waits out the
construction time of its good in its region, then ramps linearly to its size over the good's
ramp (``uncertainties.supply.build``), so nothing built produces before its construction
ends. What a build costs is its size times the capex per unit of its good in its region.

A supplier's rows are its home and its sites abroad (``<supplier>@<region>``); a region's
domestic chain adds a row ``<good>@<region>`` for a good no supplier makes there. The build
arrays live on :class:`~ecosim.world.state.World`, which reads them in its capacity; this
module alone writes them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass

import numpy as np

from ecosim.core.clock import date_to_day
from ecosim.core.units import DAYS_PER_YEAR
from ecosim.kernels import chain
from ecosim.kernels import record as kernels_record
from ecosim.scenario.models import ChipSupplier, GoodBuild, Scenario
from ecosim.world.state import World

#: What launched a build, by its code in ``World.build_source``.
BUILD_SOURCES: tuple[str, ...] = ("site", "domestic_chain", "control_response", "market")
SITE, CHAIN, CONTROL, MARKET = range(len(BUILD_SOURCES))

#: Goods whose binding rows the market expands while quotes stay long (lithography and
#: materials never bind a designer's output directly).
MARKET_GOODS: tuple[str, ...] = ("accelerator", "wafer", "hbm", "packaging")

#: The stages of the chain, in the order the recorder reports them.
CHAIN_STAGES: tuple[str, ...] = (
    "accelerator",
    "wafer",
    "hbm",
    "packaging",
    "lithography",
    "materials",
)

#: A row is binding when its output is at least this share of its capacity.
BINDING_USE = 0.95


@dataclass(frozen=True)
class Row:
    """One row of the chip supply chain: a supplier at home, a site abroad, or a chain stage.

    Attributes
    ----------
    name
        ``<supplier>``, ``<supplier>@<region>`` or ``<good>@<region>``.
    supplier
        The catalogue supplier it belongs to (its own name for a domestic-chain row).
    good, home
        What it makes, and the region it makes it in.
    capacity, growth, cycle_days
        Capacity at the start (H100e/yr) and its growth (1/yr); cycle from order to delivery.
    stack, sells_to
        A designer's native stack and the regions it sells to (empty: all).
    """

    name: str
    supplier: str
    good: str
    home: str
    capacity: float
    growth: float
    cycle_days: float
    stack: str | None = None
    sells_to: tuple[str, ...] = ()


def chip_rows(scenario: Scenario) -> list[Row]:
    """The rows of the chip supply chain of ``scenario``, in catalogue order.

    Each supplier's home row comes first, then one row per region where it lists sites
    abroad; last, a row per good a region's domestic chain builds where no supplier makes it.
    """
    regions = scenario.region_names
    rows: list[Row] = []
    for sid, sup in scenario.suppliers.items():
        if not isinstance(sup, ChipSupplier):
            continue
        rows.append(
            Row(
                sid,
                sid,
                sup.good,
                sup.home,
                sup.capacity_h100e_per_year,
                sup.growth_per_year,
                sup.cycle_days,
                sup.stack,
                tuple(sup.sells_to),
            )
        )
        abroad = dict.fromkeys(
            s.region for s in sup.sites if s.region != sup.home and s.region in regions
        )
        for region in abroad:
            rows.append(Row(f"{sid}@{region}", sid, sup.good, region, 0.0, 0.0, sup.cycle_days))
    for region in regions:
        chain = scenario.regions[region].levers.domestic_chain
        if chain is None:
            continue
        for good in chain.goods:
            if any(r.good == good and r.home == region for r in rows):
                continue
            cycles = [r.cycle_days for r in rows if r.good == good]
            cycle = float(np.median(cycles)) if cycles else 90.0
            name = f"{good}@{region}"
            # a programme's own designer makes the region's accelerators: it sells at home, as
            # Huawei's Ascend does, or the first designer outside a control would serve the
            # controlled region's whole demand
            sells = (region,) if good == "accelerator" else ()
            rows.append(Row(name, name, good, region, 0.0, 0.0, cycle, None, sells))
    return rows


def _by_region(values: dict[str, float], scenario: Scenario, region: str) -> float:
    """A per-region value: the region's own, else its profile's, else ``default``."""
    if region in values:
        return float(values[region])
    profile = scenario.regions[region].profile if region in scenario.regions else None
    if profile is not None and profile in values:
        return float(values[profile])
    return float(values["default"])


def construction_days(scenario: Scenario, good: str, region: str) -> float:
    """Days from the start of construction to first output of ``good`` in ``region``."""
    b = scenario.uncertainties.supply.build
    return _by_region(b.of(good).construction_days, scenario, region) * b.construction_scale


def capex_per_unit(scenario: Scenario, good: str, region: str) -> float:
    """Capex of one H100e a year of ``good`` capacity in ``region`` (USD)."""
    b = scenario.uncertainties.supply.build
    return _by_region(b.of(good).capex_usd_per_h100e_year, scenario, region) * b.capex_scale


def annuity_factor(scenario: Scenario) -> float:
    """Share of a capex paid each year to recover it over the build life at the discount rate."""
    b = scenario.uncertainties.supply.build
    r, n = b.discount_rate, b.life_years
    if r <= 0.0:
        return 1.0 / n
    return r / (1.0 - (1.0 + r) ** -n)


def _good(w: World, row: int) -> GoodBuild:
    return w.scenario.uncertainties.supply.build.of(str(w.chip_good[row]))


def launch(
    w: World,
    row: int,
    size: float,
    start: float,
    source: int,
    *,
    online: float | None = None,
    capex: float | None = None,
    moves: bool = False,
) -> None:
    """Start building ``size`` H100e/yr of capacity on ``row`` at day ``start``.

    Parameters
    ----------
    w
        The world.
    row
        The chip row the capacity belongs to.
    size
        Capacity at full ramp (H100e a year).
    start
        Day construction starts.
    source
        What launched it (an index into :data:`BUILD_SOURCES`).
    online
        Day of first output; by default ``start`` plus the good's construction time in the
        row's region.
    capex
        What it costs (USD); by default ``size`` times the capex per unit there.
    moves
        Its output moves from the row's owner's home row instead of adding to the world's.
    """
    if size <= 0.0:
        return
    sc = w.scenario
    good, region = str(w.chip_good[row]), w.regions[int(w.chip_home[row])]
    if online is None:
        online = start + construction_days(sc, good, region)
    if capex is None:
        # capex per H100e falls with the chips' price trend: each generation gets more H100e
        # out of a wafer, a stack of HBM or a package
        capex = size * capex_per_unit(sc, good, region) * w.price_trend
    w.build_row = np.append(w.build_row, np.int64(row))
    w.build_size = np.append(w.build_size, float(size))
    w.build_start = np.append(w.build_start, float(start))
    w.build_online = np.append(w.build_online, float(online))
    w.build_ramp = np.append(w.build_ramp, float(_good(w, row).ramp_days))
    w.build_capex = np.append(w.build_capex, float(capex))
    w.build_source = np.append(w.build_source, np.int64(source))
    w.build_moves = np.append(w.build_moves, bool(moves))


def schedule_sites(w: World) -> None:
    """Schedule every site the suppliers list, at its public dates, from the world's build.

    A site in a region not in the scenario is left out. Where a site gives no production
    date, or no cost, the good's construction time and capex per unit in its region stand in.
    """
    sc = w.scenario
    for sid, sup in sc.suppliers.items():
        if not isinstance(sup, ChipSupplier):
            continue
        moves = sup.capacity_h100e_per_year > 0.0
        for site in sup.sites:
            if site.region not in sc.regions:
                continue
            name = sid if site.region == sup.home else f"{sid}@{site.region}"
            row = w.chip.index(name)
            start = date_to_day(sc.start, site.construction_start)
            online = (
                date_to_day(sc.start, site.production_start)
                if site.production_start is not None
                else None
            )
            launch(
                w,
                row,
                site.capacity_h100e_per_year,
                start,
                SITE,
                online=online,
                capex=site.capex_usd,
                moves=moves,
            )


def _pending(w: World, t: float) -> np.ndarray:
    """Capacity launched on each row but not yet at full ramp on day ``t`` (H100e/yr)."""
    n = len(w.chip)
    if not w.build_row.size:
        return np.zeros(n)
    left = w.build_size - w.build_output(t)
    # a move adds to the site as much as it takes from home: net nothing for the world
    left = np.where(w.build_moves, 0.0, left)
    return np.bincount(w.build_row, weights=left, minlength=n).astype(np.float64)


def respond_to_control(w: World, targets: list[int], share: float, t: float) -> None:
    """The targets' own suppliers build ``share`` of their capacity in response to a control.

    Every row of a good that limits output (:data:`MARKET_GOODS`) in a target region starts
    building at ``t``; it produces after its construction time. Responses to several controls
    do not add up: a row builds up to ``share`` of its capacity at the first response, less
    what earlier responses launched.
    """
    if share <= 0.0:
        return
    nominal = w.chip_nominal(t)
    # a row's earlier responses are all launched before this one: this one adds only its own
    made = w.build_output(t)
    earlier = (w.build_source == CONTROL).copy()
    for s in range(len(w.chip)):
        if int(w.chip_home[s]) not in targets or w.chip_good[s] not in MARKET_GOODS:
            continue
        mine = earlier & (w.build_row[: earlier.size] == s)
        launched = float(w.build_size[: earlier.size][mine].sum())
        own = nominal[s] - float(made[mine].sum())  # its capacity but for earlier responses
        launch(w, s, share * own - launched, t, CONTROL)


def quote_ratios(w: World) -> np.ndarray:
    """Each designer's smoothed quote over its assembly cycle (1: no queue)."""
    return np.asarray(w.quote_ema / w.chip_cycle[w.designers])


def review_market(w: World, t: float) -> None:
    """The market builds where it binds, while quotes stay above the trigger.

    A row of a good that limits output (its use at least :data:`BINDING_USE` of its
    capacity) adds ``market_response_per_year * log(q / trigger)`` of its capacity a year,
    over the review interval, where ``q`` is the smoothed quote ratio of the designers it
    serves (their own, for a designer), weighted by their output.
    """
    b = w.scenario.uncertainties.supply.build
    if b.market_response_per_year <= 0.0:
        return
    q = quote_ratios(w)
    out = w.throughput[w.designers]
    q_world = float((q * out).sum() / out.sum()) if out.sum() > 0 else float(q.mean())
    cap = w.chip_capacity(t)
    nominal = w.chip_nominal(t)
    years = b.review_days / DAYS_PER_YEAR
    for s in range(len(w.chip)):
        good = str(w.chip_good[s])
        if good not in MARKET_GOODS or cap[s] <= 0.0:
            continue
        if w.throughput[s] < BINDING_USE * cap[s]:
            continue
        if good == "accelerator":
            ratio = float(q[int(np.flatnonzero(w.designers == s)[0])])
        else:
            ratio = q_world
        if ratio <= b.market_trigger:
            continue
        size = b.market_response_per_year * math.log(ratio / b.market_trigger) * years
        launch(w, s, size * nominal[s], t, MARKET)


def _needs(w: World, t: float) -> np.ndarray:
    """Each region's demand growth over the year from day ``t`` plus its replacement (H100e)."""
    now, ahead = w.demand_at(t), w.demand_at(t + DAYS_PER_YEAR)
    return np.asarray(np.maximum(ahead - now, 0.0) + now / w.params.life_years)


def purchases_all(w: World, t: float) -> np.ndarray:
    """Accelerators each region buys a year around day ``t`` (H100e/yr; see :func:`purchases`)."""
    return _needs(w, t) * _purchase_scale(w)


def _purchase_scale(w: World) -> float:
    """What the regions' needs are scaled by to be their purchases (:func:`purchases`)."""
    # the scale is the designers' nominal output at the start over the needs then: it moves
    # only when a build is added, so it is kept for the builds it saw (asking for the output
    # at day 0 every step also evicted the nominal capacity of the day from its memo); the
    # sizes' bytes, cheaper to take than their sum (numpy's sum is a Python wrapper)
    key = (w.build_row.size, w.build_size.tobytes())
    if w.purchase_memo.key != key:
        start = float(_needs(w, 0.0).sum())
        made = float(w.chip_nominal(0.0)[w.designers].sum())
        w.purchase_memo.keep(key, np.array([made / start if start > 0.0 else 1.0]))
    return float(w.purchase_memo.value[0])


def purchases(w: World, r: int, t: float) -> float:
    """Accelerators region ``r`` buys a year around day ``t`` (H100e/yr).

    Its demand's growth over the next year plus the replacement of hardware at the end of its
    life, scaled so that the regions' purchases at the start are the designers' output then:
    demand counts average use, and a region buys more than it uses (margin, idle hardware,
    spares), which the designers' 2025 deliveries (EP.deliveries_h100e) measure.
    """
    return float(purchases_all(w, t)[r])


def review_chain(w: World, r: int, t: float) -> None:
    """Region ``r``'s domestic chain builds each of its goods up to its cover of purchases.

    For each good, it compares what the region can make (its rows' capacity, with what is
    being built counted at full size) with ``cover_share`` of its purchases as they will be
    when a build started now produces fully, and builds the gap on its largest row.
    """
    chain = w.scenario.regions[w.regions[r]].levers.domestic_chain
    if chain is None or t < date_to_day(w.scenario.start, chain.start):
        return
    sc = w.scenario
    nominal = w.chip_nominal(t)
    pending = _pending(w, t)
    for good in chain.goods:
        rows = np.flatnonzero((w.chip_good == good) & (w.chip_home == r))
        if not rows.size:
            continue
        ready = t + construction_days(sc, good, w.regions[r]) + _good(w, int(rows[0])).ramp_days
        need = chain.cover_share * purchases(w, r, ready)
        have = float((nominal[rows] + pending[rows]).sum())
        target = int(rows[np.argmax(nominal[rows] + pending[rows])])
        launch(w, target, need - have, t, CHAIN)


def stop_imports(w: World, r: int) -> None:
    """From now on region ``r`` takes chip goods only from rows in the region (the effect on
    ``allow`` follows when the shocks' effects are next imposed)."""
    w.imports_stopped[r] = True


def chain_dates(w: World, r: int) -> tuple[float | None, float | None]:
    """Days region ``r``'s domestic chain starts and stops imports (``None``: never)."""
    chain = w.scenario.regions[w.regions[r]].levers.domestic_chain
    if chain is None:
        return None, None

    def day(d: dt.date | None) -> float | None:
        return None if d is None else max(date_to_day(w.scenario.start, d), 0.0)

    return day(chain.start), day(chain.stop_imports)


def capacity_by_region(w: World, t: float, cap: np.ndarray | None = None) -> np.ndarray:
    """Capacity of each stage of :data:`CHAIN_STAGES` made in each region at day ``t``
    (stage, region; H100e/yr), after disruptions, tool wear and materials. ``cap`` is the
    chip rows' capacity at ``t`` (:meth:`World.chip_capacity`) if the caller has it already."""
    rows, offsets = w.rows_of_goods(CHAIN_STAGES)
    if cap is None:
        cap = w.chip_capacity(t)
    # compiled (kernels/record.py, whose capacity_by_region_ref is the same in numpy)
    return np.asarray(
        kernels_record.capacity_by_region(
            cap, w.chip_home, rows, offsets, w.n_regions, float(DAYS_PER_YEAR)
        )
    )


def self_sufficiency(w: World, t: float, cap: np.ndarray | None = None) -> np.ndarray:
    """What each region's own chain can make a year over what it buys a year (R,).

    The chain makes what its least stage among :data:`MARKET_GOODS` allows (lithography and
    materials act through the fabs' health); purchases are :func:`purchases`. ``cap`` is
    :func:`capacity_by_region` at ``t`` where the caller has it already.
    """
    if cap is None:
        cap = capacity_by_region(w, t)
    # the purchases (purchases_all) from the demand now and a year ahead, and what the chain
    # makes over them, in one compiled call (kernels/record.py, whose self_sufficiency_at_ref
    # is the same in numpy): the purchases' five numpy calls on a few regions cost more
    scale = _purchase_scale(w)
    now, ahead = w.demand_at(t), w.demand_at(t + DAYS_PER_YEAR)
    return np.asarray(
        kernels_record.self_sufficiency_at(
            cap, _MARKET_STAGES, now, ahead, w.params.life_years, scale
        )
    )


#: Where each of :data:`MARKET_GOODS` is among :data:`CHAIN_STAGES`.
_MARKET_STAGES = np.array([CHAIN_STAGES.index(g) for g in MARKET_GOODS], dtype=np.int64)
_MARKET_STAGES.setflags(write=False)


def row_costs(w: World) -> np.ndarray:
    """Annualised capex per H100e a year of each row's capacity where it is made (USD/yr)."""
    sc = w.scenario
    per_unit = np.array(
        [
            capex_per_unit(sc, str(w.chip_good[s]), w.regions[int(w.chip_home[s])])
            for s in range(len(w.chip))
        ]
    )
    return per_unit * annuity_factor(sc)


def designer_costs(w: World, t: float, costs: np.ndarray) -> np.ndarray:
    """Capital cost per H100e of each designer's accelerators at day ``t`` (USD).

    Its own stage's cost plus, for each other stage, the costs of the rows it draws on,
    weighted as it draws on them: by their capacity and what they may send to its home (by
    what they may send alone where none has capacity yet).
    """
    des = w.designers
    rows, offsets = w.rows_of_goods(CHAIN_STAGES[1:])
    # compiled where it gives numpy's bits (kernels/chain.py): numpy sums eight rows or more
    # in an order that follows the arrays' memory layout, so those stay in numpy
    # (the widest good's count from the few offsets as Python ints: np.diff on them cost more
    # than the kernel at every close)
    fn = chain.designer_costs if _widest(offsets) < 8 else chain.designer_costs_ref
    return np.asarray(fn(w.chip_capacity(t), des, w.chip_home[des], rows, offsets, w.allow, costs))


def _widest(offsets: np.ndarray) -> int:
    """The most rows of one good, from the goods' ``offsets`` (:meth:`World.rows_of_goods`)."""
    # asked for at every close with the same few offsets: kept by their bytes, which are
    # cheaper to take than the answer is to find
    key = offsets.tobytes()
    known = _WIDEST.get(key)
    if known is None:
        bounds = offsets.tolist()
        known = max((b - a for a, b in itertools.pairwise(bounds)), default=0)
        if len(_WIDEST) >= 64:  # a run sees a handful of layouts; sweeps many runs
            _WIDEST.clear()
        _WIDEST[key] = known
    return known


#: :func:`_widest` of the offsets seen, by their bytes (int64 offsets: equal bytes, equal
#: offsets).
_WIDEST: dict[bytes, int] = {}


def committed_capex(w: World, t: float, source: int | None = None) -> np.ndarray:
    """Capex of the builds started by day ``t`` in each region (USD), of one source or all."""
    # compiled (kernels/record.py, whose committed_capex_ref is the same in numpy)
    return np.asarray(
        kernels_record.committed_capex(
            w.build_start,
            w.build_source,
            w.build_row,
            w.build_capex,
            w.chip_home,
            float(t),
            -1 if source is None else int(source),
            w.n_regions,
        )
    )
