"""Samples the world onto the recording grid into buffers allocated once.

Each variable declares its dims, units and long name up front (:data:`VARIABLES`); the buffers
are allocated at the start and wrapped as an ``xarray.Dataset`` at the end, so recording costs
one array write per variable per grid point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ecosim.kernels import jobs as jk
from ecosim.scenario.models import LAYERS, Scenario
from ecosim.world import capability, cloud, layers, supply, talent
from ecosim.world.state import World

if TYPE_CHECKING:
    from ecosim.engine.simulation import Simulation


@dataclass(frozen=True)
class Variable:
    """An output series: its dims after ``time``, dtype, units and long name."""

    dims: tuple[str, ...]
    units: str
    long_name: str
    dtype: Any = np.float64


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
    "market_share": Variable(
        ("region", "provider"), "1", "share of the region's cloud workload per provider"
    ),
    "hhi": Variable(("region",), "1", "Herfindahl index of the region's cloud market (0-1)"),
    "lead_time": Variable(("good",), "d", "order-to-delivery lead time"),
    "lead_time_capped": Variable(
        ("good",), "1", "lead time at its cap (embargo or runaway backlog)", np.bool_
    ),
    "queue_wait": Variable(("region",), "d", "mean wait of AI jobs before they start"),
    "backlog": Variable(("region",), "H100e d", "work waiting in the job queue"),
    "compute_requested": Variable(("region",), "H100e d", "work requested in the period"),
    "compute_served": Variable(("region",), "H100e d", "work served in the period"),
    "compute_abandoned": Variable(("region",), "H100e d", "work abandoned in the period"),
    "jobs_overflow": Variable(("region",), "1", "arrivals dropped because the job pool was full"),
    "cost": Variable(
        ("region",), "USD/yr", "spending rate on compute and levers, USD of 2024 (all costs)"
    ),
    "lever_cost": Variable(
        ("region",), "USD/yr", "part of cost due to levers beyond the capacity they buy"
    ),
    "borrowed": Variable(("region",), "H100e", "capacity borrowed from alliance partners"),
    "deliveries": Variable(
        ("region", "supplier"),
        "H100e",
        "accelerators delivered in the period to buyers homed in the region, per designer",
    ),
    "materials_deliveries": Variable(
        ("region", "material"),
        "H100e",
        "chip-making materials delivered in the period to wafer fabs homed in the region, per "
        "materials supplier, counted as the H100e of wafers they serve at full output (stock "
        "bought included)",
    ),
    "provider_available": Variable(
        ("provider",), "1", "share of each provider's fleet up (outages)"
    ),
    "own_available": Variable(("region",), "1", "share of the region's own sites up (outages)"),
    "talent": Variable(("region",), "FTE", "AI and HPC specialists"),
    "talent_needed": Variable(("region",), "FTE", "specialists operations and own models need"),
    "exposure": Variable(
        ("region", "layer"), "1", "share of the layer exposed to foreign legal compulsion"
    ),
    "data_location": Variable(("region", "location"), "1", "share of data by location class"),
    "largest_run": Variable(("region",), "FLOP", "largest training run that fits one own site"),
    "largest_run_multisite": Variable(
        ("region",), "FLOP", "largest run over all own sites with multi-site overhead"
    ),
    "frontier_lag": Variable(
        ("region",),
        "month",
        "months since the largest run anywhere was the size of this region's largest run",
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
}


class Recorder:
    """Preallocated buffers for every variable of :data:`VARIABLES`."""

    def __init__(self, scenario: Scenario, w: World) -> None:
        step = scenario.recording.interval_days
        n = int(np.floor(scenario.horizon_days / step + 1e-9)) + 1
        self.grid = np.arange(n, dtype=np.float64) * step
        sizes = {
            "region": w.n_regions,
            "layer": len(LAYERS),
            "provider": len(w.providers) + 1,
            "good": len(supply.LEAD_GOODS),
            "location": len(layers.DATA_LOCATIONS),
            "supplier": len(w.designers),
            "material": len(w.materials),
            "source": len(MODEL_SOURCES),
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
        }
        self.buffers = {
            name: np.zeros((n, *(sizes[d] for d in v.dims)), dtype=v.dtype)
            for name, v in VARIABLES.items()
        }

    def record(self, k: int, sim: Simulation, out: np.ndarray, arrivals: np.ndarray) -> None:
        """Write grid point ``k`` from the simulation state and the period's job totals."""
        w = sim.world
        b = self.buffers
        q = w.inoperability
        b["service"][k] = 1.0 - q
        b["service_direct"][k] = 1.0 - w.direct_loss
        b["inoperability"][k] = q
        b["demand"][k] = w.demand
        b["capacity_own"][k] = w.own_cap
        b["capacity_cloud"][k] = w.cloud_cap.sum(axis=1)
        b["market_share"][k] = w.shares
        b["hhi"][k] = cloud.concentration(w)
        lead, capped = supply.lead_times(w, w.t)
        b["lead_time"][k] = lead
        b["lead_time_capped"][k] = capped
        b["queue_wait"][k] = np.where(
            arrivals > 0, out[:, jk.QUEUE_AREA] / np.maximum(arrivals, 1), 0.0
        )
        b["backlog"][k] = sim.jobs.backlog()
        b["compute_requested"][k] = out[:, jk.REQUESTED]
        b["compute_served"][k] = out[:, jk.SERVED]
        b["compute_abandoned"][k] = out[:, jk.ABANDONED_WORK]
        b["jobs_overflow"][k] = out[:, jk.OVERFLOW]
        levers = cloud.lever_cost(w)
        own, rented = cloud.spend(w)
        b["cost"][k] = own + rented + levers
        b["lever_cost"][k] = levers
        b["borrowed"][k] = w.borrowed
        b["deliveries"][k] = w.delivered_to
        w.delivered_to[:] = 0.0
        b["materials_deliveries"][k] = w.materials_delivered
        w.materials_delivered[:] = 0.0
        b["provider_available"][k, : len(w.providers)] = w.prov_available
        b["provider_available"][k, len(w.providers)] = 1.0  # the outside option never fails
        b["own_available"][k] = w.own_available
        b["talent"][k] = w.talent
        ops, models = talent.staff_needed(w)
        b["talent_needed"][k] = ops + models
        b["exposure"][k] = layers.exposure(w)
        b["data_location"][k] = layers.data_location(w)
        capability.update_frontier(w, w.t)
        b["largest_run"][k] = capability.largest_run(w, w.t)
        b["largest_run_multisite"][k] = capability.largest_run_multisite(w, w.t)
        b["frontier_lag"][k] = w.own_lag
        b["model_lag"][k] = layers.model_lags(w)
        b["porting_backlog"][k] = w.porting_backlog
        b["compelled"][k] = w.compelled
        b["control_cost"][k] = w.control_cost
