"""The world's state as arrays (structure of arrays), built from a validated scenario.

Indices: ``r`` regions in scenario order, ``p`` cloud providers, ``s`` chip-chain suppliers,
``d`` accelerator designers (a subset of ``s``), ``c`` customers of a region, ``l`` layers.
Everything a process changes lives here; the modules beside this one hold the dynamics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ecosim.core.clock import DAYS_PER_YEAR
from ecosim.core.rng import Streams
from ecosim.kernels.market import market_shares
from ecosim.scenario.models import (
    LAYERS,
    Scenario,
)
from ecosim.world.growth import growth_factor


@dataclass
class Order:
    """Accelerators ordered by a region (own build) or a provider; filled first in, first out."""

    buyer_kind: str  # "region" or "provider"
    buyer: int
    designer: int
    quantity: float
    remaining: float
    placed: float
    project: int = -1  # build project waiting for it, or -1


@dataclass
class Project:
    """A region's build project: done when construction is over and accelerators are in."""

    region: int
    quantity: float
    decided: float
    construction_done: float
    delivered: float = 0.0
    finished: bool = False


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
    build_share: np.ndarray
    multi_cloud: np.ndarray
    sovereign_cloud: np.ndarray
    mirror: np.ndarray
    federated: np.ndarray
    talent_programme: np.ndarray

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
            build_share=col(lambda r: r.levers.build_share),
            multi_cloud=col(lambda r: r.levers.multi_cloud),
            sovereign_cloud=col(lambda r: r.levers.sovereign_cloud_share),
            mirror=col(lambda r: r.levers.open_weights_mirror),
            federated=col(lambda r: r.levers.federated_learning),
            talent_programme=col(lambda r: r.levers.talent_programme),
        )


@dataclass
class World:
    """All mutable state of one run."""

    scenario: Scenario
    streams: Streams
    regions: list[str]
    providers: list[str]
    chip: list[str]
    designers: np.ndarray  # indices into chip of accelerator suppliers
    params: RegionParams
    t: float = 0.0
    # --- chip supply chain (s over chip suppliers)
    chip_good: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    chip_home: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    chip_cap0: np.ndarray = field(default_factory=lambda: np.zeros(0))
    chip_g0: np.ndarray = field(default_factory=lambda: np.zeros(0))
    chip_cycle: np.ndarray = field(default_factory=lambda: np.zeros(0))
    chip_disruption: np.ndarray = field(default_factory=lambda: np.zeros(0))  # share lost
    litho_factor: np.ndarray = field(default_factory=lambda: np.zeros(0))  # fab health
    # share h of its full use of restricted material a wafer fab has over the step: what it
    # may still get plus what its stock covers (1 elsewhere)
    materials_factor: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # share d of a fab's output that needs the restricted material: the largest
    # output_share_at_risk of the restrictions targeting it; NaN where none does, and then
    # all of it, so a shortfall from any other cause (an export control) cuts output as before
    materials_at_risk: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # restricted material a wafer fab holds in store, in days of its full use (d)
    materials_stock: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # the stock a fab keeps once a restriction taught it to (d); it refills toward it
    materials_target: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # pace at which a fab buys stock while it can buy freely (days of stock per day)
    materials_refill: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # materials[m]: index into chip of the m-th materials supplier
    materials: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # materials_source[m, k]: share of stock bought by fabs homed in region k from supplier m
    materials_source: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    # H100e of wafers' worth of material delivered to fabs homed in each region, per materials
    # supplier, since the last record
    materials_delivered: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    chip_boost: np.ndarray = field(default_factory=lambda: np.zeros(0))  # targets' response
    # allow[s, k]: share of s's flow that may go to buyers homed in region k (1 = free)
    allow: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    # sells[k, r]: 1 where designer k sells to buyers homed in region r at all (``sells_to``)
    sells: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    # the fitted region-by-designer split and the (demand, output) state it was fitted for
    split_cache: tuple[bytes, np.ndarray] | None = None
    orders: list[list[Order]] = field(default_factory=list)  # per designer, FIFO
    backlog: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per designer, H100e
    # H100e delivered to buyers homed in each region, per designer, since the last record
    delivered_to: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    # yearly caps on what a supplier may sell to buyers homed in a region (export quotas)
    quota: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    quota_used: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    quota_year: int = -1
    throughput: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per chip supplier
    delivered_total: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per designer
    # --- own compute, by site (arrays, grown by add_site)
    site_region: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    site_cap: np.ndarray = field(default_factory=lambda: np.zeros(0))
    site_built: np.ndarray = field(default_factory=lambda: np.zeros(0))
    site_retire: np.ndarray = field(default_factory=lambda: np.zeros(0))
    projects: list[Project] = field(default_factory=list)
    # --- cloud
    prov_home: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    prov_quality: np.ndarray = field(default_factory=lambda: np.zeros(0))
    prov_price: np.ndarray = field(default_factory=lambda: np.zeros(0))
    prov_headroom: np.ndarray = field(default_factory=lambda: np.zeros(0))
    prov_cap: np.ndarray = field(default_factory=lambda: np.zeros(0))  # H100e installed
    prov_on_order: np.ndarray = field(default_factory=lambda: np.zeros(0))
    prov_available: np.ndarray = field(default_factory=lambda: np.zeros(0))  # outages
    can_join: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.uint8))
    can_stay: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.uint8))
    # price_hike[r, p]: multiplier on provider p's price in region r from price-hike shocks
    price_hike: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    cust_provider: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    cust_weight: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    cust_pref: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    displaced: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    # workload shares (R, P+1; last column the outside option) and displaced share (R,),
    # updated whenever customers move
    shares: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    served_shares: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    displaced_share: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # a displaced customer that found a new provider is served from this day (inf: not yet)
    ready_at: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    next_ready: float = np.inf
    interop: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    # --- shock effects per region
    own_available: np.ndarray = field(default_factory=lambda: np.zeros(0))  # outages
    demand_factor: np.ndarray = field(default_factory=lambda: np.zeros(0))  # surges
    transfer_blocked: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    compelled: np.ndarray = field(default_factory=lambda: np.zeros(0))  # share of data reached
    imposer_cost_rate: np.ndarray = field(default_factory=lambda: np.zeros(0))  # USD/H100e
    control_cost: np.ndarray = field(default_factory=lambda: np.zeros(0))  # USD, cumulative
    # --- levers' state
    stockpile: np.ndarray = field(default_factory=lambda: np.zeros(0))  # H100e in store
    alliance: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    borrowed: np.ndarray = field(default_factory=lambda: np.zeros(0))  # H100e from partners
    # --- derived each refresh (per region)
    demand: np.ndarray = field(default_factory=lambda: np.zeros(0))
    own_cap: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cloud_need: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cloud_cap: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (R, P) delivered
    # --- providers' jurisdiction: exposure[r, p] to foreign compulsion, presence[r, p] in region
    prov_exposure: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    prov_present: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    # --- layers
    talent: np.ndarray = field(default_factory=lambda: np.zeros(0))  # FTE
    frontier_t: list[float] = field(default_factory=list)  # history of the frontier run
    frontier_flop: list[float] = field(default_factory=list)
    open_lag: np.ndarray = field(default_factory=lambda: np.zeros(0))  # months behind frontier
    open_access: np.ndarray = field(default_factory=lambda: np.zeros(0))
    api_lag: np.ndarray = field(default_factory=lambda: np.zeros(0))
    api_foreign: np.ndarray = field(default_factory=lambda: np.zeros(0))  # 1: best API abroad
    own_lag: np.ndarray = field(default_factory=lambda: np.zeros(0))  # frontier lag, daily
    porting_backlog: np.ndarray = field(default_factory=lambda: np.zeros(0))
    stack_access: np.ndarray = field(default_factory=lambda: np.zeros(0))
    api_access: np.ndarray = field(default_factory=lambda: np.zeros(0))
    inoperability: np.ndarray = field(default_factory=lambda: np.zeros((0, len(LAYERS))))
    direct_loss: np.ndarray = field(default_factory=lambda: np.zeros((0, len(LAYERS))))
    # --- build-or-buy reviews (policy): work served and capacity offered since each region's
    # last review (H100e d), and builds decided but not yet live (H100e)
    used_since_review: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cap_since_review: np.ndarray = field(default_factory=lambda: np.zeros(0))
    pipeline: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def n_regions(self) -> int:
        """Number of regions."""
        return len(self.regions)

    def region_index(self, name: str) -> int:
        """Index of region ``name``."""
        return self.regions.index(name)

    def demand_at(self, t: float) -> np.ndarray:
        """Compute demand of every region at day ``t`` (H100e)."""
        s = self.scenario
        u = s.uncertainties
        d0 = np.array([s.regions[r].demand.initial_h100e for r in self.regions])
        g0 = np.array([s.regions[r].demand.growth_per_year for r in self.regions])
        g0 = g0 * u.demand_growth_scale
        g_inf = u.growth_long_run_per_year * u.demand_growth_scale
        return d0 * growth_factor(t, g0, g_inf, u.growth_decay_years)

    def region_demand(self, r: int, t: np.ndarray) -> np.ndarray:
        """Compute demand of region ``r`` at each of the days ``t`` (H100e)."""
        s = self.scenario
        u = s.uncertainties
        reg = s.regions[self.regions[r]].demand
        g0 = reg.growth_per_year * u.demand_growth_scale
        g_inf = u.growth_long_run_per_year * u.demand_growth_scale
        return reg.initial_h100e * growth_factor(t, g0, g_inf, u.growth_decay_years)

    def chip_capacity(self, t: float) -> np.ndarray:
        """Capacity of each chip supplier at day ``t`` (H100e/day), after disruptions."""
        u = self.scenario.uncertainties
        nominal = self.chip_cap0 * growth_factor(
            t, self.chip_g0, u.growth_long_run_per_year, u.growth_decay_years
        )
        health = self.litho_factor * self.materials_health() * self.chip_boost
        return nominal / DAYS_PER_YEAR * (1.0 - self.chip_disruption) * health

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
        h = self.materials_factor
        d = self.materials_at_risk
        # written as h + (1 - d)(1 - h) so that d = 1 gives h to the last bit
        return np.where(np.isnan(d), h, np.minimum(h + (1.0 - d) * (1.0 - h), 1.0))

    def add_site(self, region: int, capacity: float, built: float, retire: float) -> None:
        """Add a site of ``capacity`` H100e to ``region``, live from ``built`` to ``retire``."""
        self.site_region = np.append(self.site_region, np.int64(region))
        self.site_cap = np.append(self.site_cap, float(capacity))
        self.site_built = np.append(self.site_built, float(built))
        self.site_retire = np.append(self.site_retire, float(retire))

    def live_sites(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Region and capacity of the sites live at day ``t``."""
        live = (self.site_built <= t) & (self.site_retire > t)
        return self.site_region[live], self.site_cap[live]

    def own_capacity(self, t: float) -> np.ndarray:
        """Installed own capacity per region at day ``t`` (sites built and not retired)."""
        reg, cap = self.live_sites(t)
        return np.bincount(reg, weights=cap, minlength=self.n_regions).astype(np.float64)


def update_shares(w: World) -> None:
    """Recompute workload shares after customers moved or finished migrating."""
    n_p = len(w.providers)
    w.shares = np.asarray(market_shares(w.cust_provider, w.cust_weight, n_p))
    # customers still migrating are contracted but not served yet
    serving = np.where(w.displaced, -1, w.cust_provider)
    w.served_shares = np.asarray(market_shares(serving, w.cust_weight, n_p))
    total = np.maximum(w.cust_weight.sum(axis=1), 1e-300)
    w.displaced_share = (w.cust_weight * w.displaced).sum(axis=1) / total
    waiting = w.ready_at[w.displaced]
    w.next_ready = (
        float(waiting[np.isfinite(waiting)].min()) if np.isfinite(waiting).any() else np.inf
    )


def finish_migrations(w: World, t: float) -> None:
    """Customers whose migration is over are served by their new provider from ``t``."""
    if t < w.next_ready:
        return
    done = w.displaced & (w.ready_at <= t)
    w.displaced &= ~done
    w.ready_at[done] = np.inf
    update_shares(w)


def demand_by_provider(w: World) -> np.ndarray:
    """H100e each region's customers ask of each provider (R, P), before rationing."""
    return np.asarray(w.served_shares[:, : len(w.providers)] * w.cloud_need[:, None])


def provider_usage(w: World) -> np.ndarray:
    """H100e contracted at each provider, including customers still migrating to it."""
    return np.asarray((w.shares[:, : len(w.providers)] * w.cloud_need[:, None]).sum(axis=0))
