"""Direct service of each layer, from the layer's own state (DESIGN.md section 2.3).

These are the losses ``c*`` fed to the coupling: each layer's own shortfall, before what it
inherits from the layers it depends on. A dependency modelled here (own models need compute to
be served) is left out of the coupling matrix so nothing is counted twice.
"""

from __future__ import annotations

import numpy as np

from ecosim.engine.clock import DAYS_PER_YEAR
from ecosim.scenario.models import LAYERS
from ecosim.world.state import World

COMPUTE, DATA, SOFTWARE, MODELS, OPERATIONS = range(len(LAYERS))


def _workload_where(w: World, mask_rp: np.ndarray) -> np.ndarray:
    """Share of each region's cloud workload on providers where ``mask_rp[r, p]`` holds."""
    return np.asarray((w.shares[:, : len(w.providers)] * mask_rp).sum(axis=1))


def data_service(w: World) -> np.ndarray:
    """Share of data-dependent workload whose data is reachable.

    Data follows the cloud workload: a customer on a provider that withdrew, or displaced and
    not yet landed, has its data out of reach unless replicated; data on own infrastructure is
    always reachable.
    """
    withdrawn = _workload_where(w, w.can_stay == 0)
    unreachable = np.minimum(withdrawn + w.displaced_share, 1.0)
    p = w.params
    return np.asarray(1.0 - (1.0 - p.own_infra) * (1.0 - p.replica) * unreachable)


def software_service(w: World) -> np.ndarray:
    """Share of workload whose stack runs: one minus the porting backlog."""
    return np.asarray(1.0 - w.porting_backlog)


def step_porting(w: World, dt: float) -> None:
    """Porting completes exponentially; faster with open stacks and interoperability."""
    if dt <= 0 or not w.porting_backlog.any():
        return
    n = w.n_regions
    partners = (w.interop.sum(axis=1) - np.diag(w.interop)) / max(n - 1, 1)
    tau = w.params.porting_days * (1.0 - 0.5 * w.params.open_stack) * (1.0 - 0.5 * partners)
    w.porting_backlog *= np.exp(-dt / np.maximum(tau, 1e-9))


def models_service(w: World, compute_service: np.ndarray) -> np.ndarray:
    """Share of model demand served: own models on own compute, open weights, foreign APIs."""
    p = w.params
    return np.asarray(p.own_models * compute_service + p.open_models + p.api_models * w.api_access)


def staff(w: World, t: float) -> np.ndarray:
    """Staff (FTE) of each region at day ``t``: a stock growing with the training pipeline."""
    return np.asarray(w.params.staff0 * np.exp(w.params.staff_growth * t / DAYS_PER_YEAR))


def operations_service(w: World, t: float) -> np.ndarray:
    """Staffing against what installed capacity needs, less managed services lost abroad."""
    p = w.params
    need = p.staff_per_1k * w.own_cap / 1000.0
    staffing = np.where(need > 0, np.minimum(1.0, staff(w, t) / np.maximum(need, 1e-300)), 1.0)
    foreign = w.prov_home[None, :] != np.arange(w.n_regions)[:, None]
    on_foreign = _workload_where(w, foreign)
    lost = _workload_where(w, foreign & (w.can_stay == 0))
    share_lost = np.where(on_foreign > 0, lost / np.maximum(on_foreign, 1e-300), 0.0)
    return np.asarray(staffing * (1.0 - p.managed_foreign * share_lost))


def direct_service(w: World, t: float, compute_service: np.ndarray) -> np.ndarray:
    """Direct service of every layer (R, 5), each in [0, 1]."""
    out = np.empty((w.n_regions, len(LAYERS)))
    out[:, COMPUTE] = compute_service
    out[:, DATA] = data_service(w)
    out[:, SOFTWARE] = software_service(w)
    out[:, MODELS] = models_service(w, compute_service)
    out[:, OPERATIONS] = operations_service(w, t)
    return np.clip(out, 0.0, 1.0)
