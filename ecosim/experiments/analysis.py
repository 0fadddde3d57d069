"""Reading a sweep store: sensitivity indices, PRIM failure boxes, lever robustness, tidy table.

- **Sensitivity**: Sobol' indices (S1, ST; a ``sobol`` design) or Morris screening (mu*,
  sigma; a ``morris`` design) of every scalar metric cell -- every (region, layer) of every
  numeric metric -- against the uncertainties, per lever combination, on the replicate mean.
  The samples live in the unit hypercube (see :mod:`ecosim.experiments.design`), so Morris
  effects are per unit of each uncertainty's quantile range.
- **Scenario discovery**: for each region and layer, a PRIM box over the uncertainties that
  holds the runs where that layer *fails*, defined as a resilience loss above its
  ``failure_quantile`` (0.8 by default) over all recorded runs and replicates.
- **Robustness of levers**: ``RL(f, l)`` is the replicate-mean resilience loss summed over
  layers (per region, and over all regions) in future ``f`` under lever combination ``l``;
  lower is better. The regret of ``l`` in ``f`` is ``RL(f, l) - min_l' RL(f, l')`` (how much
  worse than the best combination for that future), and a combination's robustness is its
  maximum regret over futures (minimax regret): the smaller, the more robust.
"""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ecosim.experiments.design import DesignTable, expand, format_override, salib_problem
from ecosim.experiments.outputs import check_writable, staged_folder
from ecosim.experiments.store import FLAGS, open_store
from ecosim.experiments.sweepfile import SweepFile, parse_sweep


def _spec(ds: xr.Dataset) -> SweepFile:
    return parse_sweep(str(ds.attrs["sweep_text"]), Path(str(ds.attrs["sweep_path"]))).spec


def metric_names(ds: xr.Dataset) -> list[str]:
    """The metrics of a store: result variables without a ``period`` dim, not flags."""
    return [
        str(n)
        for n, v in ds.data_vars.items()
        if "run" in v.dims and n not in FLAGS and "period" not in v.dims
    ]


def _ok(ds: xr.Dataset) -> xr.DataArray:
    return ds["done"] & ~ds["failed"]


def replicate_mean(ds: xr.Dataset, name: str) -> xr.DataArray:
    """Mean over the recorded, successful replicates of a numeric metric (NaN if none)."""
    return ds[name].where(_ok(ds)).mean("replicate", skipna=True)


def _cells(da: xr.DataArray) -> list[tuple[str, dict[str, Any]]]:
    """Each element of a metric over its own dims, with a readable label."""
    dims = [str(d) for d in da.dims if d not in {"run", "replicate", "future"}]
    if not dims:
        return [("", {})]
    # a product of plain values: a one-level MultiIndex would hand out 1-tuples as labels
    keys = itertools.product(*(da[d].values.tolist() for d in dims))
    return [("/".join(str(v) for v in key), dict(zip(dims, key, strict=True))) for key in keys]


def combo_labels(table: DesignTable) -> list[str]:
    """Each lever combination named by its settings, as ``--set`` spells them.

    ``"regions.TW.levers.build_share=0.3"``, several joined by ``", "``; ``"no levers"`` for
    the one combination of a sweep without levers. A reader copies them into ``ecosim run``.
    """
    return [
        ", ".join(format_override(k, v) for k, v in zip(table.lever_names, combo, strict=True))
        or "no levers"
        for combo in table.combos
    ]


def sensitivity(ds: xr.Dataset, spec: SweepFile) -> pd.DataFrame:
    """Sobol' or Morris indices of every numeric metric cell, per lever combination."""
    kind = spec.design.kind
    if kind not in {"sobol", "morris"} or not spec.uncertainties:
        return pd.DataFrame()
    from SALib.analyze import morris, sobol

    table = expand(spec)
    labels = combo_labels(table)
    problem = salib_problem(spec)
    rows: list[dict[str, Any]] = []
    names = [n for n in metric_names(ds) if ds[n].dtype.kind in "fiu"]
    for name in names:
        mean = replicate_mean(ds, name).load()
        for label, sel in _cells(mean):
            y_all = mean.sel(sel).values if sel else mean.values
            for combo in range(table.n_combos):
                y = np.asarray(y_all[combo :: table.n_combos], dtype=np.float64)
                if not np.isfinite(y).all() or np.ptp(y) == 0.0:
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if kind == "sobol":
                        res = sobol.analyze(
                            problem,
                            y,
                            calc_second_order=spec.design.second_order,
                            print_to_console=False,
                            seed=spec.design.seed,
                        )
                        pairs = [("S1", "S1_conf"), ("ST", "ST_conf")]
                    else:
                        res = morris.analyze(
                            problem,
                            table.unit,
                            y,
                            num_levels=spec.design.levels or 4,
                            print_to_console=False,
                            seed=spec.design.seed,
                        )
                        pairs = [("mu_star", "mu_star_conf"), ("sigma", "")]
                names_: list[str] = list(spec.uncertainties)
                for j, unc in enumerate(names_):
                    for index, conf in pairs:
                        rows.append(
                            {
                                "lever_combo": combo,
                                "levers": labels[combo],
                                "metric": name,
                                "cell": label,
                                "uncertainty": unc,
                                "index": index,
                                "value": float(res[index][j]),
                                "conf": float(res[conf][j]) if conf else np.nan,
                            }
                        )
    return pd.DataFrame(rows)


def prim_boxes(ds: xr.Dataset, spec: SweepFile, failure_quantile: float = 0.8) -> pd.DataFrame:
    """PRIM boxes: which uncertainty ranges make each region's layer fail.

    A (run, replicate) *fails* for (region, layer) when its resilience loss is above the
    ``failure_quantile`` of that cell over all recorded runs. Returns one row per restricted
    uncertainty of each box, with the box's coverage (share of failures inside) and density
    (share of runs inside that fail).
    """
    import prim

    if "resilience_loss" not in ds or not spec.uncertainties:
        return pd.DataFrame()
    ok = _ok(ds).values
    run_idx, rep_idx = np.nonzero(ok)
    if len(run_idx) < 10:
        return pd.DataFrame()
    x = pd.DataFrame({u: np.asarray(ds[u].values)[run_idx] for u in spec.uncertainties})
    rl = ds["resilience_loss"].load()
    rows: list[dict[str, Any]] = []
    for label, sel in _cells(rl.isel(run=0, replicate=0)):
        values = np.asarray(rl.sel(sel).values)[run_idx, rep_idx]
        threshold = float(np.quantile(values, failure_quantile))
        y = (values > threshold).astype(np.float64)
        if y.sum() < 2 or y.sum() == len(y):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                box = prim.Prim(x, y, threshold=0.5, threshold_type=">").find_box()
        except Exception:  # PRIM gives up on degenerate inputs; such a cell has no box
            continue
        if box is None:
            continue
        limits = box.limits
        base = {
            "cell": label,
            "threshold_rl_days": threshold,
            "coverage": float(box.coverage),
            "density": float(box.density),
            "mass": float(box.mass),
        }
        if len(limits) == 0:
            rows.append({**base, "uncertainty": "", "min": np.nan, "max": np.nan})
        for unc, lim in limits.iterrows():
            rows.append({**base, "uncertainty": str(unc), "min": lim["min"], "max": lim["max"]})
    return pd.DataFrame(rows)


def robustness(ds: xr.Dataset, spec: SweepFile) -> pd.DataFrame:
    """Minimax regret of each lever combination, per region and over all regions."""
    if "resilience_loss" not in ds:
        return pd.DataFrame()
    table = expand(spec)
    labels = combo_labels(table)
    mean = replicate_mean(ds, "resilience_loss")
    per_region = mean.sum("layer", min_count=1) if "layer" in mean.dims else mean
    groups = {str(r): per_region.sel(region=r).values for r in per_region["region"].values}
    groups["all"] = per_region.sum("region", min_count=1).values
    rows: list[dict[str, Any]] = []
    for region, values in groups.items():
        grid = np.asarray(values, dtype=np.float64).reshape(table.n_futures, table.n_combos)
        regret = grid - np.nanmin(grid, axis=1, keepdims=True)
        for combo, levers in enumerate(table.combos):
            rows.append(
                {
                    "region": region,
                    "lever_combo": combo,
                    "levers": labels[combo],
                    **dict(zip(table.lever_names, levers, strict=True)),
                    "mean_rl_days": float(np.nanmean(grid[:, combo])),
                    "max_regret_days": float(np.nanmax(regret[:, combo])),
                    "p90_regret_days": float(np.nanquantile(regret[:, combo], 0.9)),
                }
            )
    out = pd.DataFrame(rows)
    out["rank"] = out.groupby("region")["max_regret_days"].rank(method="min").astype(int)
    return out


def _figure_sensitivity(sens: pd.DataFrame, target: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    index = "ST" if "ST" in set(sens["index"]) else "mu_star"
    for metric, part in sens[(sens["index"] == index) & (sens["lever_combo"] == 0)].groupby(
        "metric"
    ):
        grid = part.pivot_table(index="cell", columns="uncertainty", values="value")
        fig, ax = plt.subplots(figsize=(2 + 1.2 * grid.shape[1], 1.5 + 0.25 * grid.shape[0]))
        image = ax.imshow(grid.values, aspect="auto", cmap="viridis")
        ax.set_xticks(range(grid.shape[1]), grid.columns, rotation=30, ha="right", fontsize=7)
        ax.set_yticks(range(grid.shape[0]), grid.index, fontsize=7)
        ax.set_title(f"{metric}: {index} ({part['levers'].iloc[0]})", fontsize=9)
        fig.colorbar(image, ax=ax, label=index)
        fig.tight_layout()
        path = target / f"sensitivity_{metric}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def robustness_figure(rob: pd.DataFrame) -> Any:
    """The robustness plot of :func:`robustness`: mean loss against maximum regret.

    Parameters
    ----------
    rob
        The table of :func:`robustness`; its ``all`` rows are plotted.

    Returns
    -------
    matplotlib.figure.Figure
        Both axes start at zero and each point is named by its lever settings.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    part = rob[rob["region"] == "all"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter(part["mean_rl_days"], part["max_regret_days"])
    for _, row in part.iterrows():
        ax.annotate(
            str(row["levers"]),
            (row["mean_rl_days"], row["max_regret_days"]),
            fontsize=7,
            # to the left of the point: the largest losses sit near the right edge
            xytext=(-4, 4),
            textcoords="offset points",
            ha="right",
        )
    # both axes from zero: a difference of hundredths of a day must look as small as it is
    ax.set_xlim(0.0, max(float(part["mean_rl_days"].max()), 1e-9) * 1.15)
    ax.set_ylim(0.0, max(float(part["max_regret_days"].max()), 1e-9) * 1.15 + 1e-9)
    ax.set_xlabel("mean resilience loss over futures (days, all regions)")
    ax.set_ylabel("maximum regret over futures (days)")
    spread = float(part["mean_rl_days"].max() - part["mean_rl_days"].min())
    ax.set_title(
        f"Lever combinations: lower left is better; mean losses differ by at most {spread:.3g} d",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def _figure_robustness(rob: pd.DataFrame, target: Path) -> Path:
    import matplotlib.pyplot as plt

    fig = robustness_figure(rob)
    path = target / "robustness.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


#: The file of an analysis folder that holds the lines ``analyze`` printed.
SUMMARY = "summary.txt"


def analyze_store(
    store: str | Path, out_dir: str | Path, failure_quantile: float = 0.8
) -> tuple[list[Path], list[str]]:
    """Write the sensitivity, PRIM and robustness tables (CSV) and figures (PNG).

    Parameters
    ----------
    store
        A sweep store.
    out_dir
        Folder for the outputs (created).
    failure_quantile
        PRIM's failure threshold as a quantile of each cell's resilience loss.

    Returns
    -------
    tuple of (list of Path, list of str)
        Files written, and summary lines to print.

    Raises
    ------
    OutputError
        When ``out_dir`` cannot be written, before anything is computed, or when a file does
        not fit; the files are written together or not at all.
    """
    ds = open_store(store)
    spec = _spec(ds)
    final = Path(out_dir)
    check_writable(final)
    with staged_folder(final) as target:
        written, lines = _analyze_into(ds, spec, target, failure_quantile)
        # what analyze printed, for `ecosim show` to print again
        summary = target / SUMMARY
        summary.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(summary)
    return [final / p.name for p in written], lines


def _analyze_into(
    ds: xr.Dataset, spec: SweepFile, target: Path, failure_quantile: float
) -> tuple[list[Path], list[str]]:
    written: list[Path] = []
    lines: list[str] = []
    sens = sensitivity(ds, spec)
    if sens.empty:
        lines.append(
            f"sensitivity: none (design '{spec.design.kind}'; Sobol' indices need "
            "design: {kind: sobol}, as in scenarios/sweeps/small_fab_sobol.yaml, and Morris "
            "screening design: {kind: morris}; both need metrics that vary)"
        )
    else:
        path = target / "sensitivity.csv"
        sens.to_csv(path, index=False)
        written += [path, *_figure_sensitivity(sens, target)]
        index = "ST" if "ST" in set(sens["index"]) else "mu_star"
        part = sens[sens["index"] == index]
        # resilience loss is the question; a median is not pulled about by the noisy indices of
        # the cells that barely vary
        metric = "resilience_loss" if "resilience_loss" in set(part["metric"]) else "every metric"
        if metric == "resilience_loss":
            part = part[part["metric"] == metric]
        for levers, by_levers in part.groupby("levers", sort=False):
            top = by_levers.groupby("uncertainty")["value"].median().sort_values()[::-1]
            lines.append(
                f"sensitivity ({index} of {metric}, median over cells; {levers}): "
                + ", ".join(f"{k} {v:.3g}" for k, v in top.items())
            )
    boxes = prim_boxes(ds, spec, failure_quantile)
    if boxes.empty:
        lines.append("PRIM: no failure boxes (no uncertainties, too few runs, or no variation)")
    else:
        path = target / "prim_boxes.csv"
        boxes.to_csv(path, index=False)
        written.append(path)
        for cell, part in boxes.groupby("cell"):
            first = part.iloc[0]
            ranges = "; ".join(
                f"{r['uncertainty']} in [{r['min']:.3g}, {r['max']:.3g}]"
                for _, r in part.iterrows()
                if r["uncertainty"]
            )
            lines.append(
                f"PRIM {cell} fails (RL > {first['threshold_rl_days']:.3g} d) when {ranges or '-'}"
                f" (coverage {first['coverage']:.0%}, density {first['density']:.0%})"
            )
    rob = robustness(ds, spec)
    if not rob.empty:
        path = target / "robustness.csv"
        rob.to_csv(path, index=False)
        written += [path, _figure_robustness(rob, target)]
        every = rob[rob["region"] == "all"].sort_values("max_regret_days")
        for _, row in every.iterrows():
            lines.append(
                f"robustness: {row['levers']}: maximum regret {row['max_regret_days']:.3g} d, "
                f"mean resilience loss {row['mean_rl_days']:.3g} d over futures"
            )
        best = every.iloc[0]
        lines.append(
            f"robustness: the smallest maximum regret over futures is with {best['levers']} "
            f"({best['max_regret_days']:.3g} days of resilience loss)"
        )
    return written, lines


def tidy_metrics(store: str | Path) -> pd.DataFrame:
    """The metrics as a tidy table: one row per run, replicate, metric and metric cell.

    Columns: ``run, replicate, future, lever_combo``, the design's parameters, ``status``
    (``ok``, ``failed`` or ``missing``), ``metric``, the metric's own dims (e.g. ``region``,
    ``layer``; empty where a metric lacks them), ``value`` (numbers) and ``label`` (strings).
    """
    ds = open_store(store)
    params = [str(c) for c in ds.coords if ds[c].dims == ("run",)]
    design = ds[params].to_dataframe().reset_index()
    done, failed = ds["done"].values, ds["failed"].values
    status = np.where(done & ~failed, "ok", np.where(done, "failed", "missing"))
    frames = []
    for name in metric_names(ds):
        var = ds[name]
        frame = var.to_dataframe(name=name).reset_index()
        frame = frame[[c for c in frame.columns if c in (*var.dims, name)]]
        frame["metric"] = name
        if var.dtype.kind in "fiub":
            frame["value"] = frame.pop(name).astype(np.float64)
            frame["label"] = None
        else:
            frame["label"] = frame.pop(name).astype(str)
            frame["value"] = np.nan
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    table["status"] = status[table["run"].to_numpy(), table["replicate"].to_numpy()]
    table = table.merge(design, on="run", how="left")
    first = ["run", "replicate", *[p for p in params if p != "run"], "status", "metric"]
    dims = [c for c in table.columns if c not in {*first, "value", "label"}]
    return table[[*first, *dims, "value", "label"]]
