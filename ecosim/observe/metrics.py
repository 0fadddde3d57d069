"""Resilience measured against the no-shock twin, and the bottleneck matrix.

The twin runs the same scenario on the same streams without its shocks, so demand that
outruns capacity in both is not counted as a disruption. Resilience loss
``RL = integral of (Q_twin - Q)+ dt`` (Bruneau et al. 2003) per region and layer; the
bottleneck matrix normalises RL over the layers of each region. ``structural_gap`` is what the
twin itself lacks, which resilience against the twin cannot show.

Every metric is measured on the world's step grid (the run's step trace,
:func:`ecosim.observe.dataset.to_trace`), not on the recording grid, so a run recorded daily and
the same run recorded monthly have the same metrics.

Time metrics (Simchi-Levi et al. 2015; Hosseini et al. 2016), all measured against the twin,
from a shock's start ``t0`` (its first occurrence within the run, as the run recorded it):

* ``tts`` — time to survive: from ``t0`` until ``Q`` first falls below ``tts_threshold`` (0.95)
  times the twin's ``Q``;
* ``ttr`` — time to recover: from ``t0`` until the shock has ended *and* the layer's own
  (direct, uncoupled) service is back within ``recovery_tol`` (1 %) of the twin's direct
  service and stays there to the end of the run: ``max(t_end, t_back) - t0``;
* ``recovery_time`` — the same on the coupled service ``Q``, without waiting for the shock's end;
* ``recovery_ratio`` — ``(P(t) - P(t_d)) / (P(t0) - P(t_d))`` at 30, 90 and 180 days after the dip
  ``t_d``, with ``P = Q - Q_twin`` (the service relative to the twin).

A time metric with nothing to measure is never NaN and never a silent zero: a
``<name>_censored`` flag (CF ``flag_values`` / ``flag_meanings``) says why. Missing values hold
``-1`` (attribute ``missing_fill``); right-censored times hold the days observed after ``t0``,
a lower bound. The rules, per metric:

========================  ===========================================================
``no_shock``              no occurrence of the shock within the run: ``-1``
``no_dip``                ``tts``: never fell below the threshold (days observed);
                          ``ttr``, ``recovery_time``: never left the 1 % band (``0``);
                          ``recovery_ratio``: dip shallower than ``dip_tol`` (``-1``)
``not_recovered``         ``ttr``, ``recovery_time``: still outside the band at the end,
                          or the shock has not ended (days observed)
``beyond_horizon``        ``recovery_ratio``: the dip plus the horizon is after the run (``-1``)
========================  ===========================================================

The ``missing_fill`` attribute is deliberately not called ``missing_value``: xarray decodes a
``missing_value`` to NaN when a file is opened, which would break the no-NaN invariant.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from ecosim.kernels.metrics import (
    CENSOR_MEANINGS,
    FILL_DAYS,
    annual_resilience,
    min_service,
    recovery_ratio,
    recovery_time,
    resilience_loss,
    time_to_survive,
)
from ecosim.scenario.models import LAYERS

NO_LOSS = "none"

#: Metrics of one shock occurrence, stored per region and layer (and per shock).
TIME_METRICS: tuple[str, ...] = ("tts", "ttr", "recovery_time", "recovery_ratio")


@dataclass(frozen=True)
class MetricOptions:
    """Thresholds of the time metrics; every default is an assumption, stated here.

    Attributes
    ----------
    tts_threshold : float
        ``tts`` ends when ``Q < tts_threshold * Q_twin`` (0.95: a 5 % shortfall is where a
        region stops coping, as in DESIGN.md).
    recovery_tol : float
        Relative band around the twin that counts as recovered for ``ttr`` and
        ``recovery_time`` (0.01: within 1 %).
    ratio_horizons_days : tuple of float
        Days after the dip at which ``recovery_ratio`` is read (30, 90, 180).
    dip_tol : float
        Smallest depth of the dip, in units of service, for which ``recovery_ratio`` is
        defined (0.01: one percentage point of demand met); shallower dips are noise.
    material_loss_days : float
        Resilience loss, summed over a region's layers, below which it has no most fragile
        layer (``recording.material_loss_days`` of the scenario).
    """

    tts_threshold: float = 0.95
    recovery_tol: float = 0.01
    ratio_horizons_days: tuple[float, ...] = (30.0, 90.0, 180.0)
    dip_tol: float = 0.01
    material_loss_days: float = 0.0


@dataclass(frozen=True)
class ShockWindow:
    """When one shock of the scenario occurred within the run.

    Attributes
    ----------
    id : str
        The shock's id (the ``shock`` coordinate).
    type : str
        The shock's type (``export_control``, ``fab_disruption``, ...).
    occurrences : tuple of (float, float)
        Start and end of each occurrence in days from the scenario's start, in time order;
        the end is ``inf`` for a permanent shock. Empty when the shock did not occur.
    """

    id: str
    type: str
    occurrences: tuple[tuple[float, float], ...] = field(default_factory=tuple)

    @property
    def first(self) -> tuple[float, float] | None:
        """The first occurrence, or ``None``."""
        return self.occurrences[0] if self.occurrences else None


def loss_against(ds: xr.Dataset, twin: xr.Dataset, var: str) -> np.ndarray:
    """RL (region, layer) in days of ``var`` against the twin's ``service``."""
    days = np.asarray(ds["day"].values, dtype=np.float64)
    return np.asarray(
        resilience_loss(
            np.ascontiguousarray(ds[var].values), np.ascontiguousarray(twin[var].values), days
        )
    )


def censor_attrs(what: str) -> dict[str, Any]:
    """Attributes of a ``<name>_censored`` flag variable (CF flag conventions)."""
    return {
        "units": "1",
        "long_name": f"why {what} is missing or a lower bound (0: measured)",
        "flag_values": np.arange(len(CENSOR_MEANINGS), dtype=np.int8),
        "flag_meanings": " ".join(CENSOR_MEANINGS),
    }


def main_shock(shocks: Sequence[ShockWindow]) -> ShockWindow | None:
    """The shock whose first occurrence starts first (ties: scenario order), or ``None``."""
    occurring = [s for s in shocks if s.first is not None]
    if not occurring:
        return None
    return min(occurring, key=lambda s: s.first[0] if s.first else math.inf)


@dataclass(frozen=True)
class _Paths:
    """The service paths the time metrics read, (time, region, layer) each, read once a run."""

    days: NDArray[np.float64]
    q: NDArray[np.float64]
    q_twin: NDArray[np.float64]
    direct: NDArray[np.float64]
    direct_twin: NDArray[np.float64]

    @classmethod
    def of(cls, ds: xr.Dataset, twin: xr.Dataset) -> _Paths:
        """The paths of the run ``ds`` and its ``twin`` (step traces)."""

        def path(d: xr.Dataset, name: str) -> NDArray[np.float64]:
            return np.ascontiguousarray(d[name].transpose("time", "region", "layer").values)

        return cls(
            np.asarray(ds["day"].values, dtype=np.float64),
            path(ds, "service"),
            path(twin, "service"),
            path(ds, "service_direct"),
            path(twin, "service_direct"),
        )


def _shock_metrics(
    paths: _Paths,
    start: float,
    end: float,
    options: MetricOptions,
) -> dict[str, tuple[NDArray[Any], NDArray[np.int8]]]:
    """``tts``, ``ttr``, ``recovery_time``, ``recovery_ratio`` of one occurrence."""
    q, q_twin, days = paths.q, paths.q_twin, paths.days
    horizons = np.asarray(options.ratio_horizons_days, dtype=np.float64)
    return {
        "tts": time_to_survive(q, q_twin, days, start, options.tts_threshold),
        "ttr": recovery_time(
            paths.direct, paths.direct_twin, days, start, end, options.recovery_tol
        ),
        "recovery_time": recovery_time(q, q_twin, days, start, start, options.recovery_tol),
        "recovery_ratio": recovery_ratio(q, q_twin, days, start, horizons, options.dip_tol),
    }


_METRIC_TEXT: dict[str, tuple[str, str]] = {
    "tts": ("d", "time to survive: days from the shock's start until Q < threshold x twin"),
    "ttr": (
        "d",
        "time to recover: days from the shock's start until it has ended and the layer's "
        "direct service is back within tolerance of the twin for good",
    ),
    "recovery_time": (
        "d",
        "days from the shock's start until Q is back within tolerance of the twin for good",
    ),
    "recovery_ratio": (
        "1",
        "recovery ratio (P(t) - P(t_d)) / (P(t0) - P(t_d)), P = Q - Q_twin, at days after the dip",
    ),
}


def _time_metrics(
    run: xr.Dataset,
    twin: xr.Dataset,
    shocks: Sequence[ShockWindow],
    options: MetricOptions,
    n_r: int,
    n_l: int,
) -> tuple[dict[str, Any], str]:
    """The time metrics of the main shock (region x layer) and of every shock, measured on
    ``run`` against ``twin`` (the step traces), as variables (their ``horizon`` coordinate
    first), and the main shock's id."""
    n_h = len(options.ratio_horizons_days)
    horizon = np.asarray(options.ratio_horizons_days, dtype=np.float64)
    out: dict[str, Any] = {
        "horizon": xr.Variable(
            "horizon",
            horizon,
            {"units": "d", "long_name": "days after the dip at which the recovery ratio is read"},
        )
    }
    never = math.inf  # a start after any run: the kernels flag every element ``no_shock``
    # every shock's metrics read the same paths: taken out of the datasets once
    paths = _Paths.of(run, twin)

    def measure(window: ShockWindow | None) -> dict[str, tuple[NDArray[Any], NDArray[np.int8]]]:
        start, end = window.first if window and window.first else (never, never)
        return _shock_metrics(paths, start, end, options)

    common = {
        "tts_threshold": options.tts_threshold,
        "recovery_tol": options.recovery_tol,
        "dip_tol": options.dip_tol,
        "missing_fill": FILL_DAYS,
    }
    main = main_shock(shocks)
    values = measure(main)
    for name in TIME_METRICS:
        dims: tuple[str, ...] = ("region", "layer", "horizon")[
            : 3 if name == "recovery_ratio" else 2
        ]
        units, text = _METRIC_TEXT[name]
        value, flag = values[name]
        out[name] = (dims, value, {"units": units, "long_name": f"{text} (main shock)", **common})
        out[f"{name}_censored"] = (dims, flag, censor_attrs(f"{name} (main shock)"))
    main_id = main.id if main else NO_LOSS
    if not shocks:
        return out, main_id
    per_shock = [measure(s) for s in shocks]
    for name in TIME_METRICS:
        dims = ("shock", "region", "layer", "horizon")[: 4 if name == "recovery_ratio" else 3]
        shape = (len(shocks), n_r, n_l, n_h)[: len(dims)]
        units, text = _METRIC_TEXT[name]
        value = np.stack([m[name][0] for m in per_shock]).reshape(shape)
        flag = np.stack([m[name][1] for m in per_shock]).reshape(shape)
        out[f"{name}_by_shock"] = (
            dims,
            value,
            {"units": units, "long_name": f"{text} (first occurrence of each shock)", **common},
        )
        out[f"{name}_by_shock_censored"] = (dims, flag, censor_attrs(f"{name} per shock"))
    return out, main_id


def shock_windows(ds: xr.Dataset) -> list[ShockWindow]:
    """When each shock occurred in the run, read from its dataset (every occurrence).

    The occurrences are those the run drew and acted on (``shock_start``, ``shock_end``,
    ``shock_occurrences``; :func:`ecosim.observe.dataset.occurrence_variables`); a run
    without the ``shock`` dim has no shocks.
    """
    if "shock" not in ds.dims:
        return []
    starts = np.asarray(ds["shock_start"].transpose("shock", "occurrence").values)
    ends = np.asarray(ds["shock_end"].transpose("shock", "occurrence").values)
    counts = np.asarray(ds["shock_occurrences"].values)
    windows = []
    for i, sid in enumerate(ds["shock"].values):
        n = min(int(counts[i]), starts.shape[1])
        occ = tuple(
            (float(starts[i, j]), float(ends[i, j]) if ends[i, j] >= 0.0 else math.inf)
            for j in range(n)
        )
        windows.append(ShockWindow(str(sid), str(ds["shock_type"].values[i]), occ))
    return windows


def add_metrics(
    ds: xr.Dataset,
    twin: xr.Dataset | None,
    tol: float = 1e-9,
    *,
    trace: xr.Dataset | None = None,
    twin_trace: xr.Dataset | None = None,
    options: MetricOptions | None = None,
) -> xr.Dataset:
    """Add resilience metrics, the bottleneck matrix and the most fragile layer to ``ds``.

    Parameters
    ----------
    ds
        The recorded series of the run with its shocks, and its shock occurrences.
    twin
        The recorded series of the no-shock twin; without it only the shock-independent
        metrics are added (``min_service``, ``hhi_mean``, ``hhi_max``).
    tol
        Resilience loss at or below which a region counts as having lost nothing.
    trace, twin_trace
        The metric inputs of the run and of the twin at every world step
        (:func:`ecosim.observe.dataset.to_trace`). Every metric is computed on them, so it
        does not depend on the recording interval; without them, on the recorded series.
    options
        Thresholds of the time metrics (:class:`MetricOptions` defaults).

    Returns
    -------
    xarray.Dataset
        A copy of ``ds`` with the metrics, each with ``units`` and ``long_name``.
    """
    options = options or MetricOptions()
    run = trace if trace is not None else ds
    # every metric is added in one step: each assignment to a dataset of a hundred variables
    # merges and aligns all of them again, which cost more than the metrics in a short run
    new: dict[str, Any] = {}
    new["min_service"] = (
        ("region", "layer"),
        np.asarray(min_service(np.ascontiguousarray(run["service"].values))),
        {"units": "1", "long_name": "lowest share of demand met over the run"},
    )
    if "hhi" in run:
        new["hhi_mean"] = (
            ("region",),
            np.asarray(_time_mean(run, "hhi"), dtype=np.float64),
            {"units": "1", "long_name": "mean Herfindahl index of the region's cloud market"},
        )
        new["hhi_max"] = (
            ("region",),
            np.asarray(run["hhi"].max("time").values, dtype=np.float64),
            {"units": "1", "long_name": "highest Herfindahl index of the region's cloud market"},
        )
    if twin is None:
        return ds.assign(new)
    base = twin_trace if twin_trace is not None else twin
    new["structural_gap"] = (
        ("region", "layer"),
        1.0 - _time_mean(base, "service"),
        {"units": "1", "long_name": "1 - mean share of demand met in the no-shock twin"},
    )
    new["service_twin"] = (
        ("time", "region", "layer"),
        twin["service"].values,
        {
            "units": "1",
            "long_name": "share of demand met in the no-shock twin",
            "cell_methods": "time: point",
        },
    )
    for var, suffix, what in (
        ("service", "", "after layer coupling"),
        ("service_direct", "_direct", "from direct losses only"),
    ):
        rl = loss_against(run, base, var)
        new[f"resilience_loss{suffix}"] = (
            ("region", "layer"),
            rl,
            {"units": "d", "long_name": f"resilience loss against the no-shock twin, {what}"},
        )
        new[f"bottleneck{suffix}"] = (
            ("region", "layer"),
            normalise_rows(rl, tol),
            {"units": "1", "long_name": f"share of the region's resilience loss per layer, {what}"},
        )
    material = (options or MetricOptions()).material_loss_days
    new["most_fragile_layer"] = (
        ("region",),
        most_fragile(new["resilience_loss"][1], max(tol, material)),
        {
            "units": "1",
            "long_name": "layer with the largest resilience loss ('none': the region lost less "
            "than material_loss_days over its layers)",
        },
    )
    days = np.asarray(run["day"].values, dtype=np.float64)
    new["annual_resilience"] = (
        ("region", "layer"),
        annual_resilience(
            np.ascontiguousarray(run["service"].values),
            np.ascontiguousarray(base["service"].values),
            days,
        ),
        {"units": "1", "long_name": "normalised resilience: integral of Q / integral of Q_twin"},
    )
    timed, main_id = _time_metrics(
        run, base, shock_windows(ds), options, ds.sizes["region"], ds.sizes["layer"]
    )
    out = ds.assign(new | timed)
    out.attrs["material_loss_days"] = float(material)
    out.attrs["main_shock"] = main_id
    return out


def _time_mean(ds: xr.Dataset, name: str) -> NDArray[np.float64]:
    """Mean of ``ds[name]`` over its samples (the step grid is regular)."""
    return np.asarray(ds[name].mean("time").values, dtype=np.float64)


def normalise_rows(rl: NDArray[np.float64], tol: float = 1e-9) -> NDArray[np.float64]:
    """Each region's losses as shares of its total over the last axis (zeros when no loss)."""
    total = rl.sum(axis=-1, keepdims=True)
    return np.where(total > tol, rl / np.where(total > tol, total, 1.0), 0.0)


def most_fragile(rl: NDArray[np.float64], material: float = 1e-9) -> NDArray[np.object_]:
    """The layer of largest loss in each row of ``rl`` (region, layer).

    ``'none'`` where the row's total loss is not above ``material`` (days): a region that lost
    a fraction of a day over the run has no layer worth naming, and which of its tiny losses is
    largest changes with the seed.
    """
    return np.array(
        [
            LAYERS[int(np.argmax(row))] if row.sum() > material and row.max() > 0 else NO_LOSS
            for row in rl
        ],
        dtype=object,
    )
