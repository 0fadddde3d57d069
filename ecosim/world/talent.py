"""Talent as a stock and flow.

Each region's stock of AI and HPC specialists grows with graduates leaving a training pipeline
``pipeline_years`` long, shrinks with attrition, and moves between regions toward higher
attractiveness ``A_r = w_pay ln(pay_r) + w_compute ln(compute per researcher_r / world mean)``:
each year a share ``mobility`` of the smaller of the two pools moves per unit gap (people to
leave one, jobs to take in the other). Because the pipeline is years long and mobility small,
a region that raises pay or compute draws talent over years.

AI factories (:mod:`ecosim.world.programmes`) add to the pool with their training, bring
their own operators, and their support staff stand in for specialists their users need.
"""

from __future__ import annotations

import numpy as np

from ecosim.core.units import DAYS_PER_YEAR
from ecosim.kernels import layers as kernels
from ecosim.world import alliances, programmes
from ecosim.world.state import World


def graduates(w: World, t: float) -> np.ndarray:
    """Specialists leaving the pipeline per day at day ``t``: the intake of ``pipeline`` ago,
    and those the AI factories' training adds."""
    p = w.params
    started = (t / DAYS_PER_YEAR) - p.pipeline_years
    intake = p.graduates0 * (1.0 + p.talent_programme)  # a programme widens the intake
    pipeline = intake * np.exp(p.graduates_growth * started) / DAYS_PER_YEAR
    return np.asarray(pipeline + programmes.trainees(w, t))


def attractiveness(w: World, capacity: np.ndarray) -> np.ndarray:
    """Attractiveness of each region to a specialist."""
    tal = w.scenario.uncertainties.talent
    per_head = capacity / np.maximum(w.talent, 1.0)
    mean = float(np.exp(np.mean(np.log(np.maximum(per_head, 1e-9)))))
    return np.asarray(
        tal.weight_pay * np.log(w.params.pay_index)
        + tal.weight_compute * np.log(np.maximum(per_head, 1e-9) / mean)
    )


def migration(w: World, capacity: np.ndarray) -> np.ndarray:
    """Net specialists moving into each region per day."""
    tal = w.scenario.uncertainties.talent
    # the pull of s on r's talent is the gap a[s] - a[r] where positive; a flow is bounded by
    # the smaller of the two pools: people to leave, and jobs to take (a small region cannot
    # absorb a large one's talent in a month), t_r t_s / (t_r + t_s)
    # (kernels.migration_ref in numpy; the logarithms of the attractiveness stay numpy's)
    rate = tal.mobility_per_year / DAYS_PER_YEAR
    return np.asarray(kernels.migration(attractiveness(w, capacity), w.talent, float(rate)))


def step_talent(w: World, t0: float, dt: float, capacity: np.ndarray) -> None:
    """Advance the talent stock over ``dt`` days (attrition exact, flows at ``t0``)."""
    if dt <= 0:
        return
    decay = np.exp(-w.params.attrition * dt / DAYS_PER_YEAR)
    inflow = (graduates(w, t0) + migration(w, capacity)) * dt
    w.talent = np.maximum(w.talent * decay + inflow, 0.0)


def staff_needed(w: World) -> tuple[np.ndarray, np.ndarray]:
    """Specialists needed for operations and for the own-model effort.

    AI factories come with their operators, so their capacity is left out of the operations
    need, and their support staff stand in for part of the model effort's. The model effort
    grows with the share of model use on own models above the scenario's.
    """
    p = w.params
    beta = w.scenario.uncertainties.talent.staff_scale_exponent
    # asked for twice a step (models, layer services) and by the recorder: one compiled pass
    # each side of the power, which stays numpy's (Numba's rounds otherwise now and then)
    factories, relief = _factories(w)
    ratio = kernels.staff_ratio(w.own_cap, factories, w.own_available, p.own0)
    # the model effort grows with the share of model use on own models (a programme's)
    ops, models = kernels.staff_need(
        ratio**beta, p.staff_per_1k, p.own0, w.model_mix, p.own_models, p.model_staff, relief
    )
    return ops, models


class _FactoryMemo:
    """The AI factories' capacity and staff relief for the last live factory sites seen.

    Both follow from the live factory sites alone (:meth:`World.factory_sites`) and the
    scenario, and the specialists' need asks for them several times a step, at days whose
    live sites are mostly the same.
    """

    def __init__(self) -> None:
        self.key: tuple[object, int, bytes, bytes] | None = None
        self.value: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0))


_FACTORY_MEMO = _FactoryMemo()


def _factories(w: World) -> tuple[np.ndarray, np.ndarray]:
    """:func:`programmes.factory_capacity` and :func:`programmes.staff_relief` at ``w.t``
    (read-only)."""
    memo = _FACTORY_MEMO
    region, cap = w.factory_sites(w.t)
    key = (w.scenario, w.n_regions, region.tobytes(), cap.tobytes())
    known = memo.key
    if (
        known is None
        or known[0] is not key[0]
        or known[1] != key[1]
        or known[2] != key[2]
        or known[3] != key[3]
    ):
        factories = programmes.factory_capacity(w, w.t)
        relief = programmes.staff_relief(w, w.t)
        factories.setflags(write=False)
        relief.setflags(write=False)
        memo.key = key
        memo.value = (factories, relief)
    return memo.value


def need(w: World) -> np.ndarray:
    """Specialists each region needs: for operations and for its own models (R,; FTE)."""
    ops, models = staff_needed(w)
    return np.asarray(ops + models)


def borrowed(w: World, needed: np.ndarray) -> np.ndarray:
    """Specialists each region borrows from the partners it shares talent with, given what
    each ``needed`` (R,; FTE): secondments and remote support from their surplus
    (:func:`ecosim.world.alliances.lent`)."""
    return alliances.lent(w, "talent", w.talent, needed)


def sufficiency(w: World) -> np.ndarray:
    """Share of the needed specialists the region has, with those its partners lend, in [0, 1]."""
    needed = need(w)
    return np.asarray(kernels.sufficiency(needed, w.talent, borrowed(w, needed)))


def move(w: World, r: int, to: int | None, share: float) -> None:
    """A share of region ``r``'s specialists leave at once, for region ``to`` (or the world)."""
    moved = w.talent[r] * share
    w.talent[r] -= moved
    if to is not None:
        w.talent[to] += moved
