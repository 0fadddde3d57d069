"""Workload classes: what part of a region's compute each one asks for, and where it may run.

A region's compute demand (:meth:`~ecosim.world.state.World.demand_at`) is split between
four workloads. Inference runs the models the region deploys itself, its own and open
weights (closed models bought as APIs from abroad run on their provider's compute), so its
share is that deployed share times an intensity that grows as deployed models reach users
(``uncertainties.workloads.inference_growth``). The training rest is split by the region's
``demand.training_split``. Shares depend on time only, never on the state of a run, so the
pre-drawn jobs of a run and of its no-shock twin are the same.

Each workload runs its own queue on capacity set aside for it (:func:`allocate`): a local
workload (inference) only on capacity in the region -- own sites and providers with data
centres there -- and the others anywhere, abroad or borrowed from partners. When capacity
is short it is rationed by each workload's ``priority`` weight (:func:`ration`): every
workload gets the same fraction of its demand times its weight, up to its demand, so
inference keeps more than training without training stopping. What is left over, the
reserve, is shared in proportion to demand, so in normal times every workload has the same
headroom.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ecosim.core.units import DAYS_PER_YEAR
from ecosim.kernels import allocation, arrivals
from ecosim.kernels import cloud as cloud_kernels
from ecosim.scenario.models import Scenario, Workload
from ecosim.world.state import World

#: The workload classes, in the order of the ``workload`` dimension of the outputs.
WORKLOADS: tuple[str, ...] = ("frontier_training", "domain_training", "fine_tuning", "inference")
#: Index of inference among :data:`WORKLOADS`.
INFERENCE = WORKLOADS.index("inference")
#: The training workloads, split by each region's ``demand.training_split``.
TRAINING: tuple[str, ...] = WORKLOADS[:INFERENCE]
# the demand shares' kernel (kernels.cloud.workload_shares) puts inference last
assert len(WORKLOADS) - 1 == INFERENCE


def profiles(scenario: Scenario) -> list[Workload]:
    """The scenario's job profile of every workload, in :data:`WORKLOADS` order."""
    wl = scenario.uncertainties.workloads
    return [getattr(wl, name) for name in WORKLOADS]


def local_only(scenario: Scenario) -> np.ndarray:
    """Which workloads may run only in the region (W,)."""
    return np.array([p.local for p in profiles(scenario)], dtype=bool)


def local_lanes(w: World) -> np.ndarray:
    """Which workloads may run only in the region (W,), read from the scenario once."""
    known = w.workload_memo.get("local_only")
    if known is None:
        known = local_only(w.scenario)
        known.setflags(write=False)
        w.workload_memo["local_only"] = known
    return known


def deployed_share(w: World) -> np.ndarray:
    """Share of each region's model use it serves on its own compute: own models and open
    weights (R,)."""
    return np.asarray(np.clip(w.params.own_models + w.params.open_models, 0.0, 1.0))


def _intensity(w: World, t: np.ndarray | float) -> np.ndarray:
    """Inference's share of the compute behind deployed models at day(s) ``t``."""
    g = w.scenario.uncertainties.workloads.inference_growth
    years = np.asarray(t, dtype=np.float64) / DAYS_PER_YEAR
    return np.asarray(
        g.intensity_long_run
        + (g.intensity_start - g.intensity_long_run) * np.exp(-years / g.adoption_years)
    )


def _intensity_at(w: World, t: float) -> float:
    """:func:`_intensity` at the one day ``t``, to the bit: the same operations on floats,
    without the 0-d arrays' cost per operation (asked for at every step); the exponential
    stays numpy's."""
    g = w.scenario.uncertainties.workloads.inference_growth
    years = float(t) / DAYS_PER_YEAR
    decay = float(np.exp(-years / g.adoption_years))
    return float(g.intensity_long_run + (g.intensity_start - g.intensity_long_run) * decay)


def _inference(w: World, deployed: np.ndarray | float, t: np.ndarray | float) -> np.ndarray:
    """Inference's share of demand for a deployed share of model use, at day(s) ``t``."""
    g = w.scenario.uncertainties.workloads.inference_growth
    return np.asarray(np.minimum(g.max_share, deployed * _intensity(w, t)))


def inference_share(w: World, r: int, t: np.ndarray | float) -> np.ndarray:
    """Share of region ``r``'s compute demand that is inference, at day(s) ``t``."""
    return _inference(w, deployed_share(w)[r], t)


def training_share(w: World, t: float) -> np.ndarray:
    """Share of every region's compute demand that is training, at day ``t`` (R,)."""
    return np.asarray(1.0 - _inference(w, deployed_share(w), t))


def training_split(w: World) -> np.ndarray:
    """Every region's split of its training work between the training workloads (R, 3)."""
    known = w.workload_memo.get("training_split")
    if known is None:  # read from the scenario once: a run never changes it
        known = np.array(
            [
                [getattr(w.scenario.regions[name].demand.training_split, k) for k in TRAINING]
                for name in w.regions
            ]
        )
        known.setflags(write=False)
        w.workload_memo["training_split"] = known
    return known


def priorities(w: World) -> np.ndarray:
    """Each workload's claim on short capacity (W,), read from the scenario once."""
    known = w.workload_memo.get("priorities")
    if known is None:
        known = np.array([p.priority for p in profiles(w.scenario)], dtype=np.float64)
        known.setflags(write=False)
        w.workload_memo["priorities"] = known
    return known


def share(w: World, r: int, k: int, t: np.ndarray | float) -> np.ndarray:
    """Share of region ``r``'s compute demand that is workload ``k``, at day(s) ``t``."""
    inf = inference_share(w, r, t)
    if k == INFERENCE:
        return inf
    # the scenario's value, read once for every region (training_split)
    return np.asarray((1.0 - inf) * training_split(w)[r, k])


def shares(w: World, t: float) -> np.ndarray:
    """Every region's demand shares by workload at day ``t`` (R, W); each row sums to one."""
    # asked for at every step: one compiled call beside the exponential, which stays numpy's
    # (kernels/cloud.py; workload_shares_ref is its numpy twin, _inference's arithmetic)
    p = w.params
    return np.asarray(
        cloud_kernels.workload_shares(
            p.own_models,
            p.open_models,
            _intensity_at(w, t),
            float(w.scenario.uncertainties.workloads.inference_growth.max_share),
            training_split(w),
        )
    )


def step_inputs(w: World) -> tuple[Any, ...]:
    """What the compiled step reads to reckon :func:`shares` and set capacity aside
    (:func:`ecosim.kernels.step.continuous_step`): the own and open models' shares, inference's
    long-run and starting intensity, its adoption time (years) and largest share, the
    training split, the workloads' priorities and which are local only."""
    g = w.scenario.uncertainties.workloads.inference_growth
    p = w.params
    return (
        p.own_models,
        p.open_models,
        float(g.intensity_long_run),
        float(g.intensity_start),
        float(g.adoption_years),
        float(g.max_share),
        training_split(w),
        priorities(w),
        local_lanes(w),
    )


def _demand_growth(w: World) -> np.ndarray:
    """Every region's initial demand (H100e), its long-run growth rate (1/year), the start's
    extra rate times its time scale, and the time scale (years), as
    :meth:`~ecosim.world.state.World.region_demand` reckons them (R, 4); read from the
    scenario once."""
    known = w.workload_memo.get("demand_growth")
    if known is None:
        u = w.scenario.uncertainties
        rows = []
        for name in w.regions:
            reg = w.scenario.regions[name].demand
            g0 = reg.growth_per_year * u.demand_growth_scale
            g_inf = u.growth_long_run_per_year * u.demand_growth_scale
            tau = u.growth_decay_years
            # (g0 - g_inf) * tau as growth.growth_factor reckons it, before the array
            rows.append([reg.initial_h100e, g_inf, (g0 - g_inf) * tau, tau])
        known = np.array(rows, dtype=np.float64)
        known.setflags(write=False)
        w.workload_memo["demand_growth"] = known
    return known


def lane_demand(w: World, r: int, k: int, t: np.ndarray) -> np.ndarray:
    """Demand of workload ``k`` in region ``r`` at each of the days ``t`` (H100e).

    It is ``w.region_demand(r, t) * share(w, r, k, t)`` to the bit, asked once a block for
    each lane's arrivals (a few hundred days): the same arithmetic in two compiled passes
    (:func:`ecosim.kernels.arrivals.demand_exponents`, :func:`~ecosim.kernels.arrivals.
    demand_parts`) around numpy's exponentials, instead of some twenty numpy calls.
    """
    days = np.asarray(t, dtype=np.float64)
    flat = np.ascontiguousarray(days.reshape(-1))
    initial, g_inf, climb, tau = _demand_growth(w)[r]
    g = w.scenario.uncertainties.workloads.inference_growth
    decay = arrivals.demand_exponents(flat, DAYS_PER_YEAR, tau, float(g.adoption_years))
    np.exp(decay, out=decay)
    # the deployed share is read at every call, as a dated action may change it; inside (0, 1)
    # the clip of deployed_share leaves the sum as it is, and costs more than the rest
    p = w.params
    deployed = float(p.own_models[r] + p.open_models[r])
    if not 0.0 < deployed < 1.0:
        deployed = float(deployed_share(w)[r])
    parts = arrivals.demand_parts(
        flat,
        decay,
        DAYS_PER_YEAR,
        g_inf,
        climb,
        float(g.intensity_long_run),
        float(g.intensity_start - g.intensity_long_run),
        deployed,
        float(g.max_share),
        k == INFERENCE,
        float(training_split(w)[r, k]) if k != INFERENCE else 1.0,
    )
    grown = parts[0]
    np.exp(grown, out=grown)
    # the region's demand, then its workload's part of it, in region_demand's and share's order
    grown *= initial
    grown *= parts[1]
    return grown.reshape(days.shape)


def ration(avail: np.ndarray, need: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Share ``avail`` (R,) among workloads asking ``need`` (R, W) by weighted rationing.

    Each workload gets ``min(need, lam * weight * need)``, with ``lam`` (per region) such that
    the grants use all of ``avail``, or everyone gets its need if ``avail`` covers it: under
    scarcity every workload gets the same fraction of its need times its weight, up to its
    need. Solved exactly: the total granted is piecewise linear in ``lam``, with a kink where
    each workload is served in full (``lam = 1 / weight``).
    """
    return allocation.ration_ref(avail, need, weight)


def allocate(
    total: np.ndarray,
    local: np.ndarray,
    need: np.ndarray,
    weight: np.ndarray,
    local_only: np.ndarray,
) -> np.ndarray:
    """Set each region's capacity aside for its workloads.

    Parameters
    ----------
    total : ndarray, shape (R,)
        All the capacity a region's jobs can use (H100e).
    local : ndarray, shape (R,)
        The part of ``total`` in the region (H100e).
    need : ndarray, shape (R, W)
        What each workload asks for (H100e).
    weight : ndarray, shape (W,)
        Each workload's claim on short capacity (:func:`ration`), all positive.
    local_only : ndarray of bool, shape (W,)
        Workloads that may use only ``local``.

    Returns
    -------
    ndarray, shape (R, W)
        Capacity of each workload's queue. Up to the need, ``total`` is rationed by weight;
        local workloads are held within ``local`` (rationed there among themselves if they
        would exceed it, and the others share the rest). What is left over is shared in
        proportion to need, the capacity abroad among the workloads that may use it. Rows
        sum to ``total`` unless all workloads are local and there is capacity abroad.
    """
    # compiled (every world step asks for it); allocation.allocate_ref is the same in numpy
    return np.asarray(
        allocation.allocate(
            np.ascontiguousarray(total, dtype=np.float64),
            np.ascontiguousarray(local, dtype=np.float64),
            np.ascontiguousarray(need, dtype=np.float64),
            np.ascontiguousarray(weight, dtype=np.float64),
            np.ascontiguousarray(local_only, dtype=np.bool_),
        )
    )
