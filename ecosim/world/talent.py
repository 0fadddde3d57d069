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

from typing import Any

import numpy as np

from ecosim.core.units import DAYS_PER_YEAR
from ecosim.kernels import layers as kernels
from ecosim.world import alliances, programmes
from ecosim.world.state import World, read_only


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
    # asked for at every step: each intermediate is written into one scratch array where
    # the same arithmetic allows it, rather than a new array per operation
    per_head = np.maximum(w.talent, 1.0)
    np.divide(capacity, per_head, out=per_head)
    np.maximum(per_head, 1e-9, out=per_head)
    logs = _relative_logs(per_head)
    np.multiply(logs, tal.weight_compute, out=logs)
    out = np.log(w.params.pay_index)
    np.multiply(out, tal.weight_pay, out=out)
    np.add(out, logs, out=out)
    return out


def _relative_logs(per_head: np.ndarray) -> np.ndarray:
    """``log(per_head / geometric mean of per_head)``: the compute term of the attractiveness,
    before its weight, in a new array."""
    logs = np.log(per_head)
    # numpy.mean's own arithmetic (its sum over the count), without its Python wrapper
    mean = float(np.exp(np.add.reduce(logs) / logs.size))
    # logs is no longer needed: it takes log(per_head / mean)
    np.divide(per_head, mean, out=logs)
    np.log(logs, out=logs)
    return logs


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
    p = w.params
    u = w.scenario.uncertainties
    tal = u.talent
    prog = u.ai_factories
    # graduates(w, t0), migration(w, capacity) and the update in two compiled passes
    # (kernels.talent_terms_ref and kernels.step_talent_ref in numpy), the first for what the
    # logarithms and exponentials between them take: those stay numpy's. Every step: each
    # result is written over the array it came from
    per_head, grown, decay = kernels.talent_terms(
        capacity,
        w.talent,
        float(t0),
        p.pipeline_years,
        p.graduates_growth,
        p.attrition,
        float(dt),
        float(DAYS_PER_YEAR),
    )
    # attractiveness(w, capacity), its weighted sum left to the kernel
    pull = (
        np.log(p.pay_index),
        _relative_logs(per_head),
        float(tal.weight_pay),
        float(tal.weight_compute),
    )
    np.exp(grown, out=grown)
    np.exp(decay, out=decay)
    w.talent = kernels.step_talent(
        w.talent,
        pull,
        float(tal.mobility_per_year / DAYS_PER_YEAR),
        (p.graduates0, p.talent_programme, grown, _trained(w, t0), float(prog.trainees_per_year)),
        decay,
        float(dt),
        float(DAYS_PER_YEAR),
    )


def step_inputs(w: World, t0: float) -> tuple[Any, ...]:
    """What :func:`step_talent` reads from day ``t0``, besides the capacity, for the compiled
    step (:func:`ecosim.kernels.step.continuous_step`): the stock, the pipeline's years,
    growth and attrition, the pay index, the graduates at the start, the talent programme,
    the AI factories whose training has come through, the trainees each adds a year, the
    attractiveness' weights of pay and compute, and the yearly mobility."""
    p = w.params
    u = w.scenario.uncertainties
    tal = u.talent
    prog = u.ai_factories
    return (
        w.talent,
        p.pipeline_years,
        p.graduates_growth,
        p.attrition,
        p.pay_index,
        p.graduates0,
        p.talent_programme,
        _trained(w, t0),
        float(prog.trainees_per_year),
        float(tal.weight_pay),
        float(tal.weight_compute),
        float(tal.mobility_per_year),
    )


def _trained(w: World, t0: float) -> np.ndarray:
    """The AI factories in each region whose training has come through by day ``t0`` (R,;
    read-only): :func:`programmes.trainees` counts what each adds a year."""
    training = w.scenario.uncertainties.ai_factories.training_years
    return w.site_totals(t0 - training * DAYS_PER_YEAR, factories=True)[1]


def take_step(w: World, stock: np.ndarray) -> None:
    """The specialists after a compiled step, as :func:`step_talent` would have left them."""
    w.talent = stock


def staff_needed(w: World) -> tuple[np.ndarray, np.ndarray]:
    """Specialists needed for operations and for the own-model effort (read-only).

    AI factories come with their operators, so their capacity is left out of the operations
    need, and their support staff stand in for part of the model effort's. The model effort
    grows with the share of model use on own models above the scenario's.
    """
    return _staff_needed(w, _need_key(w))


def _staff_needed(w: World, key: tuple[object, ...]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`staff_needed`, given its key, :func:`_need_key` of the world as it is now."""
    # asked for at each refresh, by the models' step from the same state, and twice by the
    # recorder: kept while its inputs are the same
    if w.need_memo.key == key:
        return w.need_memo.value
    p = w.params
    scaled, relief = _factories(w, key[:_SITES_KEY])
    # the compiled pass after the power (the part the model mix, which moves at every step,
    # enters)
    ops, models = kernels.staff_need(
        scaled, p.staff_per_1k, p.own0, w.model_mix, p.own_models, p.model_staff, relief
    )
    read_only((ops, models))
    w.need_memo.keep(key, (ops, models))
    return ops, models


#: Length of the head of :func:`_need_key` that holds what the operations staff's scale and
#: the factories' relief follow from.
_SITES_KEY = 6


def _need_key(w: World) -> tuple[object, ...]:
    """What :func:`staff_needed` reads of the world, besides its scenario; its first
    ``_SITES_KEY`` items are what :func:`_factories` at ``w.t`` follows from: the live factory
    sites, the own capacity and what of it is available, and the scenario's own capacity."""
    p = w.params
    region, cap = w.factory_sites(w.t)
    return (
        w.n_regions,
        region.tobytes(),
        cap.tobytes(),
        w.own_cap.tobytes(),
        w.own_available.tobytes(),
        p.own0.tobytes(),
        w.model_mix.tobytes(),
        p.staff_per_1k.tobytes(),
        p.own_models.tobytes(),
        p.model_staff.tobytes(),
    )


def _factories(w: World, key: tuple[object, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The operations staff's scale (the capacity the region's own specialists run, over the
    scenario's own capacity, to the scale power) and :func:`programmes.staff_relief` at
    ``w.t`` (read-only), given the head of :func:`_need_key`.

    The model mix moves at every step, the live factory sites and the own capacity far less
    often: what follows from them alone is kept apart from the need, which the mix enters.
    """
    if w.factories_memo.key == key:
        return w.factories_memo.value
    beta = w.scenario.uncertainties.talent.staff_scale_exponent
    factories = programmes.factory_capacity(w, w.t)
    # compiled (kernels.staff_ratio_ref in numpy); the power stays numpy's (Numba's rounds
    # otherwise now and then)
    ratio = kernels.staff_ratio(w.own_cap, factories, w.own_available, w.params.own0)
    value = (np.asarray(ratio**beta), programmes.staff_relief(w, w.t))
    read_only(value)
    w.factories_memo.keep(key, value)
    return value


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
    """Share of the needed specialists the region has, with those its partners lend, in [0, 1]
    (read-only)."""
    # the models' step asks from the state the last refresh's layer services asked from. The
    # need's key is taken once and handed on: it is most of what a call costs
    need_key = _need_key(w)
    key = (
        need_key,
        w.talent.tobytes(),
        w.alliance.tobytes(),
        w.alliance_scope.tobytes(),
        w.interop.tobytes(),
    )
    if w.sufficiency_memo.key == key:
        return w.sufficiency_memo.value
    ops, models = _staff_needed(w, need_key)
    needed = np.add(ops, models)
    value = np.asarray(kernels.sufficiency(needed, w.talent, borrowed(w, needed)))
    read_only((value,))
    w.sufficiency_memo.keep(key, value)
    return value


def move(w: World, r: int, to: int | None, share: float) -> None:
    """A share of region ``r``'s specialists leave at once, for region ``to`` (or the world)."""
    moved = w.talent[r] * share
    w.talent[r] -= moved
    if to is not None:
        w.talent[to] += moved
