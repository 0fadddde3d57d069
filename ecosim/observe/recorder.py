"""Watches the world at every step and samples it onto the recording grid.

The recorder only reads. The engine calls :meth:`Recorder.observe` once per world step, after
the step is closed; the recorder never advances, updates or resets the world, so a run's
trajectory does not depend on how often it records.

Each variable declares its dims, units, long name and kind up front (:data:`VARIABLES`):

* **state** variables (``kind="state"``, CF ``cell_methods: "time: point"``) are the world's
  state sampled at the recording time; at a date two grids share they are bit-identical;
* **per-period** variables (``"time: sum"``, and ``queue_wait``'s ``"time: mean"``) are summed
  over every step of the recording period that ends at the recording time, so a coarser
  grid loses no work: summed over the run, they are the same at every interval.

Buffers are allocated at the start, time first, and wrapped as an ``xarray.Dataset`` at the
end; a step's flows are added straight into the row of the sample whose period they fall in.
Beside them the recorder keeps the **step trace**: the metric inputs (``service``,
``service_direct``, ``hhi``) at every step, from which the metrics are computed whatever
the recording interval (and from which their samples are copied at the end).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from ecosim.core.clock import step_grid
from ecosim.core.units import DAYS_PER_YEAR
from ecosim.kernels import costs as kc
from ecosim.kernels import jobs as jk
from ecosim.kernels import record as kr
from ecosim.scenario.models import LAYERS, Scenario
from ecosim.world import (
    capability,
    capacity,
    cloud,
    costs,
    federated,
    layers,
    programmes,
    supply,
    talent,
    workloads,
)
from ecosim.world.jobs import JobFlow
from ecosim.world.shocks import Occurrence
from ecosim.world.state import Memo, World
from ecosim.world.step import StepFlows

#: CF ``cell_methods`` of each kind of variable.
CELL_METHODS: dict[str, str] = {"state": "time: point", "sum": "time: sum", "mean": "time: mean"}


@dataclass(frozen=True)
class Variable:
    """An output series: its dims after ``time``, units, long name, kind and dtype.

    ``kind`` is ``"state"`` (sampled at the recording time), ``"sum"`` (summed over the steps
    of the recording period) or ``"mean"`` (a ratio of such sums).
    """

    dims: tuple[str, ...]
    units: str
    long_name: str
    dtype: Any = np.float64
    kind: str = "state"


#: Model sources, in the order of :func:`ecosim.world.layers.model_lags`.
MODEL_SOURCES: tuple[str, ...] = ("own", "open_weights", "foreign_api")

VARIABLES: dict[str, Variable] = {
    "service": Variable(("region", "layer"), "1", "share of demand met (after layer coupling)"),
    "service_direct": Variable(
        ("region", "layer"), "1", "share of demand met from the layer's own state (direct loss)"
    ),
    "inoperability": Variable(("region", "layer"), "1", "inoperability q = 1 - service"),
    "demand": Variable(("region",), "H100e", "compute demand (average concurrent use)"),
    "capacity_own": Variable(("region",), "H100e", "own installed compute capacity"),
    "capacity_cloud": Variable(("region",), "H100e", "cloud capacity delivered to the region"),
    "cloud_served": Variable(
        ("region", "provider"),
        "H100e",
        "cloud capacity each provider delivers to the region (0 for the outside option)",
    ),
    "market_share": Variable(
        ("region", "provider"), "1", "share of the region's cloud workload per provider"
    ),
    "hhi": Variable(
        ("region",),
        "1",
        "Herfindahl index of the region's cloud market (0-1); a long tail of small providers "
        "counts in the market but not as one firm",
    ),
    "lead_time": Variable(("good",), "d", "order-to-delivery lead time"),
    "lead_time_designer": Variable(
        ("supplier",),
        "d",
        "lead time each accelerator designer quotes: its cycle plus its backlog ahead over "
        "the rate it can produce at now",
    ),
    "lead_time_buyer": Variable(
        ("region",),
        "d",
        "accelerator lead time faced by buyers homed in the region (designers' lead times "
        "weighted by what the region still waits for at each)",
    ),
    "lead_time_capped": Variable(
        ("good",), "1", "lead time at its cap (embargo or runaway backlog)", np.bool_
    ),
    "accelerator_price": Variable(
        ("region",),
        "USD/H100e",
        "price of an accelerator per H100e paid by buyers homed in the region: the designers' "
        "prices (trend times scarcity) weighted by what the region buys, with the premium a "
        "control puts on its blocked supply",
    ),
    "accelerator_price_designer": Variable(
        ("supplier",),
        "USD/H100e",
        "price each accelerator designer charges per H100e: the trend times its scarcity "
        "premium on its smoothed quote",
    ),
    "cloud_price": Variable(
        ("region", "provider"),
        "USD/(H100e h)",
        "effective (blended committed) price of an H100e-hour at each provider in the region; "
        "0 for the outside option",
    ),
    "queue_wait": Variable(
        ("region",), "d", "mean wait of AI jobs arriving in the period", kind="mean"
    ),
    "backlog": Variable(("region",), "H100e d", "work waiting in the job queue"),
    "compute_requested": Variable(
        ("region",), "H100e d", "work requested in the period", kind="sum"
    ),
    "compute_served": Variable(("region",), "H100e d", "work served in the period", kind="sum"),
    "compute_abandoned": Variable(
        ("region",), "H100e d", "work abandoned in the period", kind="sum"
    ),
    "service_by_workload": Variable(
        ("region", "workload"),
        "1",
        "served over requested work of each workload, smoothed over service_window_days",
    ),
    "workload_demand": Variable(("region", "workload"), "H100e", "compute demand of each workload"),
    "workload_capacity": Variable(
        ("region", "workload"), "H100e", "capacity set aside for each workload's queue"
    ),
    "workload_served": Variable(
        ("region", "workload"), "H100e d", "work served in the period, by workload", kind="sum"
    ),
    "designer_dependence": Variable(
        ("region", "supplier"),
        "1",
        "share of the chips the region's buyers hold from each designer (deliveries over the "
        "hardware life)",
    ),
    "portable_share": Variable(
        ("region",), "1", "share of the region's work ported to stacks any designer's chips run"
    ),
    "factory_users": Variable(
        ("region", "user_class"),
        "H100e",
        "AI factories' capacity available to each user class under the programme's shares",
    ),
    "factory_support_staff": Variable(
        ("region",), "FTE", "support specialists of the open AI factories"
    ),
    "jobs_overflow": Variable(
        ("region",), "1", "arrivals in the period dropped because the job pool was full", kind="sum"
    ),
    "cost": Variable(
        ("region",),
        "USD/yr",
        "annualised cost of compute and levers: each live site's capex at the price it was "
        "bought at over its life, opex, cloud rent and lever costs at today's prices (a site "
        "costs nothing here until it is live; cash_flow pays it while it is built)",
    ),
    "capex_spent": Variable(
        ("region",),
        "USD",
        "capital paid for own capacity in the period: accelerators at their price on delivery, "
        "servers, network and facility while a site is built",
        kind="sum",
    ),
    "cash_flow": Variable(
        ("region",),
        "USD/yr",
        "cash spending as a yearly rate: the period's capital paid (capex_spent "
        "over the period) plus, at the recording time, operating cost of own capacity, cloud "
        "rent and lever costs",
        kind="mean",
    ),
    "lever_cost": Variable(
        ("region",), "USD/yr", "part of cost due to levers beyond the capacity they buy"
    ),
    "cost_breakdown": Variable(
        ("region", "cost_item"),
        "USD/yr",
        "cost in its parts: own capacity's capital (live sites' capex over their life) and "
        "running cost, cloud rent, and each lever's cost beyond the capacity it buys; the "
        "parts sum to cost",
    ),
    "borrowed": Variable(("region",), "H100e", "capacity borrowed from alliance partners"),
    "deliveries": Variable(
        ("region", "supplier"),
        "H100e",
        "accelerators delivered in the period to buyers homed in the region, per designer",
        kind="sum",
    ),
    "materials_deliveries": Variable(
        ("region", "material"),
        "H100e",
        "chip-making materials delivered in the period to wafer fabs homed in the region, per "
        "materials supplier, counted as the H100e of wafers they serve at full output (stock "
        "bought included)",
        kind="sum",
    ),
    "provider_available": Variable(
        ("provider",), "1", "share of each provider's fleet up (outages)"
    ),
    "own_available": Variable(("region",), "1", "share of the region's own sites up (outages)"),
    "talent": Variable(("region",), "FTE", "AI and HPC specialists"),
    "talent_needed": Variable(("region",), "FTE", "specialists operations and own models need"),
    "talent_borrowed": Variable(
        ("region",), "FTE", "specialists lent by partners sharing talent, from their surplus"
    ),
    "federated_share": Variable(
        ("region",), "1", "share of the region's compute training federated (DiLoCo-style)"
    ),
    "exposure": Variable(
        ("region", "layer"), "1", "share of the layer exposed to foreign legal compulsion"
    ),
    "data_location": Variable(("region", "location"), "1", "share of data by location class"),
    "largest_run": Variable(("region",), "FLOP", "largest training run that fits one own site"),
    "largest_run_multisite": Variable(
        ("region",),
        "FLOP",
        "largest run the region trains: over the federated share of its other sites and its "
        "federation partners' sites, with the communication overhead; largest_run without "
        "federated training",
    ),
    "frontier_lag": Variable(
        ("region",),
        "month",
        "months behind the largest run anywhere: the doublings from this region's largest run "
        "to it, at the historical pace of frontier training compute",
    ),
    "model_mix": Variable(
        ("region", "source"), "1", "share of model use from each source: own, open weights, API"
    ),
    "model_lag": Variable(
        ("region", "source"), "month", "months behind the frontier of each model source"
    ),
    "porting_backlog": Variable(("region",), "1", "share of workload waiting to be ported"),
    "compelled": Variable(
        ("region",), "1", "share of the region's data reached by foreign legal compulsion"
    ),
    "control_cost": Variable(
        ("region",), "USD", "sales lost by the region's suppliers to its export controls"
    ),
    "accelerator_price_index": Variable(
        ("region",),
        "1",
        "price of an accelerator paid by buyers homed in the region over the trend's price "
        "(1: an undisturbed chain as it stood at the start)",
    ),
    "chip_capacity": Variable(
        ("stage", "region"),
        "H100e/yr",
        "chip-making capacity of each stage of the chain made in the region, after disruptions, "
        "tool wear and materials",
    ),
    "self_sufficiency": Variable(
        ("region",),
        "1",
        "accelerators a year the region's own chain can make (its least stage), over its "
        "purchases a year (demand growth plus replacement); 1 covers them",
    ),
    "chip_capex": Variable(
        ("region",),
        "USD",
        "capex of the chip-making capacity whose construction started in the region since the "
        "start, from every source",
    ),
    "chain_capex": Variable(
        ("region",),
        "USD",
        "capex the region's domestic-chain programme committed since the start",
    ),
}


#: Per-period variables, each with its source among the step's flows.
PERIOD_VARIABLES: tuple[str, ...] = tuple(n for n, v in VARIABLES.items() if v.kind != "state")

#: Variables kept at every step, the inputs of the metrics (:mod:`ecosim.observe.metrics`).
TRACE_VARIABLES: tuple[str, ...] = ("service", "service_direct", "hhi")


T = TypeVar("T")


def _kept(memo: Memo[T], key: object, compute: Callable[[], T]) -> T:
    """A reading kept in ``memo`` while ``key``, the bits of everything it reads, is the same;
    computed again when they changed. The world's readings are pure, so a kept one is what
    computing it again would give."""
    if memo.key != key:
        memo.keep(key, compute())
    return memo.value


class Recorder:
    """A read-only observer of the world: preallocated buffers for :data:`VARIABLES`.

    Parameters
    ----------
    scenario
        The scenario; its ``step_days`` and ``recording.interval_days`` fix both grids.
    w
        The world it watches (for the sizes and labels of the dims).
    occurrences
        Every shock occurrence the run drew, kept for the dataset.
    trace_only
        Keep only :data:`TRACE_VARIABLES` (at every step, and sampled on the grid): what the
        metrics read of the no-shock twin. Recording the rest of the twin cost as much as
        recording the run and was never read.
    """

    def __init__(
        self,
        scenario: Scenario,
        w: World,
        occurrences: list[Occurrence],
        trace_only: bool = False,
    ) -> None:
        self.trace_only = trace_only
        self.steps = step_grid(scenario.horizon_days, scenario.step_days)
        self.every = round(scenario.recording.interval_days / scenario.step_days)
        self.step_days = float(scenario.step_days)
        self.grid = self.steps[:: self.every]
        self.occurrences = list(occurrences)
        # where each provider operates does not change in a run; the outside option is everywhere
        self.present = np.column_stack([w.prov_present, np.ones(w.n_regions, dtype=bool)])
        n = self.grid.size
        sizes = {
            "region": w.n_regions,
            "layer": len(LAYERS),
            "provider": len(w.providers) + 1,
            "good": len(supply.LEAD_GOODS),
            "location": len(layers.DATA_LOCATIONS),
            "supplier": len(w.designers),
            "material": len(w.materials),
            "source": len(MODEL_SOURCES),
            "stage": len(capacity.CHAIN_STAGES),
            "cost_item": len(costs.COST_ITEMS),
            "workload": len(workloads.WORKLOADS),
            "user_class": len(programmes.USER_CLASSES),
        }
        self.coords: dict[str, list[str]] = {
            "region": list(w.regions),
            "layer": list(LAYERS),
            "provider": [*w.providers, "outside"],
            "good": list(supply.LEAD_GOODS),
            "location": list(layers.DATA_LOCATIONS),
            "supplier": [w.chip[int(d)] for d in w.designers],
            "material": [w.chip[int(m)] for m in w.materials],
            "source": list(MODEL_SOURCES),
            "stage": list(capacity.CHAIN_STAGES),
            "cost_item": list(costs.COST_ITEMS),
            "workload": list(workloads.WORKLOADS),
            "user_class": list(programmes.USER_CLASSES),
        }
        self.buffers = {
            name: np.zeros((n, *(sizes[d] for d in v.dims)), dtype=v.dtype)
            for name, v in VARIABLES.items()
            if not trace_only or name in TRACE_VARIABLES
        }
        self.trace = {
            name: np.zeros((self.steps.size, *(sizes[d] for d in VARIABLES[name].dims)))
            for name in TRACE_VARIABLES
        }
        # the trace's series, looked up once rather than at every step; their samples are
        # copied from them once, at the end (sample_trace)
        self._service, self._service_direct, self._hhi = (self.trace[n] for n in TRACE_VARIABLES)
        # readings whose inputs move far more rarely than the steps (the cloud market's shares
        # move at its rounds, sites open a few times a run): computed again only when the bits
        # of what they read changed (_kept)
        self._hhi_memo: Memo[np.ndarray] = Memo()
        self._location_memo: Memo[np.ndarray] = Memo()
        self._run_memo: Memo[tuple[np.ndarray, np.ndarray]] = Memo()
        self._factories_memo: Memo[tuple[np.ndarray, np.ndarray]] = Memo()
        self._capex_memo: Memo[tuple[np.ndarray, np.ndarray]] = Memo()
        # the length of a recording period in years, for the cash flow's capital paid
        self._years = max(self.every * self.step_days, 1e-9) / DAYS_PER_YEAR
        # sums over the steps of the current recording period: the recorder's own, not the
        # world's; the job queues' here, the rest straight into the sample's rows they end in
        self._jobs = np.zeros((w.n_regions, jk.N_OUT))
        self._arrivals = np.zeros(w.n_regions)
        if not trace_only:
            # the outside option never fails
            self.buffers["provider_available"][:, len(w.providers)] = 1.0

    def observe(self, i: int, w: World, jobs: JobFlow, flows: StepFlows) -> None:
        """Watch the world at step ``i``, after the step is closed; sample it on the grid.

        Parameters
        ----------
        i
            Index of the step on :attr:`steps`.
        w, jobs
            The world and its job queues, read only.
        flows
            What flowed during the step, summed into the current recording period.
        """
        np.subtract(1.0, w.inoperability, out=self._service[i])
        np.subtract(1.0, w.direct_loss, out=self._service_direct[i])
        self._hhi[i] = _kept(
            self._hhi_memo,
            (w.shares.tobytes(), w.prov_tail.tobytes()),
            lambda: cloud.concentration(w),
        )
        if self.trace_only:
            return
        every = self.every
        # the sample this step's flows end in: steps (k - 1) * every + 1 to k * every (and step
        # 0 alone in sample 0); steps after the last sample are never recorded
        row = -(-i // every)
        if row < self.grid.size:
            b = self.buffers
            kr.add_step_flows(
                flows.jobs,
                flows.jobs_by_workload,
                flows.arrivals,
                flows.deliveries,
                flows.materials,
                flows.capex,
                self._jobs,
                self._arrivals,
                b["workload_served"][row],
                b["deliveries"][row],
                b["materials_deliveries"][row],
                b["capex_spent"][row],
            )
        if i % every == 0:
            self._record(i // every, w, jobs)

    def sample_trace(self) -> None:
        """Copy :data:`TRACE_VARIABLES` at the recording times from the step trace into their
        buffers (the trace holds them at every step): once the run is over, before the buffers
        are read."""
        for name in TRACE_VARIABLES:
            self.buffers[name][:] = self.trace[name][:: self.every]

    def _record(self, k: int, w: World, jobs: JobFlow) -> None:
        """Write grid point ``k`` (beyond :data:`TRACE_VARIABLES`): state now, and the sums over
        the period ending now."""
        b = self.buffers
        b["inoperability"][k] = w.inoperability
        b["demand"][k] = w.demand
        b["capacity_own"][k] = w.own_cap
        w.cloud_cap.sum(axis=1, out=b["capacity_cloud"][k])
        b["cloud_served"][k, :, :-1] = w.cloud_cap
        b["market_share"][k] = w.shares
        # the chip rows' capacity and the designers' output, read once for the readings below
        # that each asked the world for them (each ask builds its memo's key of bytes and
        # copies what it kept); the four lead times in one call
        chips = w.chip_capacity(w.t)
        possible = supply.designer_output(w, w.t)
        per_designer, lead, capped, buyers = supply.lead_time_readings(w, possible, chips)
        b["lead_time"][k] = lead
        b["lead_time_capped"][k] = capped
        b["lead_time_designer"][k] = per_designer
        b["lead_time_buyer"][k] = buyers
        b["accelerator_price"][k] = w.accel_price
        b["accelerator_price_designer"][k] = w.designer_price
        b["cloud_price"][k, :, :-1] = w.cloud_price
        # the period's job sums into their rows (queue_wait their ratio), zeroed for the next
        kr.close_job_period(
            self._jobs,
            self._arrivals,
            b["compute_requested"][k],
            b["compute_served"][k],
            b["compute_abandoned"][k],
            b["jobs_overflow"][k],
            b["queue_wait"][k],
        )
        b["backlog"][k] = jobs.backlog()
        b["service_by_workload"][k] = jobs.service_by_workload()
        np.multiply(w.demand[:, None], workloads.shares(w, w.t), out=b["workload_demand"][k])
        b["workload_capacity"][k] = jobs.capacity
        # supply.designer_dependence's rule in one compiled call where numpy sums the designers
        # left to right (kernels/record.py; its twin is that function's numpy)
        if w.fleet_designer.shape[1] < 8:
            b["designer_dependence"][k] = kr.designer_dependence(w.fleet_designer, w.sells)
        else:
            b["designer_dependence"][k] = supply.designer_dependence(w)
        b["portable_share"][k] = w.portable
        # the open factories change at a site's opening or closing, a few times a run
        factories = w.site_totals(w.t, factories=True)
        users, staff = _kept(
            self._factories_memo,
            (factories[0].tobytes(), factories[1].tobytes(), w.own_available.tobytes()),
            lambda: (programmes.factory_users(w, w.t), programmes.support_staff(w, w.t)),
        )
        b["factory_users"][k] = users
        b["factory_support_staff"][k] = staff
        # the builds' committed capex changes when one starts: the key is which have started
        # and what each is (what capacity.committed_capex reads)
        builds = (
            (w.build_start <= w.t).tobytes(),
            w.build_source.tobytes(),
            w.build_row.tobytes(),
            w.build_capex.tobytes(),
            w.chip_home.tobytes(),
        )
        chain_capex, chip_capex = _kept(
            self._capex_memo,
            builds,
            lambda: (
                capacity.committed_capex(w, w.t, capacity.CHAIN),
                capacity.committed_capex(w, w.t),
            ),
        )
        # what the costs read of talent and of the chain's programme is recorded too: once
        needed = talent.need(w)
        lent = talent.borrowed(w, needed)
        items = costs.cost_items(w, lent, chain_capex)
        # the period's capital paid (summed into its row) over its length, plus own opex, rent
        # and levers now
        cost, levers, cash_flow = kc.cost_totals(items, b["capex_spent"][k], self._years)
        b["cost_breakdown"][k] = items
        b["cost"][k] = cost
        b["cash_flow"][k] = cash_flow
        b["lever_cost"][k] = levers
        b["borrowed"][k] = w.borrowed
        b["provider_available"][k, : len(w.providers)] = w.prov_available
        b["own_available"][k] = w.own_available
        trend_price = w.scenario.uncertainties.prices.accelerator_usd_per_h100e * w.price_trend
        np.divide(w.accel_price, trend_price, out=b["accelerator_price_index"][k])
        chip = capacity.capacity_by_region(w, w.t, chips)
        b["chip_capacity"][k] = chip
        b["self_sufficiency"][k] = capacity.self_sufficiency(w, w.t, chip)
        b["chip_capex"][k] = chip_capex
        b["chain_capex"][k] = chain_capex
        b["talent"][k] = w.talent
        b["talent_needed"][k] = needed
        b["talent_borrowed"][k] = lent
        b["federated_share"][k] = federated.compute_share(w, w.t)
        b["exposure"][k] = layers.exposure(w)
        b["data_location"][k] = _kept(
            self._location_memo,
            (
                w.shares.tobytes(),
                w.prov_home.tobytes(),
                w.prov_present.tobytes(),
                w.params.own_infra.tobytes(),
            ),
            lambda: layers.data_location(w),
        )
        # the largest runs change as sites open and close, and as federated training or its
        # partners do (the federated shares, the alliances and interoperability; beside the
        # scenario's constants)
        region, cap = w.live_sites(w.t)
        run, multisite = _kept(
            self._run_memo,
            (
                region.tobytes(),
                cap.tobytes(),
                w.params.federated.tobytes(),
                w.alliance.tobytes(),
                w.alliance_scope.tobytes(),
                w.interop.tobytes(),
            ),
            lambda: (
                capability.largest_run(w, w.t),
                capability.largest_run_multisite(w, w.t),
            ),
        )
        b["largest_run"][k] = run
        b["largest_run_multisite"][k] = multisite
        b["frontier_lag"][k] = w.own_lag
        b["model_lag"][k] = layers.model_lags(w)
        b["model_mix"][k] = w.model_mix
        b["porting_backlog"][k] = w.porting_backlog
        b["compelled"][k] = w.compelled
        b["control_cost"][k] = w.control_cost
