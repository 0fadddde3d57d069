"""The world's state as arrays (structure of arrays), built from a validated scenario.

Indices: ``r`` regions in scenario order, ``p`` cloud providers, ``s`` chip-chain suppliers,
``d`` accelerator designers (a subset of ``s``), ``c`` customers of a region, ``l`` layers.
Everything a process changes lives here; the modules beside this one hold the dynamics.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from functools import cached_property, partial
from typing import Any, Generic, TypeVar, cast

import numpy as np

from ecosim.core.rng import Streams
from ecosim.core.units import DAYS_PER_YEAR
from ecosim.kernels import supply as supply_kernels
from ecosim.scenario.models import (
    LAYERS,
    Scenario,
)
from ecosim.world.growth import growth_factor

#: The arrays of an :class:`OrderBook`, each one entry per order.
ORDER_ARRAYS: tuple[str, ...] = (
    "by_provider",
    "buyer",
    "designer",
    "quantity",
    "remaining",
    "placed",
    "project",
    "open",
)


@dataclass(eq=False)
class OrderBook:
    """Accelerator orders as arrays, one entry per order in the order placed.

    An order is a region's (for a build project) or a cloud provider's, at one designer, which
    fills its open orders first in, first out: the queue of designer ``k`` is its open orders
    in placement order (:meth:`queue`). Only the first :attr:`n` entries are orders; the
    arrays grow by doubling.

    Attributes
    ----------
    by_provider : numpy.ndarray of bool
        True for a cloud provider's order, False for a region's.
    buyer : numpy.ndarray of int64
        The region, or the provider, that ordered.
    designer : numpy.ndarray of int64
        Index into the world's designers.
    quantity, remaining : numpy.ndarray of float64
        H100e ordered (less what a control cut), and still to deliver.
    placed : numpy.ndarray of float64
        Day the order was placed.
    project : numpy.ndarray of int64
        The build project waiting for it, or -1.
    open : numpy.ndarray of bool
        Still waiting: neither filled nor cancelled.
    """

    by_provider: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    buyer: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    designer: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    quantity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    remaining: np.ndarray = field(default_factory=lambda: np.zeros(0))
    placed: np.ndarray = field(default_factory=lambda: np.zeros(0))
    project: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    open: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    n: int = 0

    def __len__(self) -> int:
        return self.n

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OrderBook):
            return NotImplemented
        return self.n == other.n and all(
            np.array_equal(getattr(self, a)[: self.n], getattr(other, a)[: other.n])
            for a in ORDER_ARRAYS
        )

    def place(
        self,
        by_provider: bool,
        buyer: int,
        designer: int,
        quantity: float,
        placed: float,
        project: int = -1,
    ) -> int:
        """Add an open order of ``quantity`` H100e; its index."""
        if self.n == self.buyer.size:
            size = max(64, 2 * self.n)
            for name in ORDER_ARRAYS:
                old = getattr(self, name)
                new = np.zeros(size, dtype=old.dtype)
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
        i = self.n
        self.by_provider[i] = by_provider
        self.buyer[i] = buyer
        self.designer[i] = designer
        self.quantity[i] = quantity
        self.remaining[i] = quantity
        self.placed[i] = placed
        self.project[i] = project
        self.open[i] = True
        self.n += 1
        return i

    def queue(self, designer: int) -> np.ndarray:
        """Indices of designer ``designer``'s open orders, first placed first."""
        n = self.n
        return np.flatnonzero(self.open[:n] & (self.designer[:n] == designer))


#: The arrays of a :class:`ProjectBook`, each one entry per project.
PROJECT_ARRAYS: tuple[str, ...] = (
    "region",
    "quantity",
    "decided",
    "construction_done",
    "delivered",
    "finished",
    "paid",
    "factory",
)


@dataclass(eq=False)
class ProjectBook:
    """Regions' build projects as arrays, one entry per project in the order opened.

    A project is done when construction is over (``construction_done``, day) and the
    accelerators it still waits for (``quantity``, H100e) are in (``delivered``).
    """

    region: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    quantity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    decided: np.ndarray = field(default_factory=lambda: np.zeros(0))
    construction_done: np.ndarray = field(default_factory=lambda: np.zeros(0))
    delivered: np.ndarray = field(default_factory=lambda: np.zeros(0))
    finished: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    paid: np.ndarray = field(default_factory=lambda: np.zeros(0))  # capex paid so far, USD
    factory: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # AI factory

    def __len__(self) -> int:
        return int(self.region.size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProjectBook):
            return NotImplemented
        return all(
            np.array_equal(getattr(self, name), getattr(other, name)) for name in PROJECT_ARRAYS
        )

    def open(
        self,
        region: int,
        quantity: float,
        decided: float,
        construction_done: float,
        factory: bool = False,
    ) -> int:
        """Add a project (an AI factory's if ``factory``); its index."""
        self.region = np.append(self.region, np.int64(region))
        self.quantity = np.append(self.quantity, float(quantity))
        self.decided = np.append(self.decided, float(decided))
        self.construction_done = np.append(self.construction_done, float(construction_done))
        self.delivered = np.append(self.delivered, 0.0)
        self.finished = np.append(self.finished, False)
        self.paid = np.append(self.paid, 0.0)
        self.factory = np.append(self.factory, bool(factory))
        return len(self) - 1


@dataclass
class RegionParams:
    """Per-region scenario parameters as arrays over regions, read on every refresh.

    Lever arrays may change during a run (dated actions of a portfolio); the rest never do.
    """

    margin: np.ndarray
    own_infra: np.ndarray
    replica: np.ndarray
    open_stack: np.ndarray
    porting_days: np.ndarray
    own_models: np.ndarray
    open_models: np.ndarray
    api_models: np.ndarray
    staff0: np.ndarray
    staff_per_1k: np.ndarray
    model_staff: np.ndarray
    graduates0: np.ndarray
    graduates_growth: np.ndarray
    pipeline_years: np.ndarray
    attrition: np.ndarray
    pay_index: np.ndarray
    own0: np.ndarray
    must_stay_local: np.ndarray
    managed_foreign: np.ndarray
    cloud_price_factor: np.ndarray
    own_cost_per_year: np.ndarray  # capex / life + opex, USD per H100e-year
    capex: np.ndarray
    life_years: np.ndarray  # a site's life, years
    chip_share: np.ndarray  # part of capex paid for the accelerator on delivery
    opex: np.ndarray  # USD per H100e-year
    build_share: np.ndarray
    multi_cloud: np.ndarray
    sovereign_cloud: np.ndarray
    mirror: np.ndarray
    federated: np.ndarray
    talent_programme: np.ndarray
    local_models: np.ndarray

    @classmethod
    def of(cls, scenario: Scenario) -> RegionParams:
        """Collect the arrays from a scenario."""
        regs = list(scenario.regions.values())

        def col(get: object) -> np.ndarray:
            return np.array([get(r) for r in regs], dtype=np.float64)  # type: ignore[operator]

        return cls(
            margin=col(lambda r: r.policy.reserve_margin),
            own_infra=col(lambda r: r.data.own_infrastructure_share),
            replica=col(lambda r: r.data.replica_share),
            open_stack=col(lambda r: r.levers.open_stack_share),
            porting_days=col(lambda r: r.software.porting_days),
            own_models=col(lambda r: r.models.own_share),
            open_models=col(lambda r: r.models.open_weights_share),
            api_models=col(lambda r: r.models.foreign_api_share),
            staff0=col(lambda r: r.operations.staff_fte),
            staff_per_1k=col(lambda r: r.operations.staff_per_1k_h100e),
            model_staff=col(lambda r: r.operations.model_staff_fte),
            graduates0=col(lambda r: r.operations.graduates_per_year),
            graduates_growth=col(lambda r: r.operations.graduates_growth_per_year),
            pipeline_years=col(lambda r: r.operations.pipeline_years),
            attrition=col(lambda r: r.operations.attrition_per_year),
            pay_index=col(lambda r: r.operations.pay_index),
            own0=col(lambda r: r.compute.own_h100e),
            must_stay_local=col(lambda r: r.data.must_stay_local_share),
            managed_foreign=col(lambda r: r.operations.managed_foreign_share),
            cloud_price_factor=col(lambda r: r.costs.cloud_price_factor),
            own_cost_per_year=col(
                lambda r: (
                    r.costs.capex_usd_per_h100e / r.compute.life_years
                    + r.costs.opex_usd_per_h100e_year
                )
            ),
            capex=col(lambda r: r.costs.capex_usd_per_h100e),
            life_years=col(lambda r: r.compute.life_years),
            chip_share=col(lambda r: r.costs.chip_share_of_capex),
            opex=col(lambda r: r.costs.opex_usd_per_h100e_year),
            build_share=col(lambda r: r.levers.build_share),
            multi_cloud=col(lambda r: r.levers.multi_cloud),
            sovereign_cloud=col(lambda r: r.levers.sovereign_cloud_share),
            mirror=col(lambda r: r.levers.open_weights_mirror),
            federated=col(lambda r: r.levers.federated_learning),
            talent_programme=col(lambda r: r.levers.talent_programme),
            local_models=col(lambda r: r.levers.local_models),
        )


def owned(owner: str) -> dict[str, str]:
    """Field metadata naming the module of ``ecosim.world`` that alone may write the field.

    ``build`` marks what only the initial build sets; ``state`` what :class:`World`'s own
    methods change. ``tests/unit/test_state_owners.py`` holds every write to its owner.
    """
    return {"owner": owner}


def cache(owner: str) -> dict[str, Any]:
    """Field metadata of a cache of a pure computation (a :class:`Memo`): written only by
    ``owner``, and not state: a run is the same with or without it, so checks of what changes
    the state leave it out."""
    return {"owner": owner, "cache": True}


def is_cache(name: str) -> bool:
    """Whether :class:`World` field ``name`` is a cache rather than state."""
    return bool(next(f for f in fields(World) if f.name == name).metadata.get("cache", False))


def state(owner: str, shape: tuple[int, ...] = (0,), dtype: Any = np.float64) -> Any:
    """An array field of :class:`World`, empty until the build, written only by ``owner``."""
    return field(default_factory=partial(np.zeros, shape, dtype), metadata=owned(owner))


T = TypeVar("T")

_NO_ROWS = np.zeros(0, dtype=np.int64)
_NO_ROWS.setflags(write=False)


def read_only(arrays: tuple[np.ndarray, ...]) -> None:
    """Mark a cache's kept arrays read-only: every caller gets the same ones."""
    for a in arrays:
        a.setflags(write=False)


def twin_copy(w: T, keep: dict[int, Any]) -> T:
    """A deep copy of ``w`` for its no-shock twin that shares what nobody writes.

    Every read-only array the world holds (a memo's kept answer, the build's index rows) is
    the twin's too rather than copied: a copy is writable, so where a run and its twin ran in
    one process (a sweep's worker) the twin's kernels met types the run's had not, and five
    kernels were compiled and loaded twice. An array is shared only if it and every array it
    is a view of are read-only, so a read-only window on state that moves is copied as before.

    Parameters
    ----------
    w
        The world, as built (any object graph: fields, dicts, lists, tuples and sets).
    keep
        Objects shared as they are, by ``id`` (the scenario): ``copy.deepcopy``'s memo.

    Returns
    -------
    object
        The copy, of the same type as ``w``.
    """
    memo = dict(keep)
    memo.update(_frozen_arrays(w, keep))
    return copy.deepcopy(w, memo)


def _frozen_arrays(root: object, skip: dict[int, Any]) -> dict[int, np.ndarray]:
    """The read-only arrays reachable from ``root`` whose data nothing can write, by ``id``;
    the objects in ``skip`` are not looked into."""
    found: dict[int, np.ndarray] = {}
    seen = set(skip)
    stack: list[object] = [root]
    while stack:
        x = stack.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        if isinstance(x, np.ndarray):
            if x.dtype != object and _frozen(x):
                found[id(x)] = x
        elif isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, list | tuple | set | frozenset):
            stack.extend(x)
        elif hasattr(x, "__dict__") and not isinstance(x, type):
            stack.extend(vars(x).values())
    return found


def _frozen(a: np.ndarray) -> bool:
    """Whether nothing can write ``a``'s data: it and every array it views are read-only,
    down to an owner or to immutable bytes."""
    base: object = a
    while isinstance(base, np.ndarray):
        if base.flags.writeable:
            return False
        base = base.base
    return base is None or isinstance(base, bytes)


class Memo(Generic[T]):
    """The last result of a pure computation of the world, with the inputs it was for.

    A cache, not state: only the function that fills it reads it, and a value is reused only
    for the same key, so a run is the same with or without it.
    """

    def __init__(self) -> None:
        self.key: object = None
        # never read before keep(): a read compares the key first, and None is no key
        self.value: T = cast(T, None)

    def keep(self, key: object, value: T) -> None:
        """Remember ``value`` as the result for ``key``."""
        self.key = key
        self.value = value


def owner_of(name: str) -> str:
    """The module of ``ecosim.world`` that owns :class:`World` field ``name``."""
    return str(next(f for f in fields(World) if f.name == name).metadata["owner"])


@dataclass
class World:
    """All mutable state of one run, each field with the one module that may write it.

    Owners, by part: the chip supply chain (``supply``), the cloud market (``cloud``), the
    effects shocks impose (``shocks``), build projects (``projects``), own sites (``state``),
    the stockpile (``stockpile``), talent (``talent``), the frontier (``capability``), porting
    and open models (``layers``), build-or-buy reviews (``policy``), the levers' arrays
    (``levers``), and what follows from the state at each step (``step``).
    """

    scenario: Scenario = field(metadata=owned("build"))
    streams: Streams = field(metadata=owned("build"))
    regions: list[str] = field(metadata=owned("build"))
    providers: list[str] = field(metadata=owned("build"))
    chip: list[str] = field(metadata=owned("build"))
    # indices into chip of accelerator suppliers
    designers: np.ndarray = field(metadata=owned("build"))
    params: RegionParams = field(metadata=owned("levers"))
    t: float = field(default=0.0, metadata=owned("step"))
    # --- chip supply chain (s over chip suppliers)
    chip_good: np.ndarray = state("build", (0,), object)
    # the rows of each good, read many times a step: comparing the object array each time
    # cost more than the step's arithmetic
    good_rows: dict[str, np.ndarray] = field(default_factory=dict, metadata=owned("build"))
    chip_home: np.ndarray = state("build", (0,), np.int64)
    chip_cap0: np.ndarray = state("build")
    chip_g0: np.ndarray = state("build")
    chip_cycle: np.ndarray = state("build")
    # the row of the supplier each row belongs to: itself, or the firm whose site abroad it is
    chip_owner: np.ndarray = state("build", (0,), np.int64)
    chip_disruption: np.ndarray = state("shocks")  # share lost
    litho_factor: np.ndarray = state("supply")  # fab health
    # share h of its full use of restricted material a wafer fab has over the step: what it
    # may still get plus what its stock covers (1 elsewhere)
    materials_factor: np.ndarray = state("supply")
    # share d of a fab's output that needs the restricted material: the largest
    # output_share_at_risk of the restrictions targeting it; NaN where none does, and then
    # all of it, so a shortfall from any other cause (an export control) cuts output as before
    materials_at_risk: np.ndarray = state("shocks")
    # restricted material a wafer fab holds in store, in days of its full use (d)
    materials_stock: np.ndarray = state("supply")
    # the stock a fab keeps once a restriction taught it to (d); it refills toward it
    materials_target: np.ndarray = state("shocks")
    # pace at which a fab buys stock while it can buy freely (days of stock per day)
    materials_refill: np.ndarray = state("shocks")
    # materials[m]: index into chip of the m-th materials supplier
    materials: np.ndarray = state("build", (0,), np.int64)
    # materials_source[m, k]: share of stock bought by fabs homed in region k from supplier m
    materials_source: np.ndarray = state("shocks", (0, 0))
    # H100e of wafers' worth of material delivered to fabs homed in each region, per materials
    # supplier, since the last step's close
    materials_delivered: np.ndarray = state("supply", (0, 0))
    # --- new chip-making capacity (capacity): one entry per build, in the order launched.
    # Its row, size (H100e/yr at full ramp), construction start, first output and ramp (d),
    # capex (USD), what launched it (BUILD_SOURCES) and whether its output moves from its
    # owner's home row (a firm's site abroad) rather than adding to the world's
    build_row: np.ndarray = state("capacity", (0,), np.int64)
    build_size: np.ndarray = state("capacity")
    build_start: np.ndarray = state("capacity")
    build_online: np.ndarray = state("capacity")
    build_ramp: np.ndarray = state("capacity")
    build_capex: np.ndarray = state("capacity")
    build_source: np.ndarray = state("capacity", (0,), np.int64)
    build_moves: np.ndarray = state("capacity", (0,), bool)
    # the last chip_nominal computed, for the (day, builds, their total size) it was for
    nominal_memo: Memo[np.ndarray] = field(default_factory=lambda: Memo(), metadata=cache("state"))
    output_memo: Memo[np.ndarray] = field(default_factory=lambda: Memo(), metadata=cache("supply"))
    capacity_memo: Memo[np.ndarray] = field(default_factory=lambda: Memo(), metadata=cache("state"))
    purchase_memo: Memo[np.ndarray] = field(
        default_factory=lambda: Memo(), metadata=cache("capacity")
    )
    # the rows of several goods one after another (the chain's kernels' form), and the
    # workloads' split and priorities: read from what a run never changes, once
    rows_memo: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, metadata=cache("state")
    )
    workload_memo: dict[str, np.ndarray] = field(default_factory=dict, metadata=cache("workloads"))
    partners_memo: dict[tuple[str, bytes, bytes], np.ndarray] = field(
        default_factory=dict, metadata=cache("alliances")
    )
    sites_memo: dict[tuple[bool, int], list[list[Any]]] = field(
        default_factory=dict, metadata=cache("state")
    )
    # talent's operations-staff scale (the staff ratio to the scale power) and the factories'
    # relief, the specialists needed and the sufficiency, each for the inputs it was computed
    # from: asked for by the refresh, the models' step and the recorder from the same state
    factories_memo: Memo[tuple[np.ndarray, np.ndarray]] = field(
        default_factory=lambda: Memo(), metadata=cache("talent")
    )
    need_memo: Memo[tuple[np.ndarray, np.ndarray]] = field(
        default_factory=lambda: Memo(), metadata=cache("talent")
    )
    sufficiency_memo: Memo[np.ndarray] = field(
        default_factory=lambda: Memo(), metadata=cache("talent")
    )
    # each region's live own capacity and largest site, for the live sites live_sites handed
    # out (the same arrays until a site is built or retires; the key holds them, so their
    # identity is never reused): asked for by the frontier at every close and by the recorder
    run_sites_memo: Memo[tuple[np.ndarray, np.ndarray]] = field(
        default_factory=lambda: Memo(), metadata=cache("capability")
    )
    # each region's largest run (read-only), the largest of them, and what the frontier's lag
    # keeps of them for the history's first point: for the live sites live_sites handed out
    # and what federated training reads (the key holds the sites, as run_sites_memo's does)
    frontier_memo: Memo[list[Any]] = field(
        default_factory=lambda: Memo(), metadata=cache("capability")
    )
    # whether each region's proprietary stack comes from abroad, for the scenario it was read
    # from (a run never changes it)
    foreign_stack_memo: Memo[np.ndarray] = field(
        default_factory=lambda: Memo(), metadata=cache("layers")
    )
    # regions whose buyers and suppliers take chip goods only from rows in the region
    imports_stopped: np.ndarray = state("capacity", (0,), bool)
    # allow[s, k]: share of s's flow that may go to buyers homed in region k (1 = free)
    allow: np.ndarray = state("shocks", (0, 0))
    # sells[k, r]: 1 where designer k sells to buyers homed in region r at all (``sells_to``)
    sells: np.ndarray = state("build", (0, 0))
    # native[k, r]: 1 where designer k's chips run region r's code without porting: its stack
    # is the region's proprietary stack, or it has none of its own (it runs its buyers' code)
    native: np.ndarray = state("build", (0, 0))
    # the fitted (buyer part)-by-designer split and the (demand, output, portable) state it
    # was fitted for; rows: each region's portable part, then its non-portable part
    split_cache: tuple[bytes, np.ndarray] | None = field(default=None, metadata=owned("supply"))
    # H100e each region's buyers hold from each designer, deliveries less retirements (R, D)
    fleet_designer: np.ndarray = state("supply", (0, 0))
    # per designer, FIFO
    orders: OrderBook = field(default_factory=OrderBook, metadata=owned("supply"))
    backlog: np.ndarray = state("supply")  # per designer, H100e
    # H100e delivered to buyers homed in each region, per designer, since the last step's close
    delivered_to: np.ndarray = state("supply", (0, 0))
    # yearly caps on what a supplier may sell to buyers homed in a region (export quotas)
    quota: np.ndarray = state("shocks", (0, 0))
    quota_used: np.ndarray = state("supply", (0, 0))
    quota_year: int = field(default=-1, metadata=owned("supply"))
    throughput: np.ndarray = state("supply")  # per chip supplier
    delivered_total: np.ndarray = state("supply")  # per designer
    # --- own compute, by site (arrays, grown by add_site)
    site_region: np.ndarray = state("state", (0,), np.int64)
    site_cap: np.ndarray = state("state")
    site_built: np.ndarray = state("state")
    site_retire: np.ndarray = state("state")
    site_capex: np.ndarray = state("state")  # USD per H100e paid for the site
    site_factory: np.ndarray = state("state", (0,), bool)  # an AI factory's site
    projects: ProjectBook = field(default_factory=ProjectBook, metadata=owned("projects"))
    # capital paid since the last hand-over (R,), USD at the prices paid: accelerators when
    # delivered, the rest of a site while it is built
    capex_spent: np.ndarray = state("projects")
    # --- cloud
    prov_home: np.ndarray = state("build", (0,), np.int64)
    prov_quality: np.ndarray = state("build")
    prov_price: np.ndarray = state("build")
    prov_headroom: np.ndarray = state("build")
    prov_tail: np.ndarray = state("build", (0,), bool)  # stands for many small providers
    prov_cap: np.ndarray = state("cloud", (0, 0))  # H100e installed per region (R, P)
    prov_cancelled: np.ndarray = state("supply")  # H100e of orders cancelled since the start
    prov_available: np.ndarray = state("shocks")  # outages
    can_join: np.ndarray = state("shocks", (0, 0), np.uint8)
    can_stay: np.ndarray = state("shocks", (0, 0), np.uint8)
    # price_hike[r, p]: multiplier on provider p's price in region r from price-hike shocks
    price_hike: np.ndarray = state("shocks", (0, 0))
    cust_provider: np.ndarray = state("cloud", (0, 0), np.int64)
    # workload of each customer, a fraction of its region's cloud workload; it shifts as
    # segments grow at different rates from the starting weights cust_weight0
    cust_weight: np.ndarray = state("cloud", (0, 0))
    cust_weight0: np.ndarray = state("build", (0, 0))
    cust_pref: np.ndarray = state("build", (0, 0))
    # segment index of each customer, and the price weight and switching cost it brings
    cust_segment: np.ndarray = state("build", (0, 0), np.int64)
    cust_alpha: np.ndarray = state("build", (0, 0))
    cust_switch: np.ndarray = state("build", (0, 0))
    segment_growth: np.ndarray = state("build")  # 1/year above the region's growth
    # provider constants (R, P), fitted so the undisturbed market rests at the observed shares
    prov_asc: np.ndarray = state("build", (0, 0))
    displaced: np.ndarray = state("cloud", (0, 0), bool)
    # workload shares (R, P+1; last column the outside option) and displaced share (R,),
    # updated whenever customers move
    shares: np.ndarray = state("cloud", (0, 0))
    served_shares: np.ndarray = state("cloud", (0, 0))
    displaced_share: np.ndarray = state("cloud")
    # a displaced customer that found a new provider is served from this day (inf: not yet)
    ready_at: np.ndarray = state("cloud", (0, 0))
    next_ready: float = field(default=np.inf, metadata=owned("cloud"))
    interop: np.ndarray = state("levers", (0, 0))
    # --- prices: designers' quotes smoothed (d), the trend on the reference date's scale, the
    # designers' prices and what buyers homed in each region pay (USD per H100e), the index of
    # a new site's capex against the listed one, cloud prices (R, P; USD per H100e-hour) and
    # the references of the providers' markups (shares, multi-cloud spread, cost share)
    quote_ema: np.ndarray = state("prices")
    # annualised capex per H100e a year of each chip row, and the capital cost per H100e of
    # the designers' chain at the start, output-weighted (USD): what the trend's price pays for
    row_cost: np.ndarray = state("prices")
    chip_cost_ref: float = field(default=0.0, metadata=owned("prices"))
    price_trend: float = field(default=1.0, metadata=owned("prices"))
    designer_price: np.ndarray = state("prices")
    accel_price: np.ndarray = state("prices")
    capex_index: np.ndarray = state("prices")
    cloud_price: np.ndarray = state("prices", (0, 0))
    tightness: np.ndarray = state("prices", (0, 0))  # wanted over fleet, smoothed (R, P)
    share0: np.ndarray = state("prices", (0, 0))
    spread0: np.ndarray = state("prices")
    cost_share: np.ndarray = state("prices")
    # --- shock effects per region
    own_available: np.ndarray = state("shocks")  # outages
    demand_factor: np.ndarray = state("shocks")  # surges
    transfer_blocked: np.ndarray = state("shocks", (0, 0), bool)
    compelled: np.ndarray = state("shocks")  # share of data reached
    # compromised[r, p]: share of region r's work with provider p a legal compulsion reached,
    # suspended while it lasts
    compromised: np.ndarray = state("shocks", (0, 0))
    imposer_cost_rate: np.ndarray = state("shocks")  # USD/H100e
    control_cost: np.ndarray = state("supply")  # USD, cumulative
    # --- levers' state
    stockpile: np.ndarray = state("stockpile")  # H100e in store
    alliance: np.ndarray = state("levers", (0, 0), bool)
    # alliance_scope[r, g]: region r shares good g (SHARED_GOODS order) with its partners
    alliance_scope: np.ndarray = state("levers", (0, 0), bool)
    borrowed: np.ndarray = state("cloud")  # H100e from partners
    # --- derived each refresh (per region)
    demand: np.ndarray = state("step")
    own_cap: np.ndarray = state("step")
    cloud_need: np.ndarray = state("step")
    cloud_cap: np.ndarray = state("cloud", (0, 0))  # (R, P) delivered
    # --- providers' jurisdiction: exposure[r, p] to foreign compulsion, presence[r, p] in region
    prov_exposure: np.ndarray = state("build", (0, 0))
    prov_present: np.ndarray = state("build", (0, 0), bool)
    # --- layers
    talent: np.ndarray = state("talent")  # FTE
    # history of the frontier run
    frontier_t: list[float] = field(default_factory=list, metadata=owned("capability"))
    frontier_flop: list[float] = field(default_factory=list, metadata=owned("capability"))
    open_lag: np.ndarray = state("layers")  # months behind frontier
    # shares of model use by source in force (R, 3: own, open weights, foreign API): they start
    # as the scenario's and move with a local-model programme and after API cut-offs
    model_mix: np.ndarray = state("layers", (0, 0))
    open_access: np.ndarray = state("shocks")
    api_lag: np.ndarray = state("build")
    api_foreign: np.ndarray = state("build")  # 1: best API abroad
    own_lag: np.ndarray = state("capability")  # frontier lag, daily
    porting_backlog: np.ndarray = state("layers")
    # share of each region's work ported to portable stacks: it may run on any designer's chips
    portable: np.ndarray = state("layers")
    stack_access: np.ndarray = state("shocks")
    api_access: np.ndarray = state("shocks")
    inoperability: np.ndarray = state("step", (0, len(LAYERS)))
    direct_loss: np.ndarray = state("step", (0, len(LAYERS)))
    # --- build-or-buy reviews (policy): work served and capacity offered since each region's
    # last review (H100e d), and builds decided but not yet live (H100e)
    used_since_review: np.ndarray = state("policy")
    cap_since_review: np.ndarray = state("policy")
    pipeline: np.ndarray = state("policy")

    @cached_property
    def n_regions(self) -> int:
        """Number of regions."""
        # read tens of thousands of times a run: an attribute after the first read (the
        # regions are set when the world is made and never change)
        return len(self.regions)

    def region_index(self, name: str) -> int:
        """Index of region ``name``."""
        return self.regions.index(name)

    @cached_property
    def _demand_curve(self) -> tuple[np.ndarray, np.ndarray, float, float]:
        """Every region's initial demand and growth, and the long-run growth and its decay:
        read from the scenario, which a run never changes, once rather than at every call."""
        s = self.scenario
        u = s.uncertainties
        d0 = np.array([s.regions[r].demand.initial_h100e for r in self.regions])
        g0 = np.array([s.regions[r].demand.growth_per_year for r in self.regions])
        g0 = g0 * u.demand_growth_scale
        g_inf = u.growth_long_run_per_year * u.demand_growth_scale
        return d0, g0, g_inf, u.growth_decay_years

    def demand_at(self, t: float) -> np.ndarray:
        """Compute demand of every region at day ``t`` (H100e)."""
        d0, g0, g_inf, decay = self._demand_curve
        return np.asarray(d0 * growth_factor(t, g0, g_inf, decay))

    def region_demand(self, r: int, t: np.ndarray) -> np.ndarray:
        """Compute demand of region ``r`` at each of the days ``t`` (H100e)."""
        s = self.scenario
        u = s.uncertainties
        reg = s.regions[self.regions[r]].demand
        g0 = reg.growth_per_year * u.demand_growth_scale
        g_inf = u.growth_long_run_per_year * u.demand_growth_scale
        return reg.initial_h100e * growth_factor(t, g0, g_inf, u.growth_decay_years)

    def build_output(self, t: float) -> np.ndarray:
        """What each build produces at day ``t`` (H100e/yr): nothing before its first output,
        then a linear climb over its ramp to its size."""
        ramp = np.maximum(self.build_ramp, 1e-9)
        made = self.build_size * np.clip((t - self.build_online) / ramp, 0.0, 1.0)
        return np.asarray(np.where(t >= self.build_online, made, 0.0))

    def chip_nominal(self, t: float) -> np.ndarray:
        """Capacity of each chip row at day ``t`` before disruptions and health (H100e/yr)."""
        return self._nominal(t).copy()

    def nominal_now(self, t: float) -> np.ndarray:
        """:meth:`chip_nominal` without the copy: the kept array itself, for a caller that
        only reads it before the world changes (the step's compiled supply reads it once)."""
        return self._nominal(t)

    def _nominal_key(self, t: float) -> tuple[float, int, bytes]:
        # the day and the builds' sizes: a test changes a build's size in place, and the
        # bytes are cheaper to take than their sum
        return (t, self.build_row.size, self.build_size.tobytes())

    def _nominal(self, t: float) -> np.ndarray:
        # asked for many times a step at the same day: kept for the day and the builds it saw;
        # the kept array itself, which callers here only read
        key = self._nominal_key(t)
        if self.nominal_memo.key == key:
            return self.nominal_memo.value
        u = self.scenario.uncertainties
        factor = growth_factor(t, self.chip_g0, u.growth_long_run_per_year, u.growth_decay_years)
        # the trend, less what builds move out of a row, plus what they add (a build gives
        # nothing before its first output, then climbs linearly over its ramp; a firm's site
        # abroad moves that capacity out of the firm's home row, which its growth already
        # counted): compiled (kernels/supply.py; nominal_ref is its numpy twin, with
        # built_capacity_ref's), the exponential numpy's
        out = np.asarray(
            supply_kernels.nominal(
                self.chip_cap0,
                factor,
                float(t),
                self.build_size,
                self.build_online,
                self.build_ramp,
                self.build_row,
                self.build_moves,
                self.chip_owner,
            )
        )
        self.nominal_memo.keep(key, out)
        return out

    def capacity_key(self, t: float) -> tuple[object, ...]:
        """Everything :meth:`chip_capacity` at day ``t`` is computed from, as a key for the
        memos of it and of what follows from it alone (equal keys, equal capacity)."""
        return (
            self._nominal_key(t),
            self.litho_factor.tobytes(),
            self.materials_factor.tobytes(),
            self.materials_at_risk.tobytes(),
            self.chip_disruption.tobytes(),
        )

    def chip_capacity(self, t: float, key: tuple[object, ...] | None = None) -> np.ndarray:
        """Capacity of each chip supplier at day ``t`` (H100e/day), after disruptions.

        ``key`` is :meth:`capacity_key` at ``t`` if the caller has it already.
        """
        # asked for a dozen times a step: kept for the inputs it was computed from (the
        # nominal capacity's are the day and the builds)
        if key is None:
            key = self.capacity_key(t)
        if self.capacity_memo.key == key:
            return self.capacity_memo.value.copy()
        # compiled, element by element (kernels/supply.py; capacity_ref is its numpy twin)
        out = np.asarray(
            supply_kernels.capacity(
                self._nominal(t),
                self.litho_factor,
                self.materials_factor,
                self.materials_at_risk,
                self.chip_disruption,
                float(DAYS_PER_YEAR),
            )
        )
        self.capacity_memo.keep(key, out.copy())
        return out

    def rows_of_good(self, good: str) -> np.ndarray:
        """Rows of the suppliers of ``good`` (read-only; empty where there are none)."""
        rows = self.good_rows.get(good)
        return rows if rows is not None else _NO_ROWS

    def rows_of_goods(self, goods: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """The rows of each of ``goods``, one after another, and where each good's start
        (``offsets``, one longer than ``goods``): the form the chain's kernels take."""
        known = self.rows_memo.get(goods)
        if known is None:
            parts = [self.rows_of_good(g) for g in goods]
            offsets = np.zeros(len(goods) + 1, dtype=np.int64)
            offsets[1:] = np.cumsum([p.size for p in parts])
            rows = np.concatenate(parts).astype(np.int64) if parts else _NO_ROWS.copy()
            known = (rows, offsets)
            self.rows_memo[goods] = known
        return known

    def rows_of(self, supplier: str) -> list[int]:
        """Rows of supplier ``supplier``: its own and its sites abroad."""
        if supplier not in self.chip:
            return []
        own = self.chip.index(supplier)
        return [int(s) for s in np.flatnonzero(self.chip_owner == own)]

    def materials_health(self) -> np.ndarray:
        """Share of its output each chip supplier can make with the material it has.

        A fab with a share ``h`` of its material (``materials_factor``) of which a share ``d``
        of its output depends (``materials_at_risk``) runs at ``1 - d (1 - h)``.

        Returns
        -------
        numpy.ndarray
            Per chip supplier, in [0, 1]; exactly ``materials_factor`` where ``d`` is 1 or
            unset.
        """
        # compiled, element by element (kernels/supply.py; materials_health_ref is its numpy
        # twin, written so that d = 1 gives h to the last bit)
        return np.asarray(
            supply_kernels.materials_health(self.materials_factor, self.materials_at_risk)
        )

    def add_site(
        self,
        region: int,
        capacity: float,
        built: float,
        retire: float,
        capex: float,
        factory: bool = False,
    ) -> None:
        """Add a site of ``capacity`` H100e to ``region``, live from ``built`` to ``retire``,
        bought at ``capex`` USD per H100e (an AI factory if ``factory``)."""
        self.site_factory = np.append(self.site_factory, bool(factory))
        self.site_capex = np.append(self.site_capex, float(capex))
        self.site_region = np.append(self.site_region, np.int64(region))
        self.site_cap = np.append(self.site_cap, float(capacity))
        self.site_built = np.append(self.site_built, float(built))
        self.site_retire = np.append(self.site_retire, float(retire))

    def live_sites(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Region and capacity of the sites live at day ``t`` (read-only arrays)."""
        return self._sites(t, False)

    def _sites(self, t: float, factories: bool) -> tuple[np.ndarray, np.ndarray]:
        return cast(tuple[np.ndarray, np.ndarray], self._sites_entry(t, factories)[2])

    def _sites_entry(self, t: float, factories: bool) -> list[Any]:
        # asked for a dozen times a step, at the step's day and (the factories' trainees) a
        # day some years before. The live sites change only where a site is built or retires,
        # so an answer is kept with the days [lo, hi) between two such edges it holds for,
        # and for the number of sites (sites are only ever added). An entry is
        # [lo, hi, (region, capacity), per-region totals or None until asked for]
        kept = self.sites_memo.get((factories, self.site_cap.size))
        if kept is not None:
            for known in kept:
                if known[0] <= t < known[1]:
                    return known
        else:
            kept = []
            self.sites_memo.clear()  # answers for fewer sites are no longer asked for
            self.sites_memo[(factories, self.site_cap.size)] = kept
            self.sites_memo[(not factories, self.site_cap.size)] = []
        built, retire = self.site_built, self.site_retire
        live = (built <= t) & (retire > t)
        if factories:
            live &= self.site_factory
        region, cap = self.site_region[live], self.site_cap[live]
        region.setflags(write=False)
        cap.setflags(write=False)
        # the same sites are live from the last edge at or before t to the next one after it
        edges = np.concatenate((built, retire))
        lo = float(edges[edges <= t].max(initial=-np.inf))
        hi = float(edges[edges > t].min(initial=np.inf))
        if len(kept) >= 4:  # a step asks at one or two days
            kept.clear()
        found: list[Any] = [lo, hi, (region, cap), None]
        kept.append(found)
        return found

    def site_totals(self, t: float, factories: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Capacity (H100e) and number of the sites live at day ``t`` in each region (R,
        float64 each; read-only): of the AI factories' sites alone if ``factories``."""
        entry = self._sites_entry(t, factories)
        if entry[3] is None:
            region, cap = entry[2]
            n = self.n_regions
            totals = (
                np.bincount(region, weights=cap, minlength=n).astype(np.float64),
                np.bincount(region, minlength=n).astype(np.float64),
            )
            read_only(totals)
            entry[3] = totals
        return cast(tuple[np.ndarray, np.ndarray], entry[3])

    def own_capital_cost(self, t: float) -> np.ndarray:
        """Yearly capital cost of each region's live sites at day ``t`` (USD/yr): what each
        was bought at, over the region's site life."""
        # read at every sample: kept beside the live sites' entry (the same sites are live for
        # its days and its number of sites, and sites are only ever added) with the site lives
        # it was computed for, as a fifth slot of the entry
        entry = self._sites_entry(t, False)
        life = self.params.life_years
        key = life.tobytes()
        if len(entry) > 4 and entry[4][0] == key:
            return cast(np.ndarray, entry[4][1]).copy()
        live = (self.site_built <= t) & (self.site_retire > t)
        region = self.site_region[live]
        per_year = self.site_cap[live] * self.site_capex[live] / life[region]
        cost = np.bincount(region, weights=per_year, minlength=self.n_regions).astype(np.float64)
        kept = (key, cost.copy())
        if len(entry) > 4:
            entry[4] = kept
        else:
            entry.append(kept)
        return cost

    def factory_sites(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Region and capacity of the AI factories' sites live at day ``t`` (read-only)."""
        # the entry's pair itself, without _sites' cast (a call at run time): asked for at
        # every step by the specialists' need
        entry: tuple[np.ndarray, np.ndarray] = self._sites_entry(t, True)[2]
        return entry

    def own_capacity(self, t: float) -> np.ndarray:
        """Installed own capacity per region at day ``t`` (sites built and not retired)."""
        return self.site_totals(t)[0].copy()
