"""Direct service of each layer, from the layer's own state (DESIGN.md section 2.3).

These are the losses ``c*`` fed to the coupling: each layer's own shortfall, before what it
inherits from the layers it depends on. What a layer's state already carries (talent limiting
own models, withdrawn providers taking data) is left out of the coupling matrix, and what the
coupling carries (own models needing own compute) is left out of here, so nothing is counted
twice.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ecosim.core.units import DAYS_PER_YEAR, MONTHS_PER_YEAR
from ecosim.kernels import layers as kernels
from ecosim.kernels import record as kernels_record
from ecosim.scenario.models import LAYERS, StackSupplier
from ecosim.world import alliances, federated, talent
from ecosim.world.state import World

COMPUTE, DATA, SOFTWARE, MODELS, OPERATIONS = range(len(LAYERS))
#: Location classes of data, in the order of :func:`data_location`.
DATA_LOCATIONS: tuple[str, ...] = ("own", "domestic_provider", "foreign_provider", "abroad")


def _cloud_where(w: World, weight_rp: np.ndarray) -> np.ndarray:
    """Each region's cloud workload share weighted by ``weight_rp[r, p]`` (contracted shares)."""
    return np.asarray((w.shares[:, : len(w.providers)] * weight_rp).sum(axis=1))


def data_location(w: World) -> np.ndarray:
    """Share of each region's data by location class (R, 4); rows sum to one.

    Data follows the workload: own infrastructure (and customers served outside the cloud)
    keep it at home; cloud data sits with a domestic provider, with a foreign provider in the
    region, or abroad where the provider has no data centre in the region.
    """
    # compiled (kernels/record.py, whose data_location_ref is the same in numpy) where numpy
    # sums a row in one block
    small = len(w.providers) <= kernels_record.MAX_ROW
    fn = kernels_record.data_location if small else kernels_record.data_location_ref
    return np.asarray(fn(w.shares, w.prov_home, w.prov_present, w.params.own_infra))


def data_service(w: World) -> np.ndarray:
    """Share of data-dependent workload whose data is reachable and lawful to use.

    Unreachable: on a provider that withdrew, or moving with a displaced customer -- unless
    replicated (or spread over two clouds). Unlawful: the share that must stay local but is
    held abroad, unless with a provider from a partner the region shares data with, and data
    caught by a transfer ruling unless replicated at home; a ruling overrides a sharing
    agreement. Federated training (:mod:`ecosim.world.federated`) uses the training part of
    what may not move where it lies.
    """
    p = w.params
    withdrawn = _cloud_where(w, w.can_stay == 0)
    # work spread over two clouds keeps a copy with the other one
    unreachable = np.minimum(withdrawn + w.displaced_share, 1.0) * (1.0 - p.multi_cloud)
    # abroad, with a provider from a region the data may go to under a sharing agreement
    # that no ruling has struck down
    home = w.prov_home[None, :] == np.arange(w.n_regions)[:, None]
    allied = alliances.partners(w, "data")[:, w.prov_home] & ~w.transfer_blocked
    shared = (1.0 - p.own_infra) * _cloud_where(w, ~home & ~w.prov_present & allied)
    abroad = np.maximum(data_location(w)[:, 3] - shared, 0.0)
    # a data-transfer ruling makes data with providers under a foreign jurisdiction unlawful,
    # and data a legal compulsion reached is suspended while it lasts; a domestic replica of
    # either is lawful and trusted
    barred = np.maximum(w.transfer_blocked, w.compromised)
    ruled = (1.0 - p.own_infra) * _cloud_where(w, barred) * (1.0 - p.replica)
    unlawful = (p.must_stay_local * abroad + ruled) * (1.0 - federated.compute_share(w, w.t))
    lost = (1.0 - p.own_infra) * (1.0 - p.replica) * unreachable + unlawful
    return np.asarray(1.0 - np.minimum(lost, 1.0))


def software_service(w: World) -> np.ndarray:
    """Share of workload whose stack runs: one minus the porting backlog."""
    return np.asarray(1.0 - w.porting_backlog)


def step_porting(w: World, dt: float) -> None:
    """Porting completes exponentially; faster with open stacks and interoperability.

    Two kinds of porting: work stranded by a lost stack (the backlog), and work moved onto
    portable stacks as a region raises ``open_stack_share``: the share that can run on any
    designer's chips (``portable``) follows the lever with the region's porting time, so
    hardware independence is bought years ahead, not on the day a designer is cut off.
    """
    if dt <= 0:
        return
    # every step: the arithmetic either side of the exponential, which stays numpy's, in a
    # compiled pass each (kernels.porting_exponent_ref and move_portable_ref in numpy)
    keep = kernels.porting_exponent(w.params.porting_days, float(dt))
    np.exp(keep, out=keep)
    w.portable = kernels.move_portable(w.portable, w.params.open_stack, keep)
    # a count of the nonzero entries is a direct call, .any() a Python wrapper (every step)
    if not np.count_nonzero(w.porting_backlog):
        return
    n = w.n_regions
    partners = (w.interop.sum(axis=1) - np.diag(w.interop)) / max(n - 1, 1)
    tau = w.params.porting_days * (1.0 - 0.5 * w.params.open_stack) * (1.0 - 0.5 * partners)
    w.porting_backlog *= np.exp(-dt / np.maximum(tau, 1e-9))


def usefulness(w: World, lag_months: np.ndarray) -> np.ndarray:
    """Share of demand a model this many months behind the frontier still serves."""
    limit = w.scenario.uncertainties.capability.useful_lag_months
    return np.asarray(np.clip(2.0 - lag_months / limit, 0.0, 1.0))


def model_lags(w: World) -> np.ndarray:
    """Months behind the frontier of each source (R, 3): own, open weights, foreign API.

    The own models' lag is the region's frontier lag as last updated (daily, with the record),
    or a partner's it shares models with (joint models, held like its own), whichever is
    newer.
    """
    share = alliances.partners(w, "models")
    # the columns written into one array: np.stack's Python wrapper cost more than the rest
    # (asked for at every record)
    out = np.empty((w.n_regions, 3))
    if np.count_nonzero(share):
        partner_lag = np.where(share, w.own_lag[None, :], np.inf).min(axis=1, initial=np.inf)
        np.minimum(w.own_lag, partner_lag, out=out[:, 0])
    else:
        # no partner: every partner lag is infinite, and the minimum with it the own lag
        out[:, 0] = w.own_lag
    out[:, 1] = w.open_lag
    out[:, 2] = w.api_lag
    return out


def step_models(w: World, dt: float) -> None:
    """Open weights held locally fall behind while new releases are out of reach, and the
    model-source mix moves.

    A local-model programme (the ``local_models`` lever) moves model use to the region's own
    models, from foreign APIs first, then open weights, with time constant
    ``local_models_years``. Use cut off from foreign APIs moves to open weights with time
    constant ``api_switch_days`` and stays there. Both go as fast as the region's specialists
    allow: at half the specialists needed, at half the rate.
    """
    if dt <= 0:
        return
    p = w.params
    eff = w.scenario.uncertainties.levers
    # the exponentials stay numpy's; the rest is one compiled pass. Both exponents are
    # (-dt skill) / tau: the product is taken once, each quotient in its own new array
    spent = np.multiply(talent.sufficiency(w), -dt)
    keep_local = np.divide(spent, eff.local_models_years * DAYS_PER_YEAR)
    np.exp(keep_local, out=keep_local)
    keep_api = np.divide(spent, eff.api_switch_days, out=spent)
    np.exp(keep_api, out=keep_api)
    w.open_lag, w.model_mix = kernels.move_models(
        w.open_lag,
        w.open_access,
        (float(dt), float(MONTHS_PER_YEAR), float(DAYS_PER_YEAR)),
        w.model_mix,
        p.own_models,
        p.local_models,
        keep_local,
        w.api_access,
        keep_api,
    )


def porting_inputs(
    w: World,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What :func:`step_porting` reads, for the compiled step
    (:func:`ecosim.kernels.step.continuous_step`): the porting times, the portable share, the
    open-stack lever, the backlog (which the step decays in place) and the interoperability."""
    p = w.params
    return (
        p.porting_days,
        w.portable,
        p.open_stack,
        w.porting_backlog,
        np.ascontiguousarray(w.interop),
    )


def models_inputs(w: World) -> tuple[Any, ...]:
    """What :func:`step_models` reads, for the compiled step: the open weights' lag and
    access, the model mix, the own-models share and programme, API access, the specialists'
    sufficiency, the local-models and API-switch times and months per year."""
    p = w.params
    eff = w.scenario.uncertainties.levers
    return (
        w.open_lag,
        w.open_access,
        w.model_mix,
        p.own_models,
        p.local_models,
        w.api_access,
        talent.sufficiency(w),
        float(eff.local_models_years),
        float(eff.api_switch_days),
        float(MONTHS_PER_YEAR),
    )


def take_step(w: World, portable: np.ndarray, open_lag: np.ndarray, mix: np.ndarray) -> None:
    """The portable share, the open weights' lag and the model mix after a compiled step, as
    :func:`step_porting` and :func:`step_models` would have left them."""
    w.portable = portable
    w.open_lag = open_lag
    w.model_mix = mix


def set_model_share(w: World, r: int, source: int, share: float) -> None:
    """Region ``r`` takes ``share`` of its model use from ``source`` (own, open weights, API)
    from now on (a dated action sets all three together)."""
    w.model_mix[r, source] = share


def models_service(w: World, t: float, skill: np.ndarray | None = None) -> np.ndarray:
    """Share of model demand served: own models (as talent allows), open weights (part of
    their value as talent allows), APIs, in the shares of :attr:`World.model_mix`.

    Each source serves in proportion to its usefulness given how far behind the frontier it
    is. Own models also need own compute; the coupling matrix carries that, not this layer.
    Operations reach models through talent here: own models and adapting open weights need
    the specialists operations also needs, so the coupling matrix has no models-from-operations
    term, which would count that loss twice. ``skill`` is :func:`talent.sufficiency` where the
    caller has it already.
    """
    p = w.params
    lags = model_lags(w)
    use = usefulness(w, lags)
    if skill is None:
        skill = talent.sufficiency(w)
    mix = w.model_mix
    own = mix[:, 0] * skill * use[:, 0]
    # cut off from the source, only the mirrored share of open weights is still at hand
    held = w.open_access + (1.0 - w.open_access) * p.mirror
    adapted = 1.0 - w.scenario.uncertainties.levers.open_weights_talent_share * (1.0 - skill)
    return np.asarray(
        own + mix[:, 1] * held * adapted * use[:, 1] + mix[:, 2] * w.api_access * use[:, 2]
    )


def operations_service(w: World, skill: np.ndarray | None = None) -> np.ndarray:
    """Specialists against what capacity and the model effort need, less lost managed services.

    Managed services bought from foreign providers are lost where the provider withdrew; in
    the share that handles data that must stay local (personal, health, regulated data) where
    a data-transfer ruling bars the provider, since the rest can go on under contractual
    clauses, as after Schrems II; and in the share a legal compulsion reached, while it lasts.
    ``skill`` is :func:`talent.sufficiency` where the caller has it already.
    """
    p = w.params
    if skill is None:
        skill = talent.sufficiency(w)
    foreign = w.prov_home[None, :] != np.arange(w.n_regions)[:, None]
    on_foreign = _cloud_where(w, foreign)
    barred = w.transfer_blocked * p.must_stay_local[:, None]
    gone = np.maximum(np.maximum((w.can_stay == 0).astype(np.float64), barred), w.compromised)
    lost = _cloud_where(w, foreign * gone)
    share_lost = np.where(on_foreign > 0, lost / np.maximum(on_foreign, 1e-300), 0.0)
    # own sites down in an outage must be brought back by the region's own operators
    return np.asarray(skill * (1.0 - p.managed_foreign * share_lost) * w.own_available)


def direct_service(w: World, t: float, compute_service: np.ndarray) -> np.ndarray:
    """Direct service of every layer (R, 5), each in [0, 1].

    :func:`data_service`, :func:`software_service`, :func:`models_service` and
    :func:`operations_service` in one compiled pass (:func:`ecosim.kernels.layers.layer_services`,
    equal to them to the bit): asked for at every refresh, they were a hundred and fifty numpy
    calls on arrays of a few elements.
    """
    p = w.params
    u = w.scenario.uncertainties
    return np.asarray(
        kernels.layer_services(
            compute_service,
            w.shares,
            w.prov_home,
            w.prov_present,
            w.can_stay,
            w.transfer_blocked,
            w.compromised,
            w.displaced_share,
            alliances.partners(w, "data"),
            alliances.partners(w, "models"),
            p.own_infra,
            p.multi_cloud,
            p.replica,
            p.must_stay_local,
            p.mirror,
            p.managed_foreign,
            w.own_available,
            w.porting_backlog,
            federated.compute_share(w, w.t),
            w.own_lag,
            w.open_lag,
            w.api_lag,
            w.model_mix,
            w.open_access,
            w.api_access,
            talent.sufficiency(w),
            float(u.capability.useful_lag_months),
            float(u.levers.open_weights_talent_share),
        )
    )


def direct_service_ref(w: World, t: float, compute_service: np.ndarray) -> np.ndarray:
    """:func:`direct_service` from the numpy functions of each layer (its reference twin)."""
    out = np.empty((w.n_regions, len(LAYERS)))
    out[:, COMPUTE] = compute_service
    out[:, DATA] = data_service(w)
    out[:, SOFTWARE] = software_service(w)
    skill = talent.sufficiency(w)
    out[:, MODELS] = models_service(w, t, skill)
    out[:, OPERATIONS] = operations_service(w, skill)
    return np.clip(out, 0.0, 1.0)


def exposure(w: World) -> np.ndarray:
    """Share of each layer exposed to foreign legal compulsion (R, 5).

    A confidentiality risk that service (an availability measure) does not show: compute and
    data held by providers under a foreign parent's jurisdiction (less for a locally operated,
    locally keyed sovereign offering), a proprietary stack from abroad, foreign model APIs,
    and managed services bought from foreign providers.
    """
    p = w.params
    # compiled (kernels/record.py, whose exposure_ref is the same in numpy) where numpy sums a
    # row in one block
    small = len(w.providers) <= kernels_record.MAX_ROW
    fn = kernels_record.exposure if small else kernels_record.exposure_ref
    return np.asarray(
        fn(
            w.shares,
            w.cloud_cap,
            w.own_cap,
            w.prov_exposure,
            w.prov_home,
            p.own_infra,
            _foreign_stack(w),
            p.open_stack,
            w.model_mix,
            w.api_access,
            w.api_foreign,
            p.managed_foreign,
        )
    )


def _foreign_stack(w: World) -> np.ndarray:
    """Whether each region's proprietary stack comes from abroad (R,), read-only: read from
    the scenario, which a run never changes, once rather than at every record."""
    # the scenario itself in the key, not its id, which a later scenario could reuse; a tuple
    # compares it by identity first
    key = (w.scenario, tuple(w.regions))
    if w.foreign_stack_memo.key == key:
        return w.foreign_stack_memo.value
    out = np.zeros(w.n_regions, dtype=bool)
    for r, name in enumerate(w.regions):
        stack = w.scenario.suppliers[w.scenario.regions[name].software.proprietary_stack]
        out[r] = isinstance(stack, StackSupplier) and w.region_index(stack.home) != r
    out.setflags(write=False)
    w.foreign_stack_memo.keep(key, out)
    return out


def require_porting(w: World, r: int, share: float) -> None:
    """At least a ``share`` of region ``r``'s workload must now be ported to another stack."""
    w.porting_backlog[r] = max(w.porting_backlog[r], share)
