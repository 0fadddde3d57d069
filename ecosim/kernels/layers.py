"""Each layer's direct service and the regions' specialist needs, from the world's arrays,
and the layers' own steps (talent, model sources, porting, the coupling's clipping):
compiled.

Each is read or taken every world step and was many numpy calls on arrays of a few to twenty
elements, so the calls cost far more than the arithmetic. The rules are those of
:func:`ecosim.world.layers.direct_service` and :func:`ecosim.world.talent.sufficiency`
(documented there); the ``*_ref`` functions are the same in numpy, in today's form. The
kernels repeat numpy's arithmetic in numpy's order: a region's sum over its providers' cloud
shares is numpy's pairwise sum of a contiguous row (eight accumulators from eight providers
on, left to right below), and products and quotients keep the grouping numpy evaluates them
in. Nothing transcendental is computed here (numpy's SIMD ``exp``, ``log`` and ``**`` differ
from Numba's by an ulp now and then): the callers hand over what needs one.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from ecosim.kernels.sums import row_sum

__all__ = [
    "coupling_relax",
    "coupling_relax_ref",
    "coupling_target",
    "coupling_target_ref",
    "layer_services",
    "layer_services_ref",
    "migration",
    "migration_ref",
    "move_models",
    "move_models_ref",
    "move_portable",
    "move_portable_ref",
    "porting_exponent",
    "porting_exponent_ref",
    "staff_need",
    "staff_need_ref",
    "staff_ratio",
    "staff_ratio_ref",
    "step_talent",
    "step_talent_ref",
    "sufficiency",
    "sufficiency_ref",
    "talent_terms",
    "talent_terms_ref",
]

F8 = NDArray[np.float64]
I8 = NDArray[np.int64]
B1 = NDArray[np.bool_]
U1 = NDArray[np.uint8]

#: Columns of the layer services, in the order of :data:`ecosim.scenario.models.LAYERS`.
COMPUTE, DATA, SOFTWARE, MODELS, OPERATIONS = range(5)


def _cloud_where_ref(shares: F8, weight: np.ndarray) -> F8:
    """Each region's cloud share weighted by ``weight[r, p]`` (the providers' columns)."""
    return np.asarray((shares[:, : weight.shape[1]] * weight).sum(axis=1))


def layer_services_ref(
    compute_service: F8,
    shares: F8,
    prov_home: I8,
    prov_present: B1,
    can_stay: U1,
    transfer_blocked: B1,
    compromised: F8,
    displaced_share: F8,
    data_partners: B1,
    model_partners: B1,
    own_infra: F8,
    multi_cloud: F8,
    replica: F8,
    must_stay_local: F8,
    mirror: F8,
    managed_foreign: F8,
    own_available: F8,
    porting_backlog: F8,
    fed_share: F8,
    own_lag: F8,
    open_lag: F8,
    api_lag: F8,
    model_mix: F8,
    open_access: F8,
    api_access: F8,
    skill: F8,
    useful_lag_months: float,
    open_weights_talent_share: float,
) -> F8:
    """Direct service of every layer (R, 5), each in [0, 1], in numpy.

    The arrays are the world's and its regions' parameters of the same names; ``own_lag`` is
    before a partner's models shorten it, ``fed_share`` the share of compute that trains
    federated and ``skill`` the specialists' sufficiency.
    """
    n = shares.shape[0]
    home = prov_home[None, :] == np.arange(n)[:, None]
    out = np.empty((n, 5))
    out[:, COMPUTE] = compute_service
    # data (ecosim.world.layers.data_service)
    withdrawn = _cloud_where_ref(shares, can_stay == 0)
    unreachable = np.minimum(withdrawn + displaced_share, 1.0) * (1.0 - multi_cloud)
    allied = data_partners[:, prov_home] & ~transfer_blocked
    shared = (1.0 - own_infra) * _cloud_where_ref(shares, ~home & ~prov_present & allied)
    held_abroad = _cloud_where_ref(shares, ~home & ~prov_present) * (1.0 - own_infra)
    abroad = np.maximum(held_abroad - shared, 0.0)
    barred = np.maximum(transfer_blocked, compromised)
    ruled = (1.0 - own_infra) * _cloud_where_ref(shares, barred) * (1.0 - replica)
    unlawful = (must_stay_local * abroad + ruled) * (1.0 - fed_share)
    lost = (1.0 - own_infra) * (1.0 - replica) * unreachable + unlawful
    out[:, DATA] = 1.0 - np.minimum(lost, 1.0)
    # software
    out[:, SOFTWARE] = 1.0 - porting_backlog
    # models (model_lags, usefulness, models_service)
    partner_lag = np.where(model_partners, own_lag[None, :], np.inf).min(axis=1, initial=np.inf)
    source_lags = np.stack([np.minimum(own_lag, partner_lag), open_lag, api_lag], axis=1)
    use = np.clip(2.0 - source_lags / useful_lag_months, 0.0, 1.0)
    own = model_mix[:, 0] * skill * use[:, 0]
    held = open_access + (1.0 - open_access) * mirror
    adapted = 1.0 - open_weights_talent_share * (1.0 - skill)
    out[:, MODELS] = (
        own
        + model_mix[:, 1] * held * adapted * use[:, 1]
        + model_mix[:, 2] * api_access * use[:, 2]
    )
    # operations
    foreign = ~home
    on_foreign = _cloud_where_ref(shares, foreign)
    barred_local = transfer_blocked * must_stay_local[:, None]
    gone = np.maximum(np.maximum((can_stay == 0).astype(np.float64), barred_local), compromised)
    lost_ops = _cloud_where_ref(shares, foreign * gone)
    share_lost = np.where(on_foreign > 0, lost_ops / np.maximum(on_foreign, 1e-300), 0.0)
    out[:, OPERATIONS] = skill * (1.0 - managed_foreign * share_lost) * own_available
    return np.asarray(np.clip(out, 0.0, 1.0))


@numba.njit(cache=True)
def _fmin(a: float, b: float) -> float:
    """``np.minimum`` of two floats (a NaN wins)."""
    if np.isnan(a) or a <= b:
        return a
    return b


@numba.njit(cache=True)
def _fmax(a: float, b: float) -> float:
    """``np.maximum`` of two floats (a NaN wins)."""
    if np.isnan(a) or a >= b:
        return a
    return b


@numba.njit(cache=True)
def _clip01(a: float) -> float:
    """``np.clip(a, 0, 1)``."""
    return _fmin(_fmax(a, 0.0), 1.0)


@numba.njit(cache=True)
def layer_services(
    compute_service: F8,
    shares: F8,
    prov_home: I8,
    prov_present: B1,
    can_stay: U1,
    transfer_blocked: B1,
    compromised: F8,
    displaced_share: F8,
    data_partners: B1,
    model_partners: B1,
    own_infra: F8,
    multi_cloud: F8,
    replica: F8,
    must_stay_local: F8,
    mirror: F8,
    managed_foreign: F8,
    own_available: F8,
    porting_backlog: F8,
    fed_share: F8,
    own_lag: F8,
    open_lag: F8,
    api_lag: F8,
    model_mix: F8,
    open_access: F8,
    api_access: F8,
    skill: F8,
    useful_lag_months: float,
    open_weights_talent_share: float,
) -> F8:
    """:func:`layer_services_ref`, compiled."""
    n, n_p = can_stay.shape
    out = np.empty((n, 5))
    # one row of weighted shares per sum, as numpy forms the product before it sums it
    withdrawn_w = np.empty(n_p)
    shared_w = np.empty(n_p)
    abroad_w = np.empty(n_p)
    barred_w = np.empty(n_p)
    foreign_w = np.empty(n_p)
    lost_w = np.empty(n_p)
    for r in range(n):
        oi = own_infra[r]
        stay_local = must_stay_local[r]
        for p in range(n_p):
            s = shares[r, p]
            home = prov_home[p] == r
            gone = can_stay[r, p] == 0
            blocked = transfer_blocked[r, p]
            away = not home and not prov_present[r, p]
            allied = data_partners[r, prov_home[p]] and not blocked
            withdrawn_w[p] = s * (1.0 if gone else 0.0)
            shared_w[p] = s * (1.0 if away and allied else 0.0)
            abroad_w[p] = s * (1.0 if away else 0.0)
            barred_w[p] = s * _fmax(1.0 if blocked else 0.0, compromised[r, p])
            foreign_w[p] = s * (0.0 if home else 1.0)
            lost = _fmax(
                _fmax(1.0 if gone else 0.0, (1.0 if blocked else 0.0) * stay_local),
                compromised[r, p],
            )
            lost_w[p] = s * ((0.0 if home else 1.0) * lost)
        # data
        unreachable = _fmin(row_sum(withdrawn_w, 0, n_p) + displaced_share[r], 1.0) * (
            1.0 - multi_cloud[r]
        )
        shared = (1.0 - oi) * row_sum(shared_w, 0, n_p)
        abroad = _fmax(row_sum(abroad_w, 0, n_p) * (1.0 - oi) - shared, 0.0)
        ruled = (1.0 - oi) * row_sum(barred_w, 0, n_p) * (1.0 - replica[r])
        unlawful = (stay_local * abroad + ruled) * (1.0 - fed_share[r])
        lost_data = (1.0 - oi) * (1.0 - replica[r]) * unreachable + unlawful
        out[r, DATA] = _clip01(1.0 - _fmin(lost_data, 1.0))
        out[r, COMPUTE] = _clip01(compute_service[r])
        out[r, SOFTWARE] = _clip01(1.0 - porting_backlog[r])
        # models
        partner_lag = np.inf
        for k in range(n):
            if model_partners[r, k]:
                partner_lag = _fmin(partner_lag, own_lag[k])
        own_src = _fmin(own_lag[r], partner_lag)
        use0 = _clip01(2.0 - own_src / useful_lag_months)
        use1 = _clip01(2.0 - open_lag[r] / useful_lag_months)
        use2 = _clip01(2.0 - api_lag[r] / useful_lag_months)
        sk = skill[r]
        own = model_mix[r, 0] * sk * use0
        held = open_access[r] + (1.0 - open_access[r]) * mirror[r]
        adapted = 1.0 - open_weights_talent_share * (1.0 - sk)
        out[r, MODELS] = _clip01(
            own + model_mix[r, 1] * held * adapted * use1 + model_mix[r, 2] * api_access[r] * use2
        )
        # operations
        on_foreign = row_sum(foreign_w, 0, n_p)
        lost_ops = row_sum(lost_w, 0, n_p)
        share_lost = lost_ops / _fmax(on_foreign, 1e-300) if on_foreign > 0 else 0.0
        out[r, OPERATIONS] = _clip01(
            sk * (1.0 - managed_foreign[r] * share_lost) * own_available[r]
        )
    return out


def staff_ratio_ref(own_cap: F8, factories: F8, own_available: F8, own0: F8) -> F8:
    """Capacity the region's own specialists run over the scenario's own capacity (R,), in
    numpy: the base of the operations staff's scale power."""
    run_by_region = np.maximum(own_cap - factories * own_available, 0.0)
    return np.asarray(np.where(own0 > 0, run_by_region / np.maximum(own0, 1e-9), 0.0))


@numba.njit(cache=True)
def staff_ratio(own_cap: F8, factories: F8, own_available: F8, own0: F8) -> F8:
    """:func:`staff_ratio_ref`, compiled."""
    n = own_cap.size
    out = np.empty(n)
    for r in range(n):
        run_by_region = _fmax(own_cap[r] - factories[r] * own_available[r], 0.0)
        out[r] = run_by_region / _fmax(own0[r], 1e-9) if own0[r] > 0 else 0.0
    return out


def staff_need_ref(
    scaled: F8,
    staff_per_1k: F8,
    own0: F8,
    model_mix: F8,
    own_models: F8,
    model_staff: F8,
    relief: F8,
) -> tuple[F8, F8]:
    """Specialists for operations and for the own-model effort (each R,), in numpy, given
    ``scaled``, :func:`staff_ratio` to the scale power."""
    ops = staff_per_1k * own0 / 1000.0 * scaled
    grown = model_mix[:, 0] / np.maximum(own_models, 0.05)
    effort = model_staff * np.maximum(grown, 1.0)
    return np.asarray(ops), np.asarray(np.maximum(effort - relief, 0.0))


@numba.njit(cache=True)
def staff_need(
    scaled: F8,
    staff_per_1k: F8,
    own0: F8,
    model_mix: F8,
    own_models: F8,
    model_staff: F8,
    relief: F8,
) -> tuple[F8, F8]:
    """:func:`staff_need_ref`, compiled."""
    n = scaled.size
    ops = np.empty(n)
    models = np.empty(n)
    for r in range(n):
        ops[r] = staff_per_1k[r] * own0[r] / 1000.0 * scaled[r]
        grown = model_mix[r, 0] / _fmax(own_models[r], 0.05)
        effort = model_staff[r] * _fmax(grown, 1.0)
        models[r] = _fmax(effort - relief[r], 0.0)
    return ops, models


def sufficiency_ref(needed: F8, talent: F8, borrowed: F8) -> F8:
    """Share of the ``needed`` specialists a region has with those it ``borrowed`` (R,), in
    numpy."""
    have = talent + borrowed
    return np.asarray(np.where(needed > 0, np.minimum(1.0, have / np.maximum(needed, 1e-9)), 1.0))


@numba.njit(cache=True)
def sufficiency(needed: F8, talent: F8, borrowed: F8) -> F8:
    """:func:`sufficiency_ref`, compiled."""
    n = needed.size
    out = np.empty(n)
    for r in range(n):
        have = talent[r] + borrowed[r]
        out[r] = _fmin(1.0, have / _fmax(needed[r], 1e-9)) if needed[r] > 0 else 1.0
    return out


def migration_ref(a: F8, talent: F8, rate: float) -> F8:
    """Net specialists moving into each region per day (R,), in numpy, given each region's
    attractiveness ``a`` and the yearly mobility ``rate`` per day."""
    gap = np.maximum(a[None, :] - a[:, None], 0.0)
    t = np.maximum(talent, 0.0)
    pools = t[:, None] * t[None, :] / np.maximum(t[:, None] + t[None, :], 1e-9)
    out_flow = rate * pools * gap
    return np.asarray(out_flow.sum(axis=0) - out_flow.sum(axis=1))


@numba.njit(cache=True)
def migration(a: F8, talent: F8, rate: float) -> F8:
    """:func:`migration_ref`, compiled: the flows' sum over the regions they leave adds the
    rows one after another, their sum over the regions they go to is a row's numpy sum."""
    n = a.size
    flow = np.empty((n, n))
    for r in range(n):
        tr = _fmax(talent[r], 0.0)
        for s in range(n):
            ts = _fmax(talent[s], 0.0)
            pool = tr * ts / _fmax(tr + ts, 1e-9)
            flow[r, s] = rate * pool * _fmax(a[s] - a[r], 0.0)
    inflow = np.zeros(n)
    for r in range(n):
        for s in range(n):
            inflow[s] += flow[r, s]
    out = np.empty(n)
    for r in range(n):
        out[r] = inflow[r] - row_sum(flow[r], 0, n)
    return out


def move_models_ref(
    open_lag: F8,
    open_access: F8,
    lag_per_day: tuple[float, float, float],
    model_mix: F8,
    own_models: F8,
    local_models: F8,
    keep_local: F8,
    api_access: F8,
    keep_api: F8,
) -> tuple[F8, F8]:
    """The open weights' lag and the model-source mix after a step (R,; R, 3), in numpy.

    ``lag_per_day`` is the step's length in days, months per year and days per year (the
    lag grows by their product and quotient, in that order); ``own_models`` and
    ``local_models`` the scenario's share of own models and a programme's; ``keep_local``
    and ``keep_api`` what the step leaves undone of a move to own models and of the switch
    from cut-off APIs (``exp(-dt / tau)``).
    """
    dt, months, days = lag_per_day
    lag = open_lag + (1.0 - open_access) * dt * months / days
    mix = model_mix.copy()
    target = np.minimum(1.0, own_models + local_models)
    move = np.maximum(target - mix[:, 0], 0.0) * (1.0 - keep_local)
    from_api = np.minimum(move, mix[:, 2])
    from_open = np.minimum(move - from_api, mix[:, 1])
    mix[:, 0] += from_api + from_open
    mix[:, 1] -= from_open
    mix[:, 2] -= from_api
    cut = mix[:, 2] * (1.0 - api_access)
    switch = cut * (1.0 - keep_api)
    mix[:, 1] += switch
    mix[:, 2] -= switch
    return np.asarray(lag), mix


@numba.njit(cache=True)
def move_models(
    open_lag: F8,
    open_access: F8,
    lag_per_day: tuple[float, float, float],
    model_mix: F8,
    own_models: F8,
    local_models: F8,
    keep_local: F8,
    api_access: F8,
    keep_api: F8,
) -> tuple[F8, F8]:
    """:func:`move_models_ref`, compiled."""
    dt, months, days = lag_per_day
    n = open_lag.size
    lag = np.empty(n)
    mix = model_mix.copy()
    for r in range(n):
        lag[r] = open_lag[r] + (1.0 - open_access[r]) * dt * months / days
        target = _fmin(1.0, own_models[r] + local_models[r])
        move = _fmax(target - mix[r, 0], 0.0) * (1.0 - keep_local[r])
        from_api = _fmin(move, mix[r, 2])
        from_open = _fmin(move - from_api, mix[r, 1])
        mix[r, 0] += from_api + from_open
        mix[r, 1] -= from_open
        mix[r, 2] -= from_api
        switch = mix[r, 2] * (1.0 - api_access[r]) * (1.0 - keep_api[r])
        mix[r, 1] += switch
        mix[r, 2] -= switch
    return lag, mix


def talent_terms_ref(
    capacity: F8,
    talent: F8,
    t0: float,
    pipeline_years: F8,
    graduates_growth: F8,
    attrition: F8,
    dt: float,
    days: float,
) -> tuple[F8, F8, F8]:
    """What a talent step takes a logarithm or an exponential of (each R,), in numpy: the
    compute per specialist (capacity over the stock, at least one specialist and 1e-9 H100e),
    the exponent of the pipeline's growth (``growth * started``, ``started`` the year the
    graduates of day ``t0`` entered it) and that of the attrition over ``dt`` days
    (``-attrition dt / days``)."""
    per_head = np.maximum(capacity / np.maximum(talent, 1.0), 1e-9)
    started = (t0 / days) - pipeline_years
    return (
        np.asarray(per_head),
        np.asarray(graduates_growth * started),
        np.asarray(-attrition * dt / days),
    )


@numba.njit(cache=True)
def talent_terms(
    capacity: F8,
    talent: F8,
    t0: float,
    pipeline_years: F8,
    graduates_growth: F8,
    attrition: F8,
    dt: float,
    days: float,
) -> tuple[F8, F8, F8]:
    """:func:`talent_terms_ref`, compiled."""
    n = talent.size
    per_head = np.empty(n)
    growth = np.empty(n)
    decay = np.empty(n)
    year = t0 / days
    for r in range(n):
        per_head[r] = _fmax(capacity[r] / _fmax(talent[r], 1.0), 1e-9)
        growth[r] = graduates_growth[r] * (year - pipeline_years[r])
        decay[r] = -attrition[r] * dt / days
    return per_head, growth, decay


def step_talent_ref(
    talent: F8,
    pull: tuple[F8, F8, float, float],
    rate: float,
    intake: tuple[F8, F8, F8, F8, float],
    decay: F8,
    dt: float,
    days: float,
) -> F8:
    """Every region's specialists after ``dt`` days (R,), in numpy: the stock decays by
    ``decay`` and gains graduates and migrants at the step's start.

    ``pull`` holds the logarithms of the pay index and of the compute per specialist over its
    geometric mean and their weights: the attractiveness is ``w_pay ln(pay) + w_compute
    ln(relative compute)``, which with the yearly mobility ``rate`` per day drives
    :func:`migration_ref`. ``intake`` holds the graduates at the start's rate (R,), the talent
    programme's widening of it, the pipeline's growth factor (``exp(growth * started)``), the
    AI factories whose training has come through and the trainees each adds a year.
    """
    log_pay, log_compute, weight_pay, weight_compute = pull
    a = weight_pay * log_pay + weight_compute * log_compute
    graduates0, programme, grown, trained, per_factory = intake
    pipeline = graduates0 * (1.0 + programme) * grown / days
    trainees = trained * per_factory / days
    inflow = (pipeline + trainees + migration_ref(a, talent, rate)) * dt
    return np.asarray(np.maximum(talent * decay + inflow, 0.0))


@numba.njit(cache=True)
def step_talent(
    talent: F8,
    pull: tuple[F8, F8, float, float],
    rate: float,
    intake: tuple[F8, F8, F8, F8, float],
    decay: F8,
    dt: float,
    days: float,
) -> F8:
    """:func:`step_talent_ref`, compiled."""
    log_pay, log_compute, weight_pay, weight_compute = pull
    graduates0, programme, grown, trained, per_factory = intake
    n = talent.size
    a = np.empty(n)
    for r in range(n):
        a[r] = weight_pay * log_pay[r] + weight_compute * log_compute[r]
    moved = migration(a, talent, rate)
    out = np.empty(n)
    for r in range(n):
        pipeline = graduates0[r] * (1.0 + programme[r]) * grown[r] / days
        trainees = trained[r] * per_factory / days
        inflow = (pipeline + trainees + moved[r]) * dt
        out[r] = _fmax(talent[r] * decay[r] + inflow, 0.0)
    return out


def porting_exponent_ref(porting_days: F8, dt: float) -> F8:
    """``-dt / porting_days`` (R,; a time of at least 1e-9 days), in numpy: what the share of
    portable work keeps of its distance to the lever over ``dt`` days is its exponential."""
    return np.asarray(-dt / np.maximum(porting_days, 1e-9))


@numba.njit(cache=True)
def porting_exponent(porting_days: F8, dt: float) -> F8:
    """:func:`porting_exponent_ref`, compiled."""
    out = np.empty(porting_days.size)
    for r in range(porting_days.size):
        out[r] = -dt / _fmax(porting_days[r], 1e-9)
    return out


def move_portable_ref(portable: F8, open_stack: F8, keep: F8) -> F8:
    """The share of each region's work that runs on any designer's chips after a step (R,),
    in numpy: it moves toward ``open_stack`` by ``1 - keep`` of the distance."""
    step = 1.0 - keep
    return np.asarray(portable + (open_stack - portable) * step)


@numba.njit(cache=True)
def move_portable(portable: F8, open_stack: F8, keep: F8) -> F8:
    """:func:`move_portable_ref`, compiled."""
    out = np.empty(portable.size)
    for r in range(portable.size):
        out[r] = portable[r] + (open_stack[r] - portable[r]) * (1.0 - keep[r])
    return out


def coupling_target_ref(x: F8, q: F8) -> tuple[F8, F8]:
    """The coupling's steady state ``x`` (``(I - A)^-1 c``) clipped to [0, 1], and the
    inoperability ``q``'s distance from it (each R, 5), in numpy."""
    star = np.clip(x, 0.0, 1.0)
    return np.asarray(star), np.asarray(q - star)


@numba.njit(cache=True)
def coupling_target(x: F8, q: F8) -> tuple[F8, F8]:
    """:func:`coupling_target_ref`, compiled."""
    n, m = x.shape
    star = np.empty((n, m))
    gap = np.empty((n, m))
    for r in range(n):
        for j in range(m):
            s = _clip01(x[r, j])
            star[r, j] = s
            gap[r, j] = q[r, j] - s
    return star, gap


def coupling_relax_ref(star: F8, moved: F8) -> F8:
    """``star + moved`` clipped to [0, 1] (R, 5), in numpy: the inoperability after a step,
    ``moved`` being what is left of its distance from the steady state."""
    return np.asarray(np.clip(star + moved, 0.0, 1.0))


@numba.njit(cache=True)
def coupling_relax(star: F8, moved: F8) -> F8:
    """:func:`coupling_relax_ref`, compiled."""
    n, m = star.shape
    out = np.empty((n, m))
    for r in range(n):
        for j in range(m):
            out[r, j] = _clip01(star[r, j] + moved[r, j])
    return out
