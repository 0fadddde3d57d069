"""Resilience measured against the no-shock twin, and the bottleneck matrix.

The twin runs the same scenario on the same streams without its shocks, so demand that
outruns capacity in both is not counted as a disruption. Resilience loss
``RL = integral of (Q_twin - Q)+ dt`` (Bruneau et al. 2003) per region and layer; the
bottleneck matrix normalises RL over the layers of each region. ``structural_gap`` is what the
twin itself lacks, which resilience against the twin cannot show.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ecosim.kernels.metrics import min_service, resilience_loss
from ecosim.scenario.models import LAYERS

NO_LOSS = "none"


def loss_against(ds: xr.Dataset, twin: xr.Dataset, var: str) -> np.ndarray:
    """RL (region, layer) in days of ``var`` against the twin's ``service``."""
    days = np.asarray(ds["day"].values, dtype=np.float64)
    return np.asarray(
        resilience_loss(
            np.ascontiguousarray(ds[var].values), np.ascontiguousarray(twin[var].values), days
        )
    )


def add_metrics(ds: xr.Dataset, twin: xr.Dataset | None, tol: float = 1e-9) -> xr.Dataset:
    """Add resilience loss, bottleneck matrix and most fragile layer to ``ds``.

    Without a twin only the shock-independent metrics are added.
    """
    ds = ds.copy()
    ds["min_service"] = (
        ("region", "layer"),
        np.asarray(min_service(ds["service"].values)),
        {"units": "1", "long_name": "lowest share of demand met over the run"},
    )
    if twin is None:
        return ds
    ds["structural_gap"] = (
        ("region", "layer"),
        1.0 - twin["service"].mean("time").values,
        {"units": "1", "long_name": "1 - mean share of demand met in the no-shock twin"},
    )
    ds["service_twin"] = (
        ("time", "region", "layer"),
        twin["service"].values,
        {"units": "1", "long_name": "share of demand met in the no-shock twin"},
    )
    for var, suffix, what in (
        ("service", "", "after layer coupling"),
        ("service_direct", "_direct", "from direct losses only"),
    ):
        rl = loss_against(ds, twin, var)
        total = rl.sum(axis=1, keepdims=True)
        share = np.where(total > tol, rl / np.where(total > tol, total, 1.0), 0.0)
        ds[f"resilience_loss{suffix}"] = (
            ("region", "layer"),
            rl,
            {"units": "d", "long_name": f"resilience loss against the no-shock twin, {what}"},
        )
        ds[f"bottleneck{suffix}"] = (
            ("region", "layer"),
            share,
            {"units": "1", "long_name": f"share of the region's resilience loss per layer, {what}"},
        )
    rl = ds["resilience_loss"].values
    fragile = np.array(
        [LAYERS[int(np.argmax(row))] if row.max() > tol else NO_LOSS for row in rl], dtype=object
    )
    ds["most_fragile_layer"] = (
        ("region",),
        fragile,
        {"units": "1", "long_name": "layer with the largest resilience loss ('none': no loss)"},
    )
    return ds
