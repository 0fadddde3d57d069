"""The continuous part of the world: advanced between events, closed at each step.

Between two events, and up to each point of the scenario's step grid (``step_days``), the
job queues, production, porting, talent and layer coupling are advanced exactly over the
elapsed interval, holding capacity and supply rates constant (:meth:`WorldStep.advance`);
what follows from the new state is then recomputed (:meth:`WorldStep.refresh`). At each point
of the step grid the step is closed (:meth:`WorldStep.close`): the frontier's history is
extended, and the flows that accumulated over the step (work served and requested,
accelerators and materials delivered) are handed over and their accumulators reset.
Observers receive the flows and never reset anything themselves, so what they see does not
depend on how often they look.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from ecosim.core.rng import Streams
from ecosim.core.units import DAYS_PER_YEAR
from ecosim.kernels import cloud as kernels_cloud
from ecosim.kernels import step as kernels_step
from ecosim.world import (
    capability,
    cloud,
    federated,
    layers,
    policy,
    prices,
    projects,
    supply,
    talent,
    workloads,
)
from ecosim.world.cloud import finish_migrations
from ecosim.world.coupling import CouplingModel
from ecosim.world.jobs import JobFlow, JobSource
from ecosim.world.state import World

#: Whether a step advances its continuous part in one compiled call unless told otherwise:
#: the tests that hold each kernel equal to its twin on the inputs a run hands it set it false,
#: so that the run calls the kernels one by one from Python, where they can be watched.
COMPILED = True


@dataclass(frozen=True)
class StepFlows:
    """What flowed during one world step (since the previous step's close).

    Attributes
    ----------
    jobs : numpy.ndarray
        The job kernel's accumulators (region, ``N_OUT``): work requested, served and
        abandoned (H100e d), queue area and dropped arrivals.
    jobs_by_workload : numpy.ndarray
        The same by workload (region, workload, ``N_OUT``).
    arrivals : numpy.ndarray
        Jobs that arrived in each region (region,).
    deliveries : numpy.ndarray
        Accelerators delivered to buyers homed in each region, per designer (H100e).
    materials : numpy.ndarray
        Materials delivered to wafer fabs homed in each region, per materials supplier
        (H100e of wafers served).
    capex : numpy.ndarray
        Capital each region paid for its own capacity (USD): accelerators when delivered, the
        rest of its sites while they are built.
    """

    jobs: np.ndarray
    jobs_by_workload: np.ndarray
    arrivals: np.ndarray
    deliveries: np.ndarray
    materials: np.ndarray
    capex: np.ndarray


#: :func:`_stack_factor`'s answers (read-only), by (the portable stacks' shares, overhead):
#: asked for at every step, they move only with the open-stack lever.
_STACK: dict[tuple[bytes, float], np.ndarray] = {}


def _stack_factor(w: World) -> np.ndarray:
    """Share of each region's capacity left after the overhead of running on portable stacks
    (read-only)."""
    share = w.params.open_stack
    overhead = w.scenario.uncertainties.levers.open_stack_overhead
    key = (share.tobytes(), overhead)
    known = _STACK.get(key)
    if known is None:
        known = np.asarray(1.0 - overhead * share)
        known.setflags(write=False)
        if len(_STACK) >= 8:  # a run and its twin ask for one or two at a time
            _STACK.clear()
        _STACK[key] = known
    return known


def _capacity_inputs(
    w: World,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What the capacity set aside for workloads is taken from, besides the workloads' shares
    and constants: own capacity, the cloud fleets (contiguous), borrowed capacity, the share
    of each region's capacity its jobs keep after portable stacks and federated training's
    communication and after portable stacks alone, where each provider is present and
    demand."""
    stack = _stack_factor(w)
    # without federated training no capacity goes to its communication: the factor is one,
    # and the stack's share times one is the stack's share to the bit
    factor = stack
    if np.count_nonzero(w.params.federated):
        factor = stack * federated.capacity_factor(w, w.t)
        # read-only as the stack's kept array is: Numba types a read-only array apart, and the
        # compiled step would be compiled a second time for a run that federates
        factor.setflags(write=False)
    n_p = w.cloud_cap.shape[1]
    return (
        w.own_cap,
        np.ascontiguousarray(w.cloud_cap),
        w.borrowed,
        factor,
        stack,
        w.prov_present[:, :n_p],
        w.demand,
    )


def workload_capacity(w: World) -> np.ndarray:
    """Capacity each workload's queue runs on (region, workload), in H100e.

    What a region's jobs can use (own, cloud and borrowed from partners, less the overheads of
    portable stacks and of federated training's communication, which only training pays) is
    set aside by :func:`workloads.allocate`: inference only on capacity in the region (own
    sites and providers with data centres there), short capacity rationed by the workloads'
    priority weights, the rest in proportion to demand.
    """
    n_p = w.cloud_cap.shape[1]
    # one compiled call (every step asks for it) sums the accessible and the local capacity,
    # multiplies out the need and sets it aside as workloads.allocate does;
    # kernels.cloud.workload_capacity_ref is the same in numpy, and sums more providers than
    # the kernel can in numpy's order
    fn = (
        kernels_cloud.workload_capacity
        if n_p <= kernels_cloud.MAX_ROW
        else kernels_cloud.workload_capacity_ref
    )
    return np.asarray(
        fn(
            *_capacity_inputs(w),
            workloads.shares(w, w.t),
            workloads.priorities(w),
            workloads.local_lanes(w),
        )
    )


class WorldStep:
    """The world's continuous part: its job queues, its layer coupling and its compute service.

    Parameters
    ----------
    w
        The world it advances.
    streams
        The run's named streams (each region's job arrivals draw from its own).
    compiled
        Advance the part after supply in one compiled call (:meth:`_continuous`), or, if
        ``False``, by its reference twin (:meth:`_continuous_reference`); by default
        :data:`COMPILED`.
    """

    def __init__(self, w: World, streams: Streams, compiled: bool | None = None) -> None:
        self.world = w
        #: Advance the continuous part after supply in one compiled call; ``False`` runs its
        #: readable reference twin, part after part.
        self.compiled = COMPILED if compiled is None else compiled
        scenario = w.scenario
        mix = scenario.uncertainties.jobs
        warm = float(mix.warm_up_days)
        profiles = workloads.profiles(scenario)
        self.jobs = JobFlow(
            [
                JobSource(
                    streams.get(f"jobs/{name}/{workload}"),
                    profiles[k],
                    partial(workloads.lane_demand, w, r, k),
                    mix.priority_shares,
                    -warm,
                    mix.arrivals_scale,
                )
                for r, name in enumerate(w.regions)
                for k, workload in enumerate(workloads.WORKLOADS)
            ],
            len(workloads.WORKLOADS),
            mix.max_active_jobs,
            scenario.recording.service_window_days,
        )
        self.coupling = CouplingModel(scenario.uncertainties.coupling)
        #: Served over requested work of each region, smoothed over ``service_window_days``.
        self.compute_service = np.ones(w.n_regions)
        self._warm_orders()
        self.closed_at = w.t  # the clock at the last close: prices move from step to step
        self.refresh()
        self._warm_up(warm)
        self.refresh()

    def _warm_orders(self) -> None:
        """Start with the providers' fleets and order books as their own ordering keeps them.

        One review before day 0 each provider orders, against the designers' quotes, the chips
        it wants over the next quoted lead time (:func:`cloud.provider_orders` with no interval
        ahead), and the designers fill what they can until day 0: what they could not is still
        in flight. From an empty book the first review ordered the whole pipeline at once (1.37
        times the next months' orders in the no-shock baseline) and the first month's quotes
        were 13 % above the later ones; now the first review orders the wear of the fleets
        and a month's expected growth. The flows of the warm-up are dropped.
        """
        w = self.world
        u = w.scenario.uncertainties.supply
        if not u.warm_order_book:
            return
        before = -float(u.order_interval_days)
        cloud.provider_orders(w, before, 0.0)
        supply.step_supply(w, before, 0.0, lambda i: cloud.receive(w, i))
        supply.drop_flows(w)

    def _warm_up(self, days: float) -> None:
        """Run the job flow for ``days`` before day 0 at the start's capacity.

        A run would otherwise open with empty queues: the first jobs' whole work counts as
        requested on arrival while it is served over their durations, and compute service read
        about 0.55 in every region in the first week of a run without any shock. The flows of
        the warm-up are dropped; the queues, the jobs in flight and the smoothed service stay.
        Nothing else of the world moves, and the arrivals come from each region's own stream, so
        a run and its no-shock twin warm up alike.
        """
        if days <= 0.0:
            return
        capacity = workload_capacity(self.world)
        t = -days
        while t < 0.0:
            t1 = min(t + 1.0, 0.0)
            self.jobs.advance(t, t1, capacity)
            t = t1
        self.jobs.drain()

    def advance(self, t1: float, on_supplied: Callable[[int], None]) -> None:
        """Advance from the world's clock to ``t1`` (nothing if it is not later).

        ``on_supplied`` is called with the project of each project order filled on the way,
        in the order filled.
        """
        w = self.world
        t0 = w.t
        if t1 <= t0:
            return

        def delivered(i: int) -> None:
            if w.orders.by_provider[i]:
                cloud.receive(w, i)
            else:
                projects.receive(w, i)
                on_supplied(int(w.orders.project[i]))

        supply.step_supply(w, t0, t1, delivered)
        projects.pay_construction(w, t0, t1)
        if self.compiled and w.cloud_cap.shape[1] <= kernels_cloud.MAX_ROW:
            self._continuous(t0, t1)
        else:
            self._continuous_reference(t0, t1)
        w.t = t1
        self.refresh()

    def _continuous_reference(self, t0: float, t1: float) -> None:
        """The step's continuous part after supply, one readable function of each part's
        owner after another: the reference twin of :meth:`_continuous`."""
        w = self.world
        dt = t1 - t0
        lanes = workload_capacity(w)
        capacity = lanes.sum(axis=1)
        served = self.jobs.lanes_sum(self.jobs.advance(t0, t1, lanes, w.demand_factor))
        policy.note_use(w, served, capacity, dt)
        layers.step_porting(w, dt)
        layers.step_models(w, dt)
        talent.step_talent(w, t0, dt, capacity)
        w.inoperability = self.coupling.step(w.inoperability, w.direct_loss, dt)

    def _continuous(self, t0: float, t1: float) -> None:
        """:meth:`_continuous_reference` in one compiled call
        (:func:`ecosim.kernels.step.continuous_step`): each part's owner hands over what it
        reads and takes back what it replaces."""
        w = self.world
        lanes, portable, lag, mix, stock, q = kernels_step.continuous_step(
            (float(t0), float(t1), float(DAYS_PER_YEAR)),
            _capacity_inputs(w),
            workloads.step_inputs(w),
            self.jobs.queue_inputs(t0, t1, w.demand_factor),
            policy.use_counters(w),
            layers.porting_inputs(w),
            layers.models_inputs(w),
            talent.step_inputs(w, t0),
            (w.inoperability, w.direct_loss, *self.coupling.step_matrices(t1 - t0)),
        )
        self.jobs.ran_on(lanes)
        layers.take_step(w, portable, lag, mix)
        talent.take_step(w, stock)
        w.inoperability = q

    def refresh(self) -> None:
        """Recompute what follows from the state at the world's clock."""
        w = self.world
        t = w.t
        # (the migrations read none of what follows, which reads the shares they change)
        finish_migrations(w, t)
        # demand with its surges, own capacity less outages, and the cloud need they leave:
        # one compiled call (kernels/cloud.py; cloud_need_ref is the same in numpy) where
        # there were five numpy calls on a few elements
        w.demand, w.own_cap, w.cloud_need = kernels_cloud.cloud_need(
            w.demand_at(t),
            w.demand_factor,
            w.site_totals(t)[0],
            w.own_available,
            w.params.margin,
        )
        cloud.refresh_cloud(w)
        cloud.lend_capacity(w)
        self.compute_service = self.jobs.compute_service()
        w.direct_loss = 1.0 - layers.direct_service(w, t, self.compute_service)

    def close(self) -> StepFlows:
        """Close the world's step at its clock: extend the frontier, hand over the step's flows.

        Returns
        -------
        StepFlows
            The step's flows, which the world no longer writes; its accumulators start again
            from zero.
        """
        w = self.world
        capability.update_frontier(w, w.t)
        prices.step(w, self.closed_at, w.t)
        self.closed_at = w.t
        out, lanes, arrivals = self.jobs.drain()
        deliveries, materials = supply.hand_over(w)
        return StepFlows(out, lanes, arrivals, deliveries, materials, projects.hand_over_capex(w))
