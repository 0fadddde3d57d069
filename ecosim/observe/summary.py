"""What replicates say together: stacking single runs, quantiles, the bottleneck over them.

Pure computations on datasets (nothing here runs a simulation; :mod:`ecosim.studies.replicates`
runs the replicates). :func:`stack_replicates` stacks single runs along a ``replicate``
dimension; :func:`summarize` adds what a reader wants from them: quantiles (5/50/95 %) of every
metric, ``P(TTS < TTR)`` per region and layer, and the bottleneck matrix over replicates (the
replicate mean of RL normalised over the layers of each region, the raw mean beside it, the
direct-loss version, the most fragile layer of the mean, and the probability that each layer is
the most fragile).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from ecosim.kernels.metrics import MEASURED, NO_SHOCK, NOT_RECOVERED
from ecosim.observe.dataset import pad_occurrences
from ecosim.observe.metrics import most_fragile, normalise_rows

#: Quantiles reported for every metric.
QUANTILES: tuple[float, ...] = (0.05, 0.5, 0.95)

#: Variables that are descriptions of the run rather than metrics to summarise.
_NOT_METRICS: frozenset[str] = frozenset(
    {"shock_start", "shock_end", "shock_severity", "shock_occurrences", "shock_type"}
)


def stack_replicates(runs: Sequence[xr.Dataset]) -> xr.Dataset:
    """Concatenate single runs along a new ``replicate`` dimension (their order is kept).

    Runs whose shocks occurred different numbers of times are padded along ``occurrence``
    with ``-1`` first. Attributes come from the first run, with ``replicate`` replaced by
    ``replicates`` (the count) and the wall time summed.
    """
    if not runs:
        raise ValueError("no runs to stack")
    # shocks occur different numbers of times in different replicates: pad to the most
    n_occ = max((int(r.sizes.get("occurrence", 0)) for r in runs), default=0)
    if n_occ:
        runs = [pad_occurrences(r, n_occ) for r in runs]
    index = pd.Index(
        [int(r.attrs.get("replicate", k)) for k, r in enumerate(runs)], name="replicate"
    )
    stacked = xr.concat(
        list(runs),
        dim=index,
        data_vars="all",
        coords="minimal",
        compat="override",
        join="exact",
        combine_attrs="override",
    )
    attrs = dict(runs[0].attrs)
    attrs.pop("replicate", None)
    attrs["replicates"] = len(runs)
    attrs["wall_time_s"] = round(sum(float(r.attrs.get("wall_time_s", 0.0)) for r in runs), 3)
    attrs["finished_utc"] = runs[-1].attrs.get("finished_utc", "")
    stacked.attrs = attrs
    stacked["replicate"].attrs.update(
        {"units": "1", "long_name": "replicate index (seed stream), 0-based"}
    )
    return stacked


def _as_replicates(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with a ``replicate`` dimension (a single run becomes one replicate)."""
    if "replicate" in ds.dims:
        return ds
    return ds.expand_dims(replicate=[int(ds.attrs.get("replicate", 0))])


def _metric_names(ds: xr.Dataset) -> list[str]:
    return [
        str(name)
        for name, var in ds.data_vars.items()
        if "time" not in var.dims
        and "replicate" in var.dims
        and var.dtype.kind == "f"
        and str(name) not in _NOT_METRICS
    ]


def _quantiles(
    values: NDArray[np.float64], missing: float | None
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Quantiles over axis 0, leaving out ``missing``; also the count of values used."""
    data = np.asarray(values, dtype=np.float64)
    if missing is not None:
        data = np.where(data == missing, np.nan, data)
    count = np.sum(~np.isnan(data), axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing slices: filled below
        q = np.nanquantile(data, list(QUANTILES), axis=0)
    fill = missing if missing is not None else 0.0
    return np.where(np.isnan(q), fill, q), count


def summarize(ds: xr.Dataset) -> xr.Dataset:
    """Summarise a run (or stacked replicates): quantiles, ``P(TTS < TTR)``, bottleneck.

    Parameters
    ----------
    ds
        A result of :func:`ecosim.simulate` or of :func:`ecosim.run_replicates`.

    Returns
    -------
    xarray.Dataset
        For every metric ``X`` (float, no time dimension): ``X_q(quantile, ...)`` over
        replicates, leaving out missing values (those equal to ``missing_fill``; the quantiles of
        right-censored times are lower bounds), and ``X_n`` the replicates that had a value.
        Then ``p_tts_lt_ttr``, ``resilience_loss_mean``, ``resilience_loss_direct_mean``,
        ``bottleneck_mean``, ``bottleneck_direct_mean``, ``most_fragile_layer_mean`` and
        ``p_most_fragile`` when the run has a twin.
    """
    reps = _as_replicates(ds)
    out = xr.Dataset(coords={"quantile": ("quantile", np.asarray(QUANTILES))})
    out["quantile"].attrs.update({"units": "1", "long_name": "quantile over replicates"})
    n_reps = reps.sizes["replicate"]
    for name in _metric_names(reps):
        var = reps[name].transpose("replicate", ...)
        missing = var.attrs.get("missing_fill")
        q, count = _quantiles(var.values, None if missing is None else float(missing))
        dims = ("quantile", *var.dims[1:])
        attrs = {
            "units": var.attrs.get("units", "1"),
            "long_name": f"{var.attrs.get('long_name', name)}: quantiles over {n_reps} replicates"
            " (stochastic variability under fixed assumptions)",
        }
        if missing is not None:
            attrs["missing_fill"] = float(missing)
        out[f"{name}_q"] = (dims, q, attrs)
        out[f"{name}_n"] = (
            var.dims[1:],
            count.astype(np.int64),
            {"units": "1", "long_name": f"replicates in which {name} has a value"},
        )
    if "tts" in reps and "ttr" in reps:
        out["p_tts_lt_ttr"], out["p_tts_lt_ttr_n"] = p_tts_lt_ttr(reps)
    if "resilience_loss" in reps:
        out = out.merge(bottleneck_over_replicates(reps))
    return out


def p_tts_lt_ttr(reps: xr.Dataset) -> tuple[xr.DataArray, xr.DataArray]:
    """Share of replicates in which the layer fell below the threshold before restoration.

    A replicate counts as exposed when ``tts`` was measured and is shorter than ``ttr``; a
    ``ttr`` flagged ``not_recovered`` is longer than anything observed, and one flagged
    ``no_dip`` (the layer's own direct service never left the band) is zero. Replicates in which
    the main shock did not occur are left out; where none had it, the value is ``-1``
    (``missing_fill``).
    """
    tts, ttr = reps["tts"].values, reps["ttr"].values
    tts_flag, ttr_flag = reps["tts_censored"].values, reps["ttr_censored"].values
    occurred = ttr_flag != NO_SHOCK
    exposed = (tts_flag == MEASURED) & (
        (ttr_flag == NOT_RECOVERED) | ((ttr_flag == MEASURED) & (tts < ttr))
    )
    n = occurred.sum(axis=0)
    p = np.where(n > 0, (exposed & occurred).sum(axis=0) / np.maximum(n, 1), -1.0)
    dims = reps["tts"].dims[1:]
    coords = {d: reps[d] for d in dims}
    prob = xr.DataArray(
        p.astype(np.float64),
        dims=dims,
        coords=coords,
        attrs={
            "units": "1",
            "long_name": "P(TTS < TTR): share of replicates in which service fell below the "
            "threshold before the disrupted layer was restored (main shock)",
            "missing_fill": -1.0,
        },
    )
    count = xr.DataArray(
        n.astype(np.int64),
        dims=dims,
        coords=coords,
        attrs={"units": "1", "long_name": "replicates in which the main shock occurred"},
    )
    return prob, count


def bottleneck_over_replicates(ds: xr.Dataset, tol: float = 1e-9) -> xr.Dataset:
    """The bottleneck matrix over replicates (a single run counts as one replicate).

    Returns
    -------
    xarray.Dataset
        ``resilience_loss_mean`` and ``resilience_loss_direct_mean`` (d), ``bottleneck_mean``
        and ``bottleneck_direct_mean`` (the means normalised over each region's layers),
        ``most_fragile_layer_mean`` (of the mean loss; ``'none'`` when nothing was lost),
        ``p_most_fragile(region, layer)``, the share of replicates in which each layer was the
        most fragile, ``p_no_loss(region)`` the share in which the region lost nothing material
        (the two sum to one), and ``p_most_fragile_interval(region, layer, bound)``, the
        95 % Wilson interval of each share.
    """
    reps = _as_replicates(ds)
    n = reps.sizes["replicate"]
    out = xr.Dataset()
    for suffix, what in (("", "after layer coupling"), ("_direct", "from direct losses only")):
        mean = reps[f"resilience_loss{suffix}"].mean("replicate").transpose("region", "layer")
        out[f"resilience_loss{suffix}_mean"] = mean.assign_attrs(
            units="d",
            long_name=f"replicate mean of the resilience loss ({n} replicates), {what}",
        )
        out[f"bottleneck{suffix}_mean"] = (
            ("region", "layer"),
            normalise_rows(mean.values, tol),
            {
                "units": "1",
                "long_name": f"share of the region's mean resilience loss per layer, {what}",
            },
        )
    material = max(tol, float(ds.attrs.get("material_loss_days", 0.0)))
    out["most_fragile_layer_mean"] = (
        ("region",),
        most_fragile(out["resilience_loss_mean"].values, material),
        {
            "units": "1",
            "long_name": "layer with the largest replicate-mean resilience loss ('none': no loss)",
        },
    )
    fragile = reps["most_fragile_layer"].transpose("replicate", "region").values.astype(str)
    layers = [str(x) for x in reps["layer"].values]
    hits = np.stack([(fragile == layer).sum(axis=0) for layer in layers], axis=-1)
    out["p_most_fragile"] = (
        ("region", "layer"),
        (hits / n).astype(np.float64),
        {
            "units": "1",
            "long_name": f"share of {n} replicates in which the layer is the most fragile",
        },
    )
    out["p_no_loss"] = (
        ("region",),
        (1.0 - hits.sum(axis=-1) / n).astype(np.float64),
        {
            "units": "1",
            "long_name": f"share of {n} replicates in which the region lost nothing material; "
            "with p_most_fragile over the layers it sums to one",
        },
    )
    low, high = wilson_interval(hits, n)
    out = out.assign_coords(bound=("bound", ["low", "high"]))
    out["p_most_fragile_interval"] = (
        ("region", "layer", "bound"),
        np.stack([low, high], axis=-1),
        {
            "units": "1",
            "long_name": f"{CONFIDENCE:.0%} Wilson score interval of p_most_fragile over {n} "
            "replicates (stochastic variability under fixed assumptions)",
        },
    )
    return out


#: Confidence of the intervals of the probabilities over replicates.
CONFIDENCE = 0.95
_Z = 1.959963984540054  # the normal quantile of (1 + CONFIDENCE) / 2


def wilson_interval(
    hits: NDArray[np.integer[Any]] | NDArray[np.float64], n: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Wilson score interval of a share ``hits / n`` at :data:`CONFIDENCE`.

    Unlike the normal approximation it stays inside [0, 1] and is not empty at 0 or ``n``
    hits, which is where a layer that is always or never the most fragile sits.
    """
    k = np.asarray(hits, dtype=np.float64)
    p = k / n
    z2 = _Z * _Z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = _Z / (1 + z2 / n) * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def fragility_in_words(summary: xr.Dataset, n: int) -> dict[str, str]:
    """Each region's answer to "which layer is most fragile?" over ``n`` replicates, in words.

    The layers that were ever the most fragile, most likely first, each with its share and
    its interval; then the share of replicates with no material loss, if any.
    """
    p = summary["p_most_fragile"].transpose("region", "layer")
    interval = summary["p_most_fragile_interval"].transpose("region", "layer", "bound").values
    layers = [str(x) for x in p["layer"].values]
    out: dict[str, str] = {}
    for i, region in enumerate(p["region"].values):
        row = p.values[i]
        said = [
            f"{layers[j]} in {row[j]:.0%} ({interval[i, j, 0]:.0%}-{interval[i, j, 1]:.0%})"
            for j in np.argsort(-row, kind="stable")
            if row[j] > 0
        ]
        none = float(summary["p_no_loss"].values[i])
        if none > 0:
            said.append(f"no material loss in {none:.0%}")
        out[str(region)] = (
            f"most fragile layer over {n} futures: " + ", ".join(said) if said else "no futures"
        )
    return out


def bottleneck_view(ds: xr.Dataset) -> xr.Dataset:
    """A dataset the bottleneck heatmap and table read, whether ``ds`` has replicates or not.

    With replicates its ``resilience_loss``, ``bottleneck`` and ``most_fragile_layer`` are the
    replicate-mean versions; a single run is returned with ``p_most_fragile`` added.
    """
    summary = bottleneck_over_replicates(ds)
    view = xr.Dataset(
        {
            "resilience_loss": summary["resilience_loss_mean"],
            "bottleneck": summary["bottleneck_mean"],
            "resilience_loss_direct": summary["resilience_loss_direct_mean"],
            "bottleneck_direct": summary["bottleneck_direct_mean"],
            "most_fragile_layer": summary["most_fragile_layer_mean"],
            "p_most_fragile": summary["p_most_fragile"],
            "p_most_fragile_interval": summary["p_most_fragile_interval"],
            "p_no_loss": summary["p_no_loss"],
        },
        attrs=dict(ds.attrs),
    )
    view.attrs["replicates"] = int(ds.sizes.get("replicate", 1))
    return view
