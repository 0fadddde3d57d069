"""The initial state of a run's world, built from a validated scenario."""

from __future__ import annotations

import numpy as np

from ecosim.core.rng import Streams
from ecosim.core.units import DAYS_PER_YEAR
from ecosim.scenario.models import (
    LAYERS,
    CloudProvider,
    ModelSupplier,
    Scenario,
)
from ecosim.world import capacity, levers, prices, supply
from ecosim.world.capability import update_frontier
from ecosim.world.cloud import regional_usage, update_shares
from ecosim.world.market_fit import fit_constants, place_customers
from ecosim.world.state import RegionParams, World


def build_world(scenario: Scenario, streams: Streams) -> World:
    """Create the initial state of every region, supplier and customer."""
    regions = scenario.region_names
    ridx = {r: i for i, r in enumerate(regions)}
    providers = [k for k, v in scenario.suppliers.items() if isinstance(v, CloudProvider)]
    rows = capacity.chip_rows(scenario)
    chip = [row.name for row in rows]
    designers = np.array(
        [i for i, row in enumerate(rows) if row.good == "accelerator"], dtype=np.int64
    )
    n_r, n_p, n_s = len(regions), len(providers), len(chip)
    w = World(
        scenario=scenario,
        streams=streams,
        regions=regions,
        providers=providers,
        chip=chip,
        designers=designers,
        params=RegionParams.of(scenario),
    )

    w.chip_good = np.array([row.good for row in rows], dtype=object)
    for good in dict.fromkeys(w.chip_good):
        # an array of its own (flatnonzero's is a view of a writable one): read-only and
        # owning its data, the no-shock twin shares it (state.twin_copy)
        w.good_rows[str(good)] = np.flatnonzero(w.chip_good == good).copy()
        w.good_rows[str(good)].setflags(write=False)
    w.chip_home = np.array([ridx[row.home] for row in rows], dtype=np.int64)
    w.chip_owner = np.array([chip.index(row.supplier) for row in rows], dtype=np.int64)
    w.chip_cap0 = np.array([row.capacity for row in rows])
    w.chip_g0 = np.array([row.growth for row in rows])
    w.chip_cycle = np.array([row.cycle_days for row in rows])
    w.imports_stopped = np.zeros(n_r, dtype=bool)
    capacity.schedule_sites(w)
    w.chip_disruption = np.zeros(n_s)
    w.litho_factor = np.ones(n_s)
    w.materials_factor = np.ones(n_s)
    w.materials_at_risk = np.full(n_s, np.nan)
    w.materials_stock = np.zeros(n_s)
    w.materials_target = np.zeros(n_s)
    w.materials_refill = np.zeros(n_s)
    w.materials = np.flatnonzero(w.chip_good == "materials").astype(np.int64)
    w.materials.setflags(write=False)  # as the other goods' rows: the twin shares them
    mat_cap = w.chip_cap0[w.materials]
    # until a restriction names the imposers, stock would be bought as material is: by share
    w.materials_source = np.repeat(
        (mat_cap / mat_cap.sum() if mat_cap.sum() > 0 else mat_cap)[:, None], n_r, axis=1
    )
    w.materials_delivered = np.zeros((n_r, w.materials.size))
    w.allow = np.ones((n_s, n_r))
    w.sells = np.ones((len(designers), n_r))
    for k, d in enumerate(designers):
        only = rows[int(d)].sells_to
        if only:
            w.sells[k] = 0.0
            w.sells[k, [ridx[r] for r in only if r in ridx]] = 1.0
    stacks = {r: scenario.regions[r].software.proprietary_stack for r in regions}
    w.native = np.array(
        [[float(rows[int(d)].stack in (None, stacks[r])) for r in regions] for d in designers]
    ).reshape(len(designers), n_r)
    w.backlog = np.zeros(len(designers))
    w.delivered_to = np.zeros((n_r, len(designers)))
    w.quota = np.full((n_s, n_r), np.inf)
    w.quota_used = np.zeros((n_s, n_r))
    w.throughput = np.zeros(n_s)
    w.delivered_total = np.zeros(len(designers))

    provs = [scenario.suppliers[k] for k in providers]
    w.prov_home = np.array([ridx[p.home] for p in provs], dtype=np.int64)
    w.prov_quality = np.array([p.quality for p in provs])  # type: ignore[union-attr]
    w.prov_price = np.array([p.price_usd_per_h100e_hour for p in provs])  # type: ignore[union-attr]
    w.prov_headroom = np.array([p.headroom for p in provs])  # type: ignore[union-attr]
    w.prov_tail = np.array([p.long_tail for p in provs], dtype=bool)  # type: ignore[union-attr]
    _init_jurisdiction(w)
    # a provider serves only where it operates: its home, present_in and sovereign offerings
    w.can_join = w.prov_present.astype(np.uint8)
    w.can_stay = w.prov_present.astype(np.uint8)
    w.price_hike = np.ones((n_r, n_p))
    w.prov_available = np.ones(n_p)
    w.own_available = np.ones(n_r)
    w.demand_factor = np.ones(n_r)
    w.transfer_blocked = np.zeros((n_r, n_p), dtype=bool)
    w.compelled = np.zeros(n_r)
    w.compromised = np.zeros((n_r, n_p))
    w.imposer_cost_rate = np.zeros(n_r)
    w.control_cost = np.zeros(n_r)
    w.stockpile = np.array([scenario.regions[r].levers.stockpile_h100e for r in regions])
    w.borrowed = np.zeros(n_r)
    levers.init_partners(w)
    _init_sites(w)
    _init_customers(w)
    update_shares(w)
    w.demand = w.demand_at(0.0)
    w.own_cap = w.own_capacity(0.0)
    w.cloud_need = np.maximum(0.0, w.demand * (1 + w.params.margin) - w.own_cap)
    w.prov_cap = regional_usage(w) * (1.0 + w.prov_headroom[None, :])
    w.prov_cancelled = np.zeros(n_p)
    w.cloud_cap = np.zeros((n_r, n_p))
    w.porting_backlog = np.zeros(n_r)
    w.portable = w.params.open_stack.copy()
    w.capex_spent = np.zeros(n_r)
    w.talent = w.params.staff0.copy()
    _init_model_sources(w)
    update_frontier(w, 0.0)
    w.stack_access = np.ones(n_r)
    w.api_access = np.ones(n_r)
    w.inoperability = np.zeros((n_r, len(LAYERS)))
    w.direct_loss = np.zeros((n_r, len(LAYERS)))
    w.used_since_review = np.zeros(n_r)
    w.cap_since_review = np.zeros(n_r)
    w.pipeline = np.zeros(n_r)
    prices.start(w)
    supply.start_fleets(w)
    return w


def _init_jurisdiction(w: World) -> None:
    residual = w.scenario.uncertainties.capability.sovereign_residual_exposure
    n_r, n_p = w.n_regions, len(w.providers)
    w.prov_exposure = np.ones((n_r, n_p))
    w.prov_present = np.zeros((n_r, n_p), dtype=bool)
    for p, pid in enumerate(w.providers):
        spec = w.scenario.suppliers[pid]
        assert isinstance(spec, CloudProvider)
        home = int(w.prov_home[p])
        w.prov_exposure[home, p] = 0.0
        w.prov_present[home, p] = True
        for name in spec.present_in:
            w.prov_present[w.region_index(name), p] = True
        for name in spec.sovereign_regions:
            r = w.region_index(name)
            w.prov_present[r, p] = True
            if r != home:
                w.prov_exposure[r, p] = residual


def _init_model_sources(w: World) -> None:
    """Best open weights and API each region can use at the start (months behind frontier)."""
    sources = [v for v in w.scenario.suppliers.values() if isinstance(v, ModelSupplier)]
    weights = [v.months_behind_frontier for v in sources if v.good == "open_weights"]
    apis = sorted(
        (v.months_behind_frontier, w.region_index(v.home)) for v in sources if v.good == "model_api"
    )
    big = 1200.0  # no source of that kind: a century behind, never useful
    w.open_lag = np.full(w.n_regions, min(weights, default=big))
    w.api_lag = np.full(w.n_regions, apis[0][0] if apis else big)
    w.api_foreign = np.array([0.0 if apis and apis[0][1] == r else 1.0 for r in range(w.n_regions)])
    w.open_access = np.ones(w.n_regions)
    p = w.params
    w.model_mix = np.column_stack([p.own_models, p.open_models, p.api_models]).astype(np.float64)


def _init_sites(w: World) -> None:
    """Split each region's initial own capacity into its largest site and typical sites.

    Ages are spread evenly over the life so the initial stock retires gradually, not at once.
    """
    for r, name in enumerate(w.regions):
        comp = w.scenario.regions[name].compute
        life = comp.life_years * DAYS_PER_YEAR
        remaining = comp.own_h100e
        sizes: list[float] = []
        if remaining > 0:
            first = min(comp.largest_site_h100e, remaining) or remaining
            sizes.append(first)
            remaining -= first
        while remaining > 1e-9:
            size = min(comp.typical_site_h100e, remaining)
            sizes.append(size)
            remaining -= size
        for k, size in enumerate(sizes):
            # the largest site is the newest; the others are spread over ages [0, life)
            age = 0.0 if k == 0 else life * ((k - 1) + 0.5) / max(1, len(sizes) - 1)
            w.add_site(r, size, -age, life - age, float(w.params.capex[r]))


def _init_customers(w: World) -> None:
    """Draw customers' sizes, segments and preferences, fit the market and place them."""
    s = w.scenario
    m = s.uncertainties.market
    n_p = len(w.providers)
    sizes = [s.regions[r].cloud.customers for r in w.regions]
    n_c = max(sizes)
    shape = (w.n_regions, n_c)
    w.cust_provider = np.full(shape, -1, dtype=np.int64)
    w.cust_weight = np.zeros(shape)
    w.cust_weight0 = np.zeros(shape)
    w.cust_pref = np.zeros(shape)
    w.cust_segment = np.full(shape, -1, dtype=np.int64)
    w.cust_alpha = np.zeros(shape)
    w.cust_switch = np.zeros(shape)
    w.displaced = np.zeros(shape, dtype=bool)
    w.ready_at = np.full(shape, np.inf)
    w.prov_asc = np.zeros((w.n_regions, n_p))
    segments = list(m.segments.values())
    w.segment_growth = np.array([g.growth_offset_per_year for g in segments])
    spread = m.pref_spread
    for r, name in enumerate(w.regions):
        cloud = s.regions[name].cloud
        rng = w.streams.get(f"customers/init/{name}")
        c = cloud.customers
        # customer sizes: lognormal, so a few large accounts hold much of the workload
        weight = rng.lognormal(0.0, 1.0, size=c)
        w.cust_weight0[r, :c] = weight / weight.sum()
        w.cust_weight[r, :c] = w.cust_weight0[r, :c]
        pref = rng.lognormal(-0.5 * spread**2, spread, size=c)
        # segments by cumulative workload over a random order, so their workload shares are
        # the listed ones
        seg_rng = w.streams.get(f"customers/segments/{name}")
        order = seg_rng.permutation(c)
        cum = np.cumsum(w.cust_weight0[r, order])
        edges = np.cumsum([cloud.segment_shares[k] for k in m.segments])
        seg = np.minimum(np.searchsorted(edges, cum - 1e-12), len(segments) - 1)
        w.cust_segment[r, order] = seg
        scale = np.array([g.sovereignty_scale for g in segments])[w.cust_segment[r, :c]]
        w.cust_pref[r, :c] = cloud.sovereignty_pref * scale * pref
        price = np.array([g.price_scale for g in segments])
        switch = np.array([g.switching_scale for g in segments])
        w.cust_alpha[r, :c] = m.alpha_price * price[w.cust_segment[r, :c]]
        w.cust_switch[r, :c] = cloud.switching_cost * switch[w.cust_segment[r, :c]]
        place_rng = w.streams.get(f"customers/start/{name}")
        w.cust_provider[r, :c] = place_customers(w, r, cloud.initial_shares, place_rng)
        # the market rests where the region's listing says, unless it is told it is heading
        # elsewhere (a historical episode that starts out of balance)
        resting = cloud.equilibrium_shares or cloud.initial_shares
        w.prov_asc[r] = fit_constants(w, r, resting)
