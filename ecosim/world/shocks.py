"""Shock types: what each does to the state while it lasts.

A shock type documents what it does through its hooks:

- :meth:`ShockType.impose` — its effect on the state *while active*. The world recomputes the
  combined effect of every active shock from a clean slate whenever one starts or ends, so
  overlapping shocks compose (the strictest control wins) and ending one never undoes another.
- :meth:`ShockType.on_start` — one-off transitions when it starts (orders re-routed, porting
  work created).
- :meth:`ShockType.on_announce` — one-off transitions when an announced shock is announced
  (fabs buying stock ahead of a materials restriction); only for ``announce_days() > 0``.

When a shock occurs is a property of the scenario and its own named streams only
(``shocks/<id>/arrivals`` and ``shocks/<id>/size``), never of levers or other shocks.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, ClassVar

import numpy as np

from ecosim.core.clock import date_to_day
from ecosim.core.rng import Streams
from ecosim.core.units import DAYS_PER_YEAR
from ecosim.scenario.declarations import literal_tag
from ecosim.scenario.models import (
    SHOCK_SPECS,
    CloudCutoff,
    DataTransferRuling,
    DemandSurge,
    ExportControl,
    FabDisruption,
    LegalCompulsion,
    LicenceChange,
    MaterialsRestriction,
    ModelAccessCutoff,
    Outage,
    Scenario,
    ShockBase,
    StackSupplier,
    TalentDrain,
)
from ecosim.world import capacity, layers, projects, talent
from ecosim.world.state import World
from ecosim.world.supply import stock_materials


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a shock: start and end day (``inf`` when permanent), and the factor
    its ``severity`` drew for its magnitude (1 without one)."""

    shock_id: str
    start: float
    end: float
    severity: float = 1.0


def _duration(spec: ShockBase, rng: np.random.Generator) -> float:
    d = spec.duration
    if d.kind == "fixed":
        return float(d.days)
    if d.kind == "lognormal":
        return float(d.median_days * math.exp(d.sigma * rng.standard_normal()))
    return math.inf


def occurrences(spec: ShockBase, scenario: Scenario, streams: Streams) -> list[Occurrence]:
    """Every occurrence of ``spec`` within the horizon, drawn from the shock's own streams.

    Severities come from a stream of their own, so giving a shock a severity moves neither its
    timing nor its durations.
    """
    horizon = scenario.horizon_days
    size_rng = streams.fresh(f"shocks/{spec.id}/size")
    sev_rng = streams.fresh(f"shocks/{spec.id}/severity")

    def one(start: float) -> Occurrence:
        end = start + _duration(spec, size_rng)
        sev = spec.severity
        factor = 1.0 if sev is None else float(sev_rng.uniform(sev.low, sev.high))
        return Occurrence(spec.id, start, end, factor)

    out: list[Occurrence] = []
    if spec.start is not None:
        start = date_to_day(scenario.start, spec.start)
        if start < horizon:
            out.append(one(start))
        return out
    assert spec.rate_per_year is not None
    arr_rng = streams.fresh(f"shocks/{spec.id}/arrivals")
    mean_gap = DAYS_PER_YEAR / spec.rate_per_year
    t = 0.0
    while True:
        t += float(arr_rng.exponential(mean_gap))
        if t >= horizon:
            return out
        out.append(one(t))


#: Chance, per shock and run, that a Poisson shock occurs more often than
#: :func:`occurrence_slots` allows: small enough that no sweep of any size meets it.
SLOT_TAIL = 1e-12


def occurrence_slots(scenario: Scenario, rates: Mapping[str, float] | None = None) -> int:
    """Room along ``occurrence`` for any run of ``scenario``: a bound fixed before any run.

    A scheduled shock occurs at most once; a Poisson shock's count is bounded by the quantile
    of its count at ``1 - SLOT_TAIL``. ``rates`` replaces the rate of shocks by id (the
    highest a sweep gives them).
    """
    from scipy.stats import poisson

    rates = rates or {}
    slots = 1
    for spec in scenario.shocks:
        rate = rates.get(spec.id, spec.rate_per_year)
        if spec.start is None and rate is not None:
            mean = rate * scenario.horizon_days / DAYS_PER_YEAR
            slots = max(slots, int(poisson.ppf(1.0 - SLOT_TAIL, mean)))
    return slots


#: The behaviour class of every shock type, by the ``type`` tag of its specification. Each
#: subclass of :class:`ShockType` adds itself when it is defined.
SHOCK_CLASSES: dict[str, type[ShockType]] = {}


class ShockType(ABC):
    """Behaviour of one shock family; subclasses set ``spec_type`` and the hooks.

    Defining a subclass registers it in :data:`SHOCK_CLASSES` under its specification's
    ``type`` tag, one behaviour per specification. ``level`` (0-1) is how strongly the shock
    acts now; most shocks are simply on or off, an outage steps down as sites recover
    (:meth:`phases`).
    """

    spec_type: ClassVar[type[ShockBase]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Register the new behaviour under the tag of its ``spec_type``."""
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("spec_type")
        if spec is None:
            raise TypeError(f"shock behaviour {cls.__name__} sets no spec_type")
        tag = literal_tag(spec, "type")
        if tag is None or SHOCK_SPECS.get(tag) is not spec:
            raise TypeError(f"{cls.__name__}.spec_type {spec.__name__} is no registered shock type")
        if tag in SHOCK_CLASSES:
            raise TypeError(
                f"shock type {tag!r} has two behaviours: {SHOCK_CLASSES[tag].__name__} and "
                f"{cls.__name__}"
            )
        SHOCK_CLASSES[tag] = cls

    def __init__(self, spec: ShockBase) -> None:
        self.spec = spec
        self.level = 1.0
        self.started = 0.0

    @abstractmethod
    def impose(self, w: World, t: float) -> None:
        """Apply the effect of this shock at day ``t``, while active, on a clean slate."""

    def configure(self, scenario: Scenario) -> None:  # noqa: B027 - optional hook
        """Read what the behaviour needs from the scenario beyond the shock (default: none)."""

    def on_start(self, w: World, t: float) -> None:  # noqa: B027 - optional hook
        """One-off transitions when the shock starts (default: none)."""

    def on_announce(self, w: World, t: float, window: float) -> None:  # noqa: B027 - optional
        """One-off transitions at the announcement, ``window`` days before the start (default:
        none; the engine's stockpiling of announced export controls needs no hook)."""

    def phases(self, duration: float) -> list[tuple[float, float]]:
        """Levels over the occurrence: ``(days after the start, level)``; level 0 ends it."""
        out = [(0.0, 1.0)]
        if math.isfinite(duration):
            out.append((duration, 0.0))
        return out

    def announce_days(self) -> float:
        """Days between the announcement and the start (default: none)."""
        return 0.0

    def _regions(self, w: World, names: list[str]) -> list[int]:
        return [w.region_index(n) for n in names]


def _ramp(t: float, days: float) -> float:
    return 1.0 - math.exp(-max(t, 0.0) / max(days, 1e-9))


class ExportControlShock(ShockType):
    """Blocks listed goods from the imposers' (and named) suppliers to the targets.

    As real controls do: compliant (down-binned) goods and case-by-case licences keep a share
    flowing, leakage through third countries builds up over time, an announcement ahead of
    the start makes targets stockpile, the remote-access loophole (renting the imposers'
    clouds) stays open unless ``controls_cloud``, and the targets' own suppliers grow along a
    learning ramp. Chip goods act on the supply chain (queued orders re-routed at once);
    lithography wears fabs down over years (servicing stops); ``stack`` cuts access to a stack
    homed in an imposer (porting work); ``model_api`` cuts the targets' foreign APIs.
    """

    spec_type = ExportControl

    def announce_days(self) -> float:
        spec = self.spec
        assert isinstance(spec, ExportControl)
        return float(spec.announce_days)

    def flow_share(self, t: float) -> float:
        """Share of the blocked flow still moving ``t`` days after the start."""
        spec = self.spec
        assert isinstance(spec, ExportControl)
        allowed = min(1.0, spec.compliant_share + spec.licence_approval_share)
        leak = spec.leakage_max_share * _ramp(t, spec.leakage_ramp_days)
        return allowed + (1.0 - allowed) * leak

    def impose(self, w: World, t: float) -> None:
        spec = self.spec
        assert isinstance(spec, ExportControl)
        imp = set(self._regions(w, spec.imposers))
        tgt = self._regions(w, spec.targets)
        extra = set(spec.extra_suppliers)
        share = self.flow_share(t - self.started)
        for s in range(len(w.chip)):
            if w.chip_good[s] not in spec.goods:
                continue
            # a firm's sites abroad follow it: a control on TSMC binds TSMC Arizona, and a
            # site in an imposer's territory is under its law whoever owns it
            owner = int(w.chip_owner[s])
            if (
                int(w.chip_home[s]) in imp
                or int(w.chip_home[owner]) in imp
                or (w.chip[owner] in extra)
            ):
                for k in tgt:
                    w.allow[s, k] = min(w.allow[s, k], share)
                    if spec.quota_h100e_per_year is not None:
                        w.quota[s, k] = min(w.quota[s, k], spec.quota_h100e_per_year)
        if spec.controls_cloud:
            for p in range(len(w.providers)):
                if int(w.prov_home[p]) in imp:
                    for k in tgt:
                        w.can_join[k, p] = 0
        sc = w.scenario
        if "stack" in spec.goods:
            for k in tgt:
                stack = sc.suppliers[sc.regions[w.regions[k]].software.proprietary_stack]
                if isinstance(stack, StackSupplier) and w.region_index(stack.home) in imp:
                    w.stack_access[k] = 0.0
        if "model_api" in spec.goods:
            apis = [v for v in sc.suppliers.values() if v.good == "model_api"]
            for k in tgt:
                cut = sum(1 for a in apis if w.region_index(a.home) in imp)
                w.api_access[k] = min(w.api_access[k], 1.0 - cut / max(len(apis), 1))
        if "open_weights" in spec.goods:
            for k in tgt:
                w.open_access[k] = 0.0
        for r in imp:
            w.imposer_cost_rate[r] = max(w.imposer_cost_rate[r], spec.imposer_cost_usd_per_h100e)

    def on_start(self, w: World, t: float) -> None:
        projects.reroute_blocked(w, t)
        spec = self.spec
        assert isinstance(spec, ExportControl)
        # the targets' own suppliers build more, which produces after their construction time
        capacity.respond_to_control(w, self._regions(w, spec.targets), spec.target_response, t)
        for k in range(w.n_regions):
            if w.stack_access[k] == 0.0:
                layers.require_porting(w, k, 1.0 - w.params.open_stack[k])


class CloudCutoffShock(ShockType):
    """Providers stop serving regions, graded from no new contracts to full withdrawal.

    Withdrawal takes the capacity away at once and forces its customers to migrate at the
    next market round, as far as the remaining providers have headroom, and to wait out a
    transition window before the new provider serves them.
    """

    spec_type = CloudCutoff

    def impose(self, w: World, t: float) -> None:
        spec = self.spec
        assert isinstance(spec, CloudCutoff)
        for pid in spec.providers:
            p = w.providers.index(pid)
            for r in self._regions(w, spec.regions):
                if spec.grade in ("no_new_contracts", "withdrawal"):
                    w.can_join[r, p] = 0
                if spec.grade == "withdrawal":
                    w.can_stay[r, p] = 0
                if spec.grade == "price_hike":
                    w.price_hike[r, p] *= spec.price_factor


class FabDisruptionShock(ShockType):
    """Listed suppliers lose a share of their capacity (quake, fire, power, contamination).

    The whole loss holds until the restart (the duration); then the line comes back along a
    straight ramp over its cause's recovery time, in :attr:`STEPS` equal steps, each at the
    middle of its share of the ramp: a burnt line restarts at a tenth of its capacity and
    climbs over two months (Renesas, 2021), a line struck by a quake in days.
    """

    spec_type = FabDisruption
    STEPS = 8

    #: Days from the restart to full capacity (set from the scenario by :meth:`configure`).
    recovery_days = 0.0

    def configure(self, scenario: Scenario) -> None:
        spec = self.spec
        assert isinstance(spec, FabDisruption)
        self.recovery_days = float(
            getattr(scenario.uncertainties.supply.fab_recovery_days, spec.cause)
        )

    def phases(self, duration: float) -> list[tuple[float, float]]:
        if not math.isfinite(duration) or self.recovery_days <= 0.0:
            return super().phases(duration)
        out = [(0.0, 1.0)]
        for q in range(1, self.STEPS + 1):
            at = duration + self.recovery_days * (q - 0.5) / self.STEPS
            out.append((at, 1.0 - q / self.STEPS))
        return out

    def impose(self, w: World, t: float) -> None:
        spec = self.spec
        assert isinstance(spec, FabDisruption)
        loss = spec.capacity_loss * self.level
        where = set(self._regions(w, spec.regions))
        for sid in spec.suppliers:
            for s in w.rows_of(sid):
                if where and int(w.chip_home[s]) not in where:
                    continue
                w.chip_disruption[s] = 1.0 - (1.0 - w.chip_disruption[s]) * (1.0 - loss)


class OutageShock(ShockType):
    """Providers' capacity and regions' own sites go dark; sites come back one by one.

    Until the vendor's fix (the duration) the full loss applies; after it, sites recover
    after lognormal per-site times, drawn as eight equal-probability steps.
    """

    spec_type = Outage
    STEPS = 8

    def phases(self, duration: float) -> list[tuple[float, float]]:
        spec = self.spec
        assert isinstance(spec, Outage)
        if not math.isfinite(duration):
            return [(0.0, 1.0)]
        out = [(0.0, 1.0)]
        for q in range(1, self.STEPS + 1):
            z = NormalDist().inv_cdf((q - 0.5) / self.STEPS)
            delay = spec.site_recovery_median_days * math.exp(spec.site_recovery_sigma * z)
            out.append((duration + delay, 1.0 - q / self.STEPS))
        return out

    def impose(self, w: World, t: float) -> None:
        spec = self.spec
        assert isinstance(spec, Outage)
        loss = spec.capacity_loss * self.level
        for pid in spec.providers:
            p = w.providers.index(pid)
            w.prov_available[p] *= 1.0 - loss
        for r in self._regions(w, spec.regions):
            w.own_available[r] *= 1.0 - loss


class DemandSurgeShock(ShockType):
    """Demand of the regions is multiplied by ``factor`` while active."""

    spec_type = DemandSurge

    def impose(self, w: World, t: float) -> None:
        spec = self.spec
        assert isinstance(spec, DemandSurge)
        ramp = 1.0 if spec.ramp_days <= 0 else min(1.0, (t - self.started) / spec.ramp_days)
        for r in self._regions(w, spec.regions):
            w.demand_factor[r] *= 1.0 + (spec.factor - 1.0) * max(ramp, 0.0)


class MaterialsRestrictionShock(ShockType):
    """Materials from the imposers reach the targets' fabs only under licence.

    Nothing flows until licences are first granted (``licence_delay_days`` after the start),
    then the compliant share does. The targets' fabs live on their stock meanwhile
    (:func:`ecosim.world.supply._step_materials`): bought from the imposers during an
    announcement (:meth:`on_announce`), or taken as already held when there was none
    (:meth:`on_start`). The stock is state, not an effect: it outlives the shock and refills.
    While active it also sets the share of the targets' fabs' output at risk from a shortfall
    (``materials_at_risk``; overlapping restrictions take the largest), an effect: with access
    full again once it ends, no shortfall is left for it to act on.
    """

    spec_type = MaterialsRestriction

    def __init__(self, spec: ShockBase) -> None:
        super().__init__(spec)
        self.announced = False

    def announce_days(self) -> float:
        spec = self.spec
        assert isinstance(spec, MaterialsRestriction)
        return float(spec.announce_days)

    def phases(self, duration: float) -> list[tuple[float, float]]:
        spec = self.spec
        assert isinstance(spec, MaterialsRestriction)
        out = super().phases(duration)
        # the first licences change the flow on their own date, not at the monthly refresh
        if 0.0 < spec.licence_delay_days < duration:
            out.insert(1, (float(spec.licence_delay_days), 1.0))
        return out

    def flow_share(self, t: float) -> float:
        """Share of the imposers' exports to the targets moving ``t`` days after the start."""
        spec = self.spec
        assert isinstance(spec, MaterialsRestriction)
        # a phase lands on the licence date up to rounding of the clock
        licensed = t >= spec.licence_delay_days - 1e-6
        return spec.compliant_share if licensed else 0.0

    def impose(self, w: World, t: float) -> None:
        spec = self.spec
        assert isinstance(spec, MaterialsRestriction)
        share = self.flow_share(t - self.started)
        for m in self._sources(w):
            for k in self._regions(w, spec.targets):
                w.allow[m, k] = min(w.allow[m, k], share)
        fabs = self._fabs(w)
        # fmax: the first restriction on a fab replaces the unset NaN, later ones the smaller d
        w.materials_at_risk[fabs] = np.fmax(w.materials_at_risk[fabs], spec.output_share_at_risk)

    def on_announce(self, w: World, t: float, window: float) -> None:
        """The targets' fabs start buying ``buffer_days`` of stock from the imposers.

        They buy at ``buffer_days / announce_days`` days of stock a day, so the stock is full
        on the day the restriction starts. ``window`` is the part of the announcement inside
        the run (shorter when it began before the run's start); what would have been bought
        before the run is taken as held.
        """
        spec = self.spec
        assert isinstance(spec, MaterialsRestriction)
        if spec.announce_days <= 0 or not self._buy(w, spec.buffer_days / spec.announce_days):
            return
        self.announced = True
        held = spec.buffer_days * max(0.0, 1.0 - window / spec.announce_days)
        fabs = self._fabs(w)
        stock_materials(w, fabs, held, at_least=True)

    def on_start(self, w: World, t: float) -> None:
        spec = self.spec
        assert isinstance(spec, MaterialsRestriction)
        fabs = self._fabs(w)
        before = w.materials_target[fabs].copy()
        if not self._buy(w, spec.buffer_days / spec.refill_days):
            return
        if not self.announced:
            # unannounced: the part of the buffer the fabs did not keep yet is taken as held;
            # a fab still refilling from an earlier restriction has only what it has
            stock_materials(w, fabs, np.maximum(spec.buffer_days - before, 0.0), at_least=False)

    def _sources(self, w: World) -> np.ndarray:
        """Indices into ``chip`` of the imposers' materials suppliers."""
        spec = self.spec
        assert isinstance(spec, MaterialsRestriction)
        imp = set(self._regions(w, spec.imposers))
        return np.array([m for m in w.materials if int(w.chip_home[m]) in imp], dtype=np.int64)

    def _fabs(self, w: World) -> np.ndarray:
        """Indices into ``chip`` of the wafer fabs homed in the targets."""
        spec = self.spec
        assert isinstance(spec, MaterialsRestriction)
        tgt = self._regions(w, spec.targets)
        return np.flatnonzero((w.chip_good == "wafer") & np.isin(w.chip_home, tgt))

    def _buy(self, w: World, pace: float) -> bool:
        """Make the targets' fabs keep ``buffer_days`` of stock, bought from the imposers at
        ``pace`` days of stock a day; False when the imposers make none of the material."""
        spec = self.spec
        assert isinstance(spec, MaterialsRestriction)
        src = self._sources(w)
        cap = w.chip_cap0[src]
        if not src.size or cap.sum() <= 0:
            return False
        fabs = self._fabs(w)
        w.materials_target[fabs] = np.maximum(w.materials_target[fabs], spec.buffer_days)
        w.materials_refill[fabs] = pace
        share = np.zeros(w.materials.size)
        share[np.searchsorted(w.materials, src)] = cap / cap.sum()
        for k in self._regions(w, spec.targets):
            w.materials_source[:, k] = share
        return True


class LicenceChangeShock(ShockType):
    """New licence terms on a proprietary stack (porting work) or on open weights."""

    spec_type = LicenceChange

    def impose(self, w: World, t: float) -> None:
        spec = self.spec
        assert isinstance(spec, LicenceChange)
        for r in self._regions(w, spec.regions):
            if spec.open_weights:
                w.open_access[r] = 0.0
            if w.scenario.regions[w.regions[r]].software.proprietary_stack in spec.stacks:
                w.stack_access[r] = 0.0

    def on_start(self, w: World, t: float) -> None:
        spec = self.spec
        assert isinstance(spec, LicenceChange)
        for r in self._regions(w, spec.regions):
            if w.scenario.regions[w.regions[r]].software.proprietary_stack in spec.stacks:
                need = spec.affected_share * (1.0 - w.params.open_stack[r])
                layers.require_porting(w, r, need)


class ModelAccessCutoffShock(ShockType):
    """Closed model APIs stop serving the regions."""

    spec_type = ModelAccessCutoff

    def impose(self, w: World, t: float) -> None:
        spec = self.spec
        assert isinstance(spec, ModelAccessCutoff)
        apis = [k for k, v in w.scenario.suppliers.items() if v.good == "model_api"]
        cut = sum(1 for a in apis if a in spec.providers)
        for r in self._regions(w, spec.regions):
            w.api_access[r] = min(w.api_access[r], 1.0 - cut / max(len(apis), 1))


class DataTransferRulingShock(ShockType):
    """Data at providers under the listed jurisdictions becomes unlawful to use."""

    spec_type = DataTransferRuling

    def impose(self, w: World, t: float) -> None:
        spec = self.spec
        assert isinstance(spec, DataTransferRuling)
        juris = set(self._regions(w, spec.jurisdictions))
        for r in self._regions(w, spec.regions):
            for p in range(len(w.providers)):
                home = int(w.prov_home[p])
                if home == r or home not in juris:
                    continue
                sovereign = w.prov_exposure[r, p] < 1.0
                if not (spec.sovereign_exempt and sovereign):
                    w.transfer_blocked[r, p] = True


class LegalCompulsionShock(ShockType):
    """A jurisdiction reaches a share of the regions' exposed data and managed services.

    At the start it records the share of each region's data reached (``compelled``, the
    confidentiality loss exposure warns about). While it lasts, the work reached -- ``share``
    of the work with the jurisdiction's providers, times their exposure (less for a sovereign
    offering) -- is suspended: its data cannot be trusted until it is audited and re-keyed, and
    managed services run by those providers stop for the region (``compromised``), so exposure
    turns into a loss of data and operations service.
    """

    spec_type = LegalCompulsion

    def _reached(self, w: World) -> tuple[int, np.ndarray]:
        """The jurisdiction's index and each region's exposure to it per provider (R, P)."""
        spec = self.spec
        assert isinstance(spec, LegalCompulsion)
        j = w.region_index(spec.jurisdiction)
        return j, (w.prov_home == j)[None, :] * w.prov_exposure

    def impose(self, w: World, t: float) -> None:
        spec = self.spec
        assert isinstance(spec, LegalCompulsion)
        j, held = self._reached(w)
        for r in self._regions(w, spec.regions):
            if r != j:
                w.compromised[r] = np.maximum(w.compromised[r], spec.share * held[r])

    def on_start(self, w: World, t: float) -> None:
        spec = self.spec
        assert isinstance(spec, LegalCompulsion)
        j, held = self._reached(w)
        share = w.shares[:, : len(w.providers)]
        for r in self._regions(w, spec.regions):
            if r == j:
                continue
            exposed = (1.0 - w.params.own_infra[r]) * float((share[r] * held[r]).sum())
            w.compelled[r] = min(1.0, w.compelled[r] + spec.share * exposed)


class TalentDrainShock(ShockType):
    """A share of the regions' specialists leaves at the start, to the most attractive region."""

    spec_type = TalentDrain

    def impose(self, w: World, t: float) -> None:
        """Nothing while active: the loss is one-off (:meth:`on_start`)."""

    def on_start(self, w: World, t: float) -> None:
        spec = self.spec
        assert isinstance(spec, TalentDrain)
        for r in self._regions(w, spec.regions):
            others = [k for k in range(w.n_regions) if k != r]
            best = max(others, key=lambda k: w.params.pay_index[k]) if others else None
            talent.move(w, r, best, spec.share)


def make_shock(spec: ShockBase, scenario: Scenario | None = None) -> ShockType:
    """The behaviour object of a shock specification, configured from ``scenario`` if given
    (a fab disruption's recovery time by its cause)."""
    shock = SHOCK_CLASSES[spec.type](spec)
    if scenario is not None:
        shock.configure(scenario)
    return shock


def reset_effects(w: World) -> None:
    """The clean slate every active shock is imposed on."""
    w.chip_disruption[:] = 0.0
    w.allow[:] = 1.0
    # a region that stopped chip imports takes chip goods only from rows in it
    for k in np.flatnonzero(w.imports_stopped):
        w.allow[w.chip_home != k, k] = 0.0
    w.quota[:] = np.inf
    w.can_join[:] = w.prov_present
    w.can_stay[:] = w.prov_present
    w.price_hike[:] = 1.0
    w.stack_access[:] = 1.0
    w.api_access[:] = 1.0
    w.open_access[:] = 1.0
    w.prov_available[:] = 1.0
    w.own_available[:] = 1.0
    w.compromised[:] = 0.0
    w.demand_factor[:] = 1.0
    w.transfer_blocked[:] = False
    w.imposer_cost_rate[:] = 0.0
    w.materials_at_risk[:] = np.nan
    # a region that stopped chip imports no longer gets foreign material: as under a
    # restriction, only the share of its fabs' output that needs the material is at risk
    stopped = (w.chip_good == "wafer") & w.imports_stopped[w.chip_home]
    w.materials_at_risk[stopped] = w.scenario.uncertainties.supply.materials_share_at_risk


def impose_active(w: World, active: list[ShockType], t: float) -> None:
    """Recompute the combined effect of the active shocks at day ``t``."""
    reset_effects(w)
    for shock in active:
        shock.impose(w, t)
