"""The world's continuous step between supply and refresh, in one compiled call.

Over a step ``[t0, t1)`` the world sets capacity aside for each workload, runs every lane's
job queue, counts the use its build-or-buy reviews read, and moves porting, the model-source
mix, talent and the coupled inoperabilities. Each of those has its own readable function in
:mod:`ecosim.world` (:class:`ecosim.world.step.WorldStep` runs them one after another on its
reference path), each a compiled kernel with the arithmetic either side of it in numpy: some
forty Python and numpy calls a step on arrays of a few elements, which cost far more than the
arithmetic. :func:`continuous_step` does all of it in one call, calling the same kernels
(:func:`~ecosim.kernels.cloud.workload_shares`, :func:`~ecosim.kernels.cloud.
workload_capacity`, :func:`~ecosim.kernels.jobs.advance_lanes`, :func:`~ecosim.kernels.layers.
move_models`, :func:`~ecosim.kernels.layers.step_talent`, ...) and repeating numpy's order of
every sum (:func:`ecosim.kernels.sums.row_sum`).

What the reference path leaves to numpy and this call cannot repeat to the bit: the
exponentials and logarithms (numpy's AVX-512 ``exp`` rounds the last bit differently from the C
library's, which this call uses, on about one value in twenty, its ``log`` on a few in a
hundred thousand) and the coupling's two 5 x 5
matrix products (the BLAS's fused multiply-adds, here a plain sum over the inner index). The
two paths agree to within a few ulps a step; ``tests/integration/test_compiled_step.py`` runs
them side by side and holds every recorded series within 1e-9 relative (over ten years of the
baseline service and talent stay within 2e-14 relative of each other, every output above 1e-6
within 3e-9, and no discrete decision flips).
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from ecosim.kernels.cloud import workload_capacity, workload_shares
from ecosim.kernels.jobs import advance_lanes
from ecosim.kernels.layers import (
    _fmax,
    coupling_relax,
    coupling_target,
    move_models,
    move_portable,
    porting_exponent,
    step_talent,
    talent_terms,
)
from ecosim.kernels.sums import row_sum

__all__ = ["continuous_step"]

F8 = NDArray[np.float64]
I8 = NDArray[np.int64]
B1 = NDArray[np.bool_]


@numba.njit(cache=True)
def _matmul(x: F8, m: F8) -> F8:
    """``x @ m`` for small matrices, each entry summed over the inner index left to right."""
    n, k = x.shape
    j_n = m.shape[1]
    out = np.empty((n, j_n))
    for r in range(n):
        for j in range(j_n):
            s = 0.0
            for i in range(k):
                s += x[r, i] * m[i, j]
            out[r, j] = s
    return out


@numba.njit(cache=True)
def continuous_step(
    clock: tuple[float, float, float],
    capacity_in: tuple[F8, F8, F8, F8, F8, B1, F8],
    workload_in: tuple[F8, F8, float, float, float, float, F8, F8, B1],
    queues: tuple[F8, int, F8, I8, I8, I8, F8, I8, I8, F8, F8, F8, F8, F8, F8, F8, float],
    use: tuple[F8, F8],
    porting: tuple[F8, F8, F8, F8, F8],
    models: tuple[F8, F8, F8, F8, F8, F8, F8, float, float, float],
    talent_in: tuple[F8, F8, F8, F8, F8, F8, F8, F8, float, float, float, float],
    coupling: tuple[F8, F8, F8, F8],
) -> tuple[F8, F8, F8, F8, F8, F8]:
    """Advance the world's continuous part over ``[t0, t1)`` after supply, in place where the
    reference path writes in place, returning what it replaces.

    Parameters
    ----------
    clock : tuple
        ``(t0, t1, days_per_year)``.
    capacity_in : tuple
        What :func:`ecosim.world.step.workload_capacity` reads: own capacity (R,), the cloud
        fleets (R, P, contiguous), borrowed capacity (R,), the capacity left after portable
        stacks and federated communication (R,) and after portable stacks alone (R,), where
        each provider is present (R, P) and demand (R,).
    workload_in : tuple
        What :func:`ecosim.world.workloads.shares` reads, and the workloads' constants: own
        and open models' shares (R,), inference's long-run and starting intensity and its
        adoption time (years), its largest share, the training split (R, W - 1), the
        priorities (W,) and which workloads are local only (W,).
    queues : tuple
        :func:`ecosim.kernels.jobs.advance_lanes`' arguments after ``capacity``, in its order:
        surge, lanes per region, the pending arrivals and the pool, the accumulators, the
        lanes' served work (written) and the smoothed work, and the smoothing's decay.
    use : tuple
        Work used and capacity offered since each region's last review (R,; added to).
    porting : tuple
        Porting times (R,; days), the portable share and the open-stack lever (R,), the
        porting backlog (R,; decays in place) and the interoperability matrix (R, R).
    models : tuple
        The open weights' lag and access, the model mix (R, 3), the own-models share and
        programme, API access, the specialists' sufficiency (R,), the local-models time
        (years), the API switch time (days) and months per year.
    talent_in : tuple
        Specialists, pipeline years, graduates' growth, attrition, pay index, graduates at the
        start, the talent programme and the trained AI factories (R, each), trainees a year
        per factory, the attractiveness' weights of pay and of compute, and the yearly
        mobility.
    coupling : tuple
        The inoperability and the direct loss (R, 5), ``(I - A)^-1`` and ``exp(-M dt)``, each
        transposed (5, 5).

    Returns
    -------
    tuple of ndarray
        The capacity set aside for each workload (R, W), the portable share, the open weights'
        lag, the model mix, the specialists and the inoperability after the step.
    """
    t0, t1, days = clock
    dt = t1 - t0

    # the workloads' shares at t0 (workloads.shares) and the capacity set aside for them
    own_m, open_m, long_run, start, adoption, max_share, split, weight, local_only = workload_in
    intensity = long_run + (start - long_run) * np.exp(-(t0 / days) / adoption)
    shares = workload_shares(own_m, open_m, intensity, max_share, split)
    own, cloud_cap, borrowed, factor, stack, present, demand = capacity_in
    lanes = workload_capacity(
        own, cloud_cap, borrowed, factor, stack, present, demand, shares, weight, local_only
    )
    n_r, n_w = lanes.shape
    capacity = np.empty(n_r)
    for r in range(n_r):
        capacity[r] = row_sum(lanes[r], 0, n_w)

    # the job queues (world.jobs.JobFlow.advance), and the use the reviews read (policy.note_use)
    (surge, per_scale, real, ints, taken, end, js, ji, n, used, out, start_out, arrivals,
     served, ema_served, ema_requested, decay) = queues  # fmt: skip
    advance_lanes(
        t0, t1, lanes.reshape(-1), surge, per_scale, real, ints, taken, end, js, ji, n, used,
        out, start_out, arrivals, served, ema_served, ema_requested, decay,
    )  # fmt: skip
    used_since, cap_since = use
    for r in range(n_r):
        used_since[r] += row_sum(served, r * n_w, (r + 1) * n_w)
        cap_since[r] += capacity[r] * dt

    # porting (layers.step_porting)
    porting_days, portable, open_stack, backlog, interop = porting
    keep = porting_exponent(porting_days, dt)
    for r in range(n_r):
        keep[r] = np.exp(keep[r])
    portable_after = move_portable(portable, open_stack, keep)
    if np.count_nonzero(backlog):
        for r in range(n_r):
            partners = (row_sum(interop[r], 0, n_r) - interop[r, r]) / max(n_r - 1, 1)
            tau = porting_days[r] * (1.0 - 0.5 * open_stack[r]) * (1.0 - 0.5 * partners)
            backlog[r] *= np.exp(-dt / _fmax(tau, 1e-9))

    # the model sources (layers.step_models)
    (open_lag, open_access, mix, own_models, local_models, api_access, skill, local_years,
     switch_days, months) = models  # fmt: skip
    keep_local = np.empty(n_r)
    keep_api = np.empty(n_r)
    for r in range(n_r):
        spent = skill[r] * -dt
        keep_local[r] = np.exp(spent / (local_years * days))
        keep_api[r] = np.exp(spent / switch_days)
    lag, mix_after = move_models(
        open_lag, open_access, (dt, months, days), mix, own_models, local_models, keep_local,
        api_access, keep_api,
    )  # fmt: skip

    # talent (talent.step_talent)
    (talent, pipeline, grad_growth, attrition, pay, graduates0, programme, trained,
     per_factory, w_pay, w_compute, mobility) = talent_in  # fmt: skip
    per_head, growth, leave = talent_terms(
        capacity, talent, t0, pipeline, grad_growth, attrition, dt, days
    )
    logs = np.empty(n_r)
    for r in range(n_r):
        logs[r] = np.log(per_head[r])
    mean = np.exp(row_sum(logs, 0, n_r) / n_r)
    log_pay = np.empty(n_r)
    for r in range(n_r):
        logs[r] = np.log(per_head[r] / mean)
        log_pay[r] = np.log(pay[r])
        growth[r] = np.exp(growth[r])
        leave[r] = np.exp(leave[r])
    talent_after = step_talent(
        talent, (log_pay, logs, w_pay, w_compute), mobility / days,
        (graduates0, programme, growth, trained, per_factory), leave, dt, days,
    )  # fmt: skip

    # the coupled inoperabilities (coupling.CouplingModel.step)
    q, c, inv_t, prop_t = coupling
    star, gap = coupling_target(_matmul(c, inv_t), q)
    q_after = coupling_relax(star, _matmul(gap, prop_t))
    return lanes, portable_after, lag, mix_after, talent_after, q_after
