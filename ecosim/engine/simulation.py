"""One simulation run: SimPy processes that schedule the world's events.

The engine only schedules. Each process waits for its next event, brings the world up to that
time (:meth:`ecosim.world.step.WorldStep.advance`), calls the world's hook for the event
(market round, build-or-buy review, provider orders, shock phase, project completion, dated
action, stockpile release, capacity review, a domestic chain's start and end of imports) and
lets the world recompute what follows. What happens at each event — the model — lives in
:mod:`ecosim.world`.

The world also advances on its own step grid (the scenario's ``step_days``), never at
recording times: the step process advances the world to each step, closes the step and hands
the state and the step's flows to an observer, which only reads. Recording every day or
every month is therefore the same run.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from ecosim.core.clock import date_to_day, step_grid
from ecosim.core.rng import Streams
from ecosim.core.units import DAYS_PER_MONTH
from ecosim.scenario.models import Scenario
from ecosim.world import capacity, cloud, levers, policy, programmes, projects, stockpile
from ecosim.world.build import build_world
from ecosim.world.jobs import JobFlow
from ecosim.world.shocks import Occurrence, ShockType, impose_active, make_shock, occurrences
from ecosim.world.state import World
from ecosim.world.step import StepFlows, WorldStep

Progress = Callable[[float], None]

#: Watches the world after each step: ``(step index, world, job queues, the step's flows)``.
Observer = Callable[[int, World, JobFlow, StepFlows], None]

#: Asked after each step whether to end the run there (a cancel button, a time limit).
StopRequest = Callable[[], bool]


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
    world
        The world as :func:`~ecosim.world.build.build_world` built it from ``streams``, when
        the caller has it already (a run and its twin start from copies of one build).
    compiled_step
        Advance the world's continuous part in one compiled call
        (:func:`ecosim.kernels.step.continuous_step`); ``False`` runs its readable reference
        twin, which agrees to within a few ulps a step; ``None`` (the default) reads
        :data:`ecosim.world.step.COMPILED`.
    """

    def __init__(
        self,
        scenario: Scenario,
        streams: Streams,
        with_shocks: bool = True,
        world: World | None = None,
        compiled_step: bool | None = None,
    ) -> None:
        self.scenario = scenario
        self.env = simpy.Environment()
        self.world: World = build_world(scenario, streams) if world is None else world
        self.step = WorldStep(self.world, streams, compiled=compiled_step)
        self.active: list[ShockType] = []
        #: Every shock occurrence of the run, drawn once, before it starts.
        self.occurrences: list[Occurrence] = []
        if with_shocks:
            for spec in scenario.shocks:
                self.occurrences.extend(occurrences(spec, scenario, streams))
        #: The world's step times (days).
        self.steps = step_grid(scenario.horizon_days, scenario.step_days)
        #: The day the run ended early on a stop request, or ``None``.
        self.stopped_at: float | None = None
        self.project_events: dict[int, simpy.Event] = {}

    @property
    def jobs(self) -> JobFlow:
        """The regions' job queues."""
        return self.step.jobs

    # ------------------------------------------------------------------ the world's clock

    def sync(self) -> None:
        """Advance the continuous parts of the world from its clock to ``env.now``."""
        self.step.advance(float(self.env.now), self._check_project)

    def refresh(self) -> None:
        """Recompute what follows from the state at the current time."""
        self.step.refresh()

    def _check_project(self, index: int) -> None:
        if projects.is_supplied(self.world, index):
            event = self.project_events.get(index)
            if event is not None and not event.triggered:
                event.succeed()

    # ------------------------------------------------------------------ processes

    def _steps(
        self, observe: Observer | None, progress: Progress | None, stop: StopRequest | None
    ) -> Generator[simpy.Event, Any, None]:
        """The world's step grid: advance, close the step, let the observer watch."""
        steps = self.steps
        end = float(steps[-1])
        for i, t in enumerate(steps):
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            self.sync()
            flows = self.step.close()
            if observe is not None:
                observe(i, self.world, self.step.jobs, flows)
            if progress is not None and (i % 30 == 0 or i == len(steps) - 1):
                # the share of simulated time done, which a progress bar can show as such
                progress(float(t) / end if end > 0.0 else 1.0)
            if stop is not None and i < len(steps) - 1 and stop():
                self.stopped_at = float(t)
                return

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
        interval = self.scenario.regions[w.regions[r]].policy.decision_interval_days
        phase = self._first_review(r)
        if phase > 0:
            yield self.env.timeout(phase)
        while True:
            self.sync()
            decision = policy.review(w, r, float(self.env.now))
            if decision.quantity > 0:
                self.env.process(self._project(decision))
            yield self.env.timeout(interval)

    def _first_review(self, r: int) -> float:
        """Day of region ``r``'s first review: regions review procurement on their own
        calendars, as were every review on the same day the world's orders would arrive in
        quarterly lumps that no buyer's books show."""
        name = self.world.regions[r]
        return review_phase(name) * self.scenario.regions[name].policy.decision_interval_days

    def _project(
        self,
        decision: policy.BuildDecision,
        delay: float | None = None,
        decided: float | None = None,
    ) -> Generator[simpy.Event, Any, None]:
        """A build from its decision to its live site; ``decided`` is the day of a decision
        made before the run (:func:`ecosim.world.policy.warm_decisions`), else now."""
        w = self.world
        r = decision.region
        before = decided is not None
        decided = float(self.env.now) if decided is None else decided
        policy.commit(w, r, decision.quantity)
        if delay is None:
            delay = self.scenario.regions[w.regions[r]].policy.procurement_delay_days
        wait = decided + delay - float(self.env.now)
        if wait > 0:
            yield self.env.timeout(wait)
            self.sync()
        index = projects.start(w, decision, decided, float(self.env.now), delay)
        if before:
            projects.settle_before_start(w, index, float(self.env.now))
        supplied = self.env.event()
        self.project_events[index] = supplied
        if projects.is_supplied(w, index):
            supplied.succeed()
        # the chips are ordered a quoted lead time before the site is ready, not at once
        else:
            at = projects.order_day(w, index, float(self.env.now))
            if at > self.env.now:
                yield self.env.timeout(at - self.env.now)
                self.sync()
            if projects.order(w, index, float(self.env.now)) == 0:
                supplied.succeed()
        remaining = max(0.0, float(w.projects.construction_done[index]) - self.env.now)
        yield self.env.all_of([self.env.timeout(remaining), supplied])
        self.sync()
        projects.finish(w, index, float(self.env.now))
        policy.uncommit(w, r, decision.quantity)
        self.refresh()

    def _shock(self, occ: Occurrence) -> Generator[simpy.Event, Any, None]:
        spec = next(s for s in self.scenario.shocks if s.id == occ.shock_id).scaled(occ.severity)
        shock = make_shock(spec, self.scenario)
        w = self.world
        announce = min(shock.announce_days(), occ.start)
        if announce > 0:
            yield self.env.timeout(occ.start - announce)
            self.sync()
            for rush in stockpile.rush(w, spec, float(self.env.now)):
                self.env.process(self._project(rush, delay=0.0))
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
                # a shock may cut orders: projects left waiting for nothing are supplied
                for index in np.flatnonzero(~w.projects.finished):
                    self._check_project(int(index))
                first = False
            self.refresh()

    def _monthly(self) -> Generator[simpy.Event, Any, None]:
        # controls leak and targets' suppliers ramp up over months: refresh effects monthly;
        # a region whose compute falls short releases its stockpile
        w = self.world
        while True:
            yield self.env.timeout(DAYS_PER_MONTH)
            self.sync()
            if self.active:
                impose_active(w, self.active, float(self.env.now))
            for r in stockpile.due(w, self.step.compute_service):
                self.env.process(self._release_stockpile(r))
            self.refresh()

    def _release_stockpile(self, r: int) -> Generator[simpy.Event, Any, None]:
        w = self.world
        taken = float(self.env.now)
        quantity = stockpile.take(w, r, taken)
        yield self.env.timeout(self.scenario.uncertainties.levers.stockpile_connect_days)
        self.sync()
        stockpile.connect(w, r, quantity, taken, float(self.env.now))
        self.refresh()

    def _ai_factories(self, r: int) -> Generator[simpy.Event, Any, None]:
        """A region's public programme: each factory a build on its own schedule."""
        for at, decision in programmes.ai_factories(self.world, r):
            if at > self.env.now:
                yield self.env.timeout(at - self.env.now)
            self.env.process(self._project(decision, delay=0.0))

    def _capacity_reviews(self) -> Generator[simpy.Event, Any, None]:
        """Suppliers and domestic-chain programmes review what to build, each quarter."""
        w = self.world
        interval = self.scenario.uncertainties.supply.build.review_days
        while True:
            yield self.env.timeout(interval)
            self.sync()
            now = float(self.env.now)
            capacity.review_market(w, now)
            for r in range(w.n_regions):
                capacity.review_chain(w, r, now)
            self.refresh()

    def _domestic_chain(self, r: int) -> Generator[simpy.Event, Any, None]:
        """A region's domestic chain: its first build at its start, its imports' end."""
        w = self.world
        start, stop = capacity.chain_dates(w, r)
        for day, first in ((start, True), (stop, False)):
            if day is None or day >= self.scenario.horizon_days:
                continue
            if day > self.env.now:
                yield self.env.timeout(day - self.env.now)
            self.sync()
            now = float(self.env.now)
            if first:
                capacity.review_chain(w, r, now)
            else:
                capacity.stop_imports(w, r)
                impose_active(w, self.active, now)
                projects.reroute_blocked(w, now)
                for index in np.flatnonzero(~w.projects.finished):
                    self._check_project(int(index))
            self.refresh()

    def _actions(self) -> Generator[simpy.Event, Any, None]:
        """Dated lever actions of a portfolio."""
        s = self.scenario
        for action in sorted(s.actions, key=lambda a: a.date):
            at = max(date_to_day(s.start, action.date), 0.0)
            if at >= s.horizon_days:
                break
            if at > self.env.now:
                yield self.env.timeout(at - self.env.now)
            self.sync()
            for key, value in action.set.items():
                levers.apply_action(self.world, key, value)
            self.refresh()

    def run(
        self,
        observe: Observer | None = None,
        progress: Progress | None = None,
        stop: StopRequest | None = None,
    ) -> None:
        """Run to the horizon, or to the first step after which ``stop()`` is true.

        Parameters
        ----------
        observe
            Called after every step with the world, its job queues and the step's flows.
        progress
            Called now and then with the fraction of simulated time done (0 at the start, 1 at
            the last step).
        stop
            Asked after every step; when it returns true the run ends there, cleanly, and
            :attr:`stopped_at` holds the day reached.
        """
        env = self.env
        env.process(self._providers())
        env.process(self._market())
        for r in range(self.world.n_regions):
            # the builds the region decided before day 0 and is still building: without them
            # every region's own capacity retired for a construction time before its first
            # build came live
            for decided, decision in policy.warm_decisions(self.world, r, self._first_review(r)):
                env.process(self._project(decision, decided=decided))
            env.process(self._policy(r))
        for occ in self.occurrences:
            env.process(self._shock(occ))
        env.process(self._monthly())
        env.process(self._actions())
        env.process(self._capacity_reviews())
        for r in range(self.world.n_regions):
            env.process(self._domestic_chain(r))
        for r in range(self.world.n_regions):
            env.process(self._ai_factories(r))
        done = env.process(self._steps(observe, progress, stop))
        env.run(until=done)
