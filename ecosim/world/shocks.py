"""Shock types: what each does to the state while it lasts.

A shock type documents exactly two things (the two hooks):

- :meth:`ShockType.impose` — its effect on the state *while active*. The world recomputes the
  combined effect of every active shock from a clean slate whenever one starts or ends, so
  overlapping shocks compose (the strictest control wins) and ending one never undoes another.
- :meth:`ShockType.on_start` — one-off transitions when it starts (orders re-routed, porting
  work created).

When a shock occurs is a property of the scenario and its own named streams only
(``shocks/<id>/arrivals`` and ``shocks/<id>/size``), never of levers or other shocks.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ecosim.engine.clock import date_to_day
from ecosim.engine.rng import Streams
from ecosim.scenario.models import (
    CloudCutoff,
    ExportControl,
    FabDisruption,
    Scenario,
    ShockBase,
    StackSupplier,
)
from ecosim.world.state import World
from ecosim.world.supply import reroute_blocked


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a shock: start and end day (``inf`` when permanent)."""

    shock_id: str
    start: float
    end: float


def _duration(spec: ShockBase, rng: np.random.Generator) -> float:
    d = spec.duration
    if d.kind == "fixed":
        return float(d.days)
    if d.kind == "lognormal":
        return float(d.median_days * math.exp(d.sigma * rng.standard_normal()))
    return math.inf


def occurrences(spec: ShockBase, scenario: Scenario, streams: Streams) -> list[Occurrence]:
    """Every occurrence of ``spec`` within the horizon, drawn from the shock's own streams."""
    horizon = scenario.horizon_days
    size_rng = streams.fresh(f"shocks/{spec.id}/size")
    out: list[Occurrence] = []
    if spec.start is not None:
        start = date_to_day(scenario.start, spec.start)
        if start < horizon:
            out.append(Occurrence(spec.id, start, start + _duration(spec, size_rng)))
        return out
    assert spec.rate_per_year is not None
    arr_rng = streams.fresh(f"shocks/{spec.id}/arrivals")
    mean_gap = 365.25 / spec.rate_per_year
    t = 0.0
    while True:
        t += float(arr_rng.exponential(mean_gap))
        if t >= horizon:
            return out
        out.append(Occurrence(spec.id, t, t + _duration(spec, size_rng)))


class ShockType(ABC):
    """Behaviour of one shock family; subclasses set ``spec_type`` and the two hooks."""

    spec_type: ClassVar[type[ShockBase]]

    def __init__(self, spec: ShockBase) -> None:
        self.spec = spec

    @abstractmethod
    def impose(self, w: World) -> None:
        """Apply the effect of this shock, while active, on top of a clean slate."""

    def on_start(self, w: World, t: float) -> None:  # noqa: B027 - optional hook
        """One-off transitions when the shock starts (default: none)."""


class ExportControlShock(ShockType):
    """Blocks listed goods from the imposers' (and named) suppliers to the targets.

    Chip goods act on the supply chain (``allow``: only the compliant share still flows, and
    queued orders are re-routed at once); ``stack`` cuts access to a stack homed in an
    imposer, which creates porting work; ``model_api`` cuts the targets' foreign APIs.
    """

    spec_type = ExportControl

    def impose(self, w: World) -> None:
        spec = self.spec
        assert isinstance(spec, ExportControl)
        imp = {w.region_index(r) for r in spec.imposers}
        tgt = [w.region_index(r) for r in spec.targets]
        extra = set(spec.extra_suppliers)
        for s, sid in enumerate(w.chip):
            if w.chip_good[s] not in spec.goods:
                continue
            if int(w.chip_home[s]) in imp or sid in extra:
                for k in tgt:
                    w.allow[s, k] = min(w.allow[s, k], spec.compliant_share)
        sc = w.scenario
        if "stack" in spec.goods:
            for k in tgt:
                stack = sc.regions[w.regions[k]].software.proprietary_stack
                sup = sc.suppliers[stack]
                if isinstance(sup, StackSupplier) and w.region_index(sup.home) in imp:
                    w.stack_access[k] = 0.0
        if "model_api" in spec.goods:
            apis = [v for v in sc.suppliers.values() if v.good == "model_api"]
            for k in tgt:
                blocked = sum(1 for a in apis if w.region_index(a.home) in imp)
                w.api_access[k] = min(w.api_access[k], 1.0 - blocked / max(len(apis), 1))

    def on_start(self, w: World, t: float) -> None:
        reroute_blocked(w, t)
        spec = self.spec
        assert isinstance(spec, ExportControl)
        for k in range(w.n_regions):
            if w.stack_access[k] == 0.0:
                share = w.scenario.regions[w.regions[k]].levers.open_stack_share
                w.porting_backlog[k] = max(w.porting_backlog[k], 1.0 - share)


class CloudCutoffShock(ShockType):
    """Providers stop serving regions: no new contracts, a price hike, or full withdrawal.

    Withdrawal takes the capacity away at once and forces its customers to migrate at the
    next market round, as far as the remaining providers have headroom.
    """

    spec_type = CloudCutoff

    def impose(self, w: World) -> None:
        spec = self.spec
        assert isinstance(spec, CloudCutoff)
        for pid in spec.providers:
            p = w.providers.index(pid)
            for name in spec.regions:
                r = w.region_index(name)
                if spec.grade in ("no_new_contracts", "withdrawal"):
                    w.can_join[r, p] = 0
                if spec.grade == "withdrawal":
                    w.can_stay[r, p] = 0
                if spec.grade == "price_hike":
                    w.price_factor[r, p] *= spec.price_factor


class FabDisruptionShock(ShockType):
    """Listed suppliers lose a share of their capacity (quake, fire, drought, blockade)."""

    spec_type = FabDisruption

    def impose(self, w: World) -> None:
        spec = self.spec
        assert isinstance(spec, FabDisruption)
        for sid in spec.suppliers:
            s = w.chip.index(sid)
            w.chip_disruption[s] = 1.0 - (1.0 - w.chip_disruption[s]) * (1.0 - spec.capacity_loss)


SHOCK_CLASSES: dict[str, type[ShockType]] = {
    "export_control": ExportControlShock,
    "cloud_cutoff": CloudCutoffShock,
    "fab_disruption": FabDisruptionShock,
}


def make_shock(spec: ShockBase) -> ShockType:
    """The behaviour object of a shock specification."""
    return SHOCK_CLASSES[spec.type](spec)  # type: ignore[attr-defined]


def reset_effects(w: World) -> None:
    """The clean slate every active shock is imposed on."""
    w.chip_disruption[:] = 0.0
    w.allow[:] = 1.0
    w.can_join[:] = 1
    w.can_stay[:] = 1
    w.price_factor[:] = 1.0
    w.stack_access[:] = 1.0
    w.api_access[:] = 1.0


def impose_active(w: World, active: list[ShockType]) -> None:
    """Recompute the combined effect of the active shocks."""
    reset_effects(w)
    for shock in active:
        shock.impose(w)
