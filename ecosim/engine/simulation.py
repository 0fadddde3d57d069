"""One simulation run: a SimPy environment driving the world's processes.

The engine only schedules: each process waits for its next event, brings the world up to
that time with :meth:`Simulation.sync` (queues, supply, porting, coupling advanced exactly
over the elapsed interval), changes what it owns, and lets :meth:`Simulation.refresh`
recompute what follows. The model itself lives in :mod:`ecosim.world`.

The world advances on its own step grid (the scenario's ``step_days``) and at events, never
at recording times: the step process syncs the world at each step, closes the step
(:func:`ecosim.world.step.close_step`) and hands the state and the step's flows to the
recorder, which only reads. Recording every day or every month is therefore the same run.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import numpy as np
import simpy

from ecosim.core.clock import DAYS_PER_YEAR, date_to_day
from ecosim.core.rng import Streams
from ecosim.core.units import DAYS_PER_MONTH
from ecosim.observe.recorder import Recorder
from ecosim.scenario.models import Scenario
from ecosim.world import cloud, layers, levers, policy, supply, talent
from ecosim.world.coupling import CouplingModel
from ecosim.world.jobs import JobFlow, JobSource
from ecosim.world.shocks import (
    Occurrence,
    ShockType,
    impose_active,
    make_shock,
    occurrences,
)
from ecosim.world.state import Order, Project, World, build_world, finish_migrations
from ecosim.world.step import close_step

Progress = Callable[[float], None]


def review_phase(name: str) -> float:
    """Where in its review interval a region first decides, in [0, 1): fixed by its name.

    Stable across runs, platforms and the set of regions in a scenario (a region's calendar
    does not move when another region is added), and drawn from no random stream.
    """
    return (zlib.crc32(name.encode("utf-8")) % 1000) / 1000.0


class Simulation:
    """A scenario, its streams and its world, run as SimPy processes.

    Parameters
    ----------
    scenario
        The validated scenario.
    streams
        Named random streams of this (future, replicate).
    with_shocks
        ``False`` runs the no-shock twin: identical streams, no shocks.
    """

    def __init__(self, scenario: Scenario, streams: Streams, with_shocks: bool = True) -> None:
        self.scenario = scenario
        self.env = simpy.Environment()
        self.world: World = build_world(scenario, streams)
        w = self.world
        mix = scenario.uncertainties.jobs
        self.jobs = JobFlow(
            [
                JobSource(streams.get(f"jobs/{name}"), mix, partial(w.region_demand, r))
                for r, name in enumerate(w.regions)
            ],
            mix.max_active_jobs,
        )
        self.coupling = CouplingModel(scenario.uncertainties.coupling)
        self.window = scenario.recording.service_window_days
        self.ema_served = np.zeros(w.n_regions)
        self.ema_requested = np.zeros(w.n_regions)
        self.compute_service = np.ones(w.n_regions)
        self.active: list[ShockType] = []
        self.occurrences: list[Occurrence] = []
        if with_shocks:
            for spec in scenario.shocks:
                self.occurrences.extend(occurrences(spec, scenario, streams))
        self.recorder = Recorder(scenario, w, self.occurrences)
        self.project_events: dict[int, simpy.Event] = {}
        self.pipeline = np.zeros(w.n_regions)
        self.last_used = np.zeros(w.n_regions)
        self.last_cap = np.zeros(w.n_regions)
        self.refresh()

    # ------------------------------------------------------------------ state advance

    def sync(self) -> None:
        """Advance the continuous parts of the world from its clock to ``env.now``."""
        w = self.world
        t0, t1 = w.t, float(self.env.now)
        if t1 <= t0:
            return
        dt = t1 - t0
        supply.step_supply(w, t0, t1, self._delivered)
        capacity = accessible_capacity(w)
        before = self.jobs.out[:, :2].copy()
        self.jobs.advance(t0, t1, capacity, w.demand_factor)
        served, requested = (self.jobs.out[:, :2] - before).T
        decay = math.exp(-dt / self.window)
        self.ema_served = self.ema_served * decay + served
        self.ema_requested = self.ema_requested * decay + requested
        self.last_used += served
        self.last_cap += capacity * dt
        layers.step_porting(w, dt)
        layers.step_models(w, dt)
        talent.step_talent(w, t0, dt, capacity)
        w.inoperability = self.coupling.step(w.inoperability, w.direct_loss, dt)
        w.t = t1
        self.refresh()

    def refresh(self) -> None:
        """Recompute what follows from the state at the current time."""
        w = self.world
        t = w.t
        w.demand = w.demand_at(t) * w.demand_factor
        w.own_cap = w.own_capacity(t) * w.own_available
        finish_migrations(w, t)
        w.cloud_need = np.maximum(0.0, w.demand * (1.0 + w.params.margin) - w.own_cap)
        cloud.refresh_cloud(w)
        cloud.lend_capacity(w)
        ratio = np.where(
            self.ema_requested > 0, self.ema_served / np.maximum(self.ema_requested, 1e-300), 1.0
        )
        self.compute_service = np.clip(ratio, 0.0, 1.0)
        w.direct_loss = 1.0 - layers.direct_service(w, t, self.compute_service)

    def _delivered(self, order: Order) -> None:
        w = self.world
        if order.buyer_kind == "provider":
            w.prov_cap[order.buyer] += order.quantity
            w.prov_on_order[order.buyer] = max(0.0, w.prov_on_order[order.buyer] - order.quantity)
            return
        project = w.projects[order.project]
        project.delivered += order.quantity
        self._check_project(order.project)

    def _check_project(self, index: int) -> None:
        # re-routed orders keep the project's total (or shrink it), so count quantity
        project = self.world.projects[index]
        if project.delivered >= project.quantity * (1.0 - 1e-9):
            event = self.project_events.get(index)
            if event is not None and not event.triggered:
                event.succeed()

    # ------------------------------------------------------------------ processes

    def _steps(self, progress: Progress | None) -> Generator[simpy.Event, Any, None]:
        """The world's step grid: advance, close the step, let the recorder watch."""
        steps = self.recorder.steps
        for i, t in enumerate(steps):
            # step times are k * step_days, not sums of timeouts, so the grid never drifts
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            self.sync()
            flows = close_step(self.world, self.jobs)
            self.recorder.observe(i, self, flows)
            if progress is not None and (i % 30 == 0 or i == len(steps) - 1):
                progress((i + 1) / len(steps))

    def _market(self) -> Generator[simpy.Event, Any, None]:
        interval = self.scenario.uncertainties.market.interval_days
        while True:
            yield self.env.timeout(interval)
            self.sync()
            cloud.market_step(self.world, float(self.env.now))
            self.refresh()

    def _providers(self) -> Generator[simpy.Event, Any, None]:
        interval = self.scenario.uncertainties.supply.order_interval_days
        while True:
            self.sync()
            cloud.provider_orders(self.world, self.env.now, interval)
            yield self.env.timeout(interval)

    def _policy(self, r: int) -> Generator[simpy.Event, Any, None]:
        w = self.world
        pol = self.scenario.regions[w.regions[r]].policy
        # regions review procurement on their own calendars: were every review on the same
        # day, the world's orders would arrive in quarterly lumps that no buyer's books show
        phase = review_phase(w.regions[r]) * pol.decision_interval_days
        if phase > 0:
            yield self.env.timeout(phase)
        while True:
            self.sync()
            used, cap = self.last_used[r], self.last_cap[r]
            utilisation = used / cap if cap > 0 else 1.0
            self.last_used[r] = self.last_cap[r] = 0.0
            decision = policy.decide(w, r, self.env.now, utilisation, float(self.pipeline[r]))
            if decision.quantity > 0:
                self.env.process(self._project(decision))
            yield self.env.timeout(pol.decision_interval_days)

    def _project(
        self, decision: policy.BuildDecision, delay: float | None = None
    ) -> Generator[simpy.Event, Any, None]:
        w = self.world
        r = decision.region
        pol = self.scenario.regions[w.regions[r]].policy
        decided = float(self.env.now)
        self.pipeline[r] += decision.quantity
        delay = pol.procurement_delay_days if delay is None else delay
        if delay > 0:
            yield self.env.timeout(delay)
            self.sync()
        index = len(w.projects)
        project = policy_project(r, decision, decided, delay)
        w.projects.append(project)
        delivered = self.env.event()
        self.project_events[index] = delivered
        orders = supply.place_order(
            w, "region", r, r, decision.quantity, float(self.env.now), index
        )
        # what no designer open to the region can supply is not ordered: the project shrinks
        project.quantity = sum(o.quantity for o in orders)
        if not orders:
            delivered.succeed()
        remaining = max(0.0, project.construction_done - self.env.now)
        yield self.env.all_of([self.env.timeout(remaining), delivered])
        self.sync()
        comp = self.scenario.regions[w.regions[r]].compute
        if project.delivered > 0:
            now = float(self.env.now)
            w.add_site(r, project.delivered, now, now + comp.life_years * DAYS_PER_YEAR)
        project.finished = True
        self.pipeline[r] -= decision.quantity
        self.refresh()

    def _shock(self, occ: Occurrence) -> Generator[simpy.Event, Any, None]:
        spec = next(s for s in self.scenario.shocks if s.id == occ.shock_id)
        shock = make_shock(spec)
        w = self.world
        announce = min(shock.announce_days(), occ.start)
        if announce > 0:
            yield self.env.timeout(occ.start - announce)
            self.sync()
            self._stockpile(spec, announce)
            shock.on_announce(w, float(self.env.now), announce)
            yield self.env.timeout(announce)
        else:
            yield self.env.timeout(occ.start)
        shock.started = occ.start
        first = True
        for offset, level in shock.phases(occ.end - occ.start):
            wait = occ.start + offset - float(self.env.now)
            if wait > 0:
                yield self.env.timeout(wait)
            self.sync()
            shock.level = level
            if level > 0 and shock not in self.active:
                self.active.append(shock)
            elif level <= 0 and shock in self.active:
                self.active.remove(shock)
            impose_active(w, self.active, float(self.env.now))
            if first:
                shock.on_start(w, float(self.env.now))
                for index, project in enumerate(w.projects):
                    if not project.finished:
                        self._check_project(index)
                first = False
            self.refresh()

    def _stockpile(self, spec: Any, announce: float) -> None:
        """Targets of an announced control rush orders for the months ahead before it bites."""
        w = self.world
        months = getattr(spec, "stockpile_months", 0.0)
        for name in getattr(spec, "targets", []):
            r = w.region_index(name)
            growth = float(
                w.demand_at(float(self.env.now) + DAYS_PER_YEAR)[r] / max(w.demand[r], 1e-9)
            )
            quantity = w.demand[r] * max(growth - 1.0, 0.0) * months / 12.0
            if quantity > 0:
                rush = policy.BuildDecision(r, quantity, 0.0, 0.0, 0.0)
                self.env.process(self._project(rush, delay=0.0))

    def _monthly(self) -> Generator[simpy.Event, Any, None]:
        # controls leak and targets' suppliers ramp up over months: refresh effects monthly;
        # a region whose compute falls short releases its stockpile
        w = self.world
        eff = self.scenario.uncertainties.levers
        while True:
            yield self.env.timeout(DAYS_PER_MONTH)
            self.sync()
            if self.active:
                impose_active(w, self.active, float(self.env.now))
            for r in np.flatnonzero(
                (w.stockpile > 0) & (self.compute_service < eff.stockpile_trigger)
            ):
                self.env.process(self._release_stockpile(int(r)))
            self.refresh()

    def _release_stockpile(self, r: int) -> Generator[simpy.Event, Any, None]:
        w = self.world
        eff = self.scenario.uncertainties.levers
        now = float(self.env.now)
        # stored chips lose worth as the frontier moves on
        worth = 0.5 ** (now / DAYS_PER_YEAR / eff.stockpile_half_life_years)
        quantity = float(w.stockpile[r]) * worth
        w.stockpile[r] = 0.0
        yield self.env.timeout(eff.stockpile_connect_days)
        self.sync()
        life = self.scenario.regions[w.regions[r]].compute.life_years * DAYS_PER_YEAR
        w.add_site(r, quantity, float(self.env.now), now + life)
        self.refresh()

    def _ai_factories(self, r: int) -> Generator[simpy.Event, Any, None]:
        """A region's public programme: each factory a site, built on its own schedule."""
        w = self.world
        batches = sorted(
            self.scenario.regions[w.regions[r]].levers.ai_factories, key=lambda b: b.start
        )
        for batch in batches:
            at = date_to_day(self.scenario.start, batch.start)
            if at >= self.scenario.horizon_days:
                break
            if at > self.env.now:
                yield self.env.timeout(at - self.env.now)
            for _ in range(batch.count):
                decision = policy.BuildDecision(r, batch.size_h100e, batch.lead_time_days, 0.0, 0.0)
                self.env.process(self._project(decision, delay=0.0))

    def _actions(self) -> Generator[simpy.Event, Any, None]:
        """Dated lever actions of a portfolio."""
        w = self.world
        for action in sorted(self.scenario.actions, key=lambda a: a.date):
            at = max(date_to_day(self.scenario.start, action.date), 0.0)
            if at >= self.scenario.horizon_days:
                break
            if at > self.env.now:
                yield self.env.timeout(at - self.env.now)
            self.sync()
            for key, value in action.set.items():
                levers.apply_action(w, key, value)
            self.refresh()

    def run(self, progress: Progress | None = None) -> Recorder:
        """Run to the horizon and return the filled recorder."""
        env = self.env
        env.process(self._providers())
        env.process(self._market())
        for r in range(self.world.n_regions):
            env.process(self._policy(r))
        for occ in self.occurrences:
            env.process(self._shock(occ))
        env.process(self._monthly())
        env.process(self._actions())
        for r in range(self.world.n_regions):
            env.process(self._ai_factories(r))
        done = env.process(self._steps(progress))
        env.run(until=done)
        return self.recorder


def accessible_capacity(w: World) -> np.ndarray:
    """Capacity each region's jobs can use: own, cloud and borrowed from partners, less the
    overhead of running on portable stacks."""
    overhead = w.scenario.uncertainties.levers.open_stack_overhead * w.params.open_stack
    return np.asarray((w.own_cap + w.cloud_cap.sum(axis=1) + w.borrowed) * (1.0 - overhead))


def policy_project(r: int, decision: policy.BuildDecision, decided: float, delay: float) -> Project:
    """A build project whose construction started when the decision was taken."""
    return Project(r, decision.quantity, decided, decided + delay + decision.lead_time_days)
