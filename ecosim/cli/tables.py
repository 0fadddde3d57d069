"""The tables the command line prints of a result, shared by the command that makes the result
and by ``ecosim show``, which prints them again from the saved file.

Every table fits 80 columns: a name is never cut (its column folds instead), every column has a
header, long cells stack on lines, and a footer says what each term means. Amounts in USD can be
shown in another currency at the rate ``calibration/defaults.yaml`` gives with its source
(:func:`currency`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table

from ecosim.errors import InputError
from ecosim.observe.chains import ChainSummary
from ecosim.scenario.defaults import load_defaults_raw

#: What the bottleneck and compare tables' terms mean, printed under them.
TERMS: dict[str, str] = {
    "RL": "resilience loss: days of full service lost, the shortfall against the no-shock twin "
    "integrated over the run",
    "gain": "the reference portfolio's RL minus this portfolio's, in the same futures",
    "extra cost": "mean yearly spending above the reference's, in the same futures",
    "gain per bn": "days of RL avoided by the horizon per billion a year of extra cost to it "
    "('free': no extra cost)",
    "regret": "the most RL a portfolio loses, over the futures, against the best portfolio of "
    "each future; the minimax-regret choice has the least",
}


@dataclass(frozen=True)
class Currency:
    """A currency results are shown in: its code, units per USD and where the rate comes from."""

    code: str
    per_usd: float
    source: str


USD = Currency("USD", 1.0, "")


def currency(code: str) -> Currency:
    """The currency ``code`` (``USD`` or one listed under ``currencies`` in the defaults).

    Raises
    ------
    InputError
        For a code the defaults do not list.
    """
    code = code.upper()
    if code == "USD":
        return USD
    listed = load_defaults_raw().get("currencies", {})
    if code not in listed:
        raise InputError("--currency", [], f"one of USD, {', '.join(sorted(listed))}", code)
    entry = listed[code]
    rate = float(entry["value"])
    return Currency(code, 1.0 / rate, f"{rate:g} USD per {code}, {entry['assumption']}")


def _terms(console: Console, *names: str) -> None:
    for name in names:
        console.print(f"  {name}: {TERMS[name]}", highlight=False)


def _name_column(table: Table, header: str, names: list[str]) -> None:
    """A first column wide enough for every name, which folds rather than cuts one."""
    width = max([len(header), *(len(n) for n in names)])
    table.add_column(header, min_width=min(width, 24), overflow="fold")


def print_compare(console: Console, cmp: Any, money: Currency = USD) -> None:
    """The answer of a comparison: gains by horizon, cost against the reference, what it buys
    per unit of cost, and what each portfolio's cost is made of."""
    names = [str(n) for n in cmp["portfolio"].values]
    years = [int(y) for y in cmp["horizon_year"].values]
    n = int(cmp.attrs["replicates"])
    ref = str(cmp.attrs["reference"])
    over = f"median of {n} replicates" if n > 1 else "one replicate"
    unit = f"bn {money.code}/yr"
    scale = money.per_usd / 1e9

    gains = Table(
        title=f"Resilience gained against {ref} (days of lost service avoided, {over})",
        title_justify="left",
    )
    _name_column(gains, "portfolio", names)
    for year in years:
        gains.add_column(f"by {year}", justify="right", overflow="fold")
    gains.add_column("whole run\n[5 %, 95 %]", justify="right", overflow="fold")
    gains.add_column("regret", justify="right", overflow="fold")
    for i, name in enumerate(names):
        g = cmp["gain_q"].values[i]
        regret = float(cmp["regret"].values[i])
        gains.add_row(
            name,
            *(f"{cmp['gain_at_horizon_q'].values[i, h, 1]:.2f}" for h in range(len(years))),
            f"{g[1]:.2f}\n[{g[0]:.2f}, {g[2]:.2f}]",
            "over budget" if regret < 0 else f"{regret:.2f}",
        )
    console.print(gains)

    value = Table(
        title=f"Cost against {ref} ({unit}, mean over the run, {over})",
        title_justify="left",
    )
    _name_column(value, "portfolio", names)
    value.add_column(f"cost\n({unit})", justify="right", overflow="fold")
    value.add_column(f"extra cost\n({unit})", justify="right", overflow="fold")
    value.add_column("notes", overflow="fold")
    for i, name in enumerate(names):
        cost = float(cmp["cost_q"].values[i, 1]) * scale
        extra = float(cmp["incremental_cost"].values[i]) * scale
        marks = []
        if bool(cmp["pareto"].values[i]):
            marks.append("Pareto")
        if name == cmp.attrs["minimax_regret_choice"]:
            marks.append("minimax-regret choice")
        if not bool(cmp["within_budget"].values[i]):
            marks.append("over budget")
        if name == ref:
            marks.append("reference")
        value.add_row(
            name, f"{cost:.2f}", "-" if name == ref else f"{extra:+.2f}", ", ".join(marks)
        )
    console.print(value)

    if years:
        per = Table(
            title=f"Gain per bn {money.code}/yr of extra cost (days of lost service avoided "
            "by the horizon per billion a year spent above the reference to then)",
            title_justify="left",
        )
        _name_column(per, "portfolio", names)
        for year in years:
            per.add_column(f"by {year}", justify="right", overflow="fold")
        for i, name in enumerate(names):
            if name == ref:
                continue
            cells = []
            for h in range(len(years)):
                if bool(cmp["gain_per_cost_defined"].values[i, h]):
                    cells.append(f"{float(cmp['gain_per_cost'].values[i, h]) / money.per_usd:.3g}")
                else:
                    cells.append("free")
            per.add_row(name, *cells)
        console.print(per)

    items = [str(x) for x in cmp["cost_item"].values]
    parts = cmp["cost_breakdown"].median("replicate").values * scale
    levers = [j for j in range(3, len(items)) if np.abs(parts[:, j]).max() >= 0.005]
    breakdown = Table(
        title=f"What the cost is made of ({unit}, mean over the run, {over})",
        title_justify="left",
    )
    _name_column(breakdown, "portfolio", names)
    breakdown.add_column("own\ncapital", justify="right", overflow="fold")
    breakdown.add_column("own\nrunning", justify="right", overflow="fold")
    breakdown.add_column("cloud", justify="right", overflow="fold")
    breakdown.add_column("levers", overflow="fold")
    for i, name in enumerate(names):
        lines = [f"{items[j]} {parts[i, j]:.2f}" for j in levers if abs(parts[i, j]) >= 0.005]
        breakdown.add_row(
            name,
            f"{parts[i, 0]:.2f}",
            f"{parts[i, 1]:.2f}",
            f"{parts[i, 2]:.2f}",
            "\n".join(lines) or "-",
        )
    console.print(breakdown)
    if cmp.attrs.get("horizons_skipped", "none") != "none":
        console.print(f"horizons outside the run, left out: {cmp.attrs['horizons_skipped']}")
    console.print(
        f"Minimax-regret choice: {cmp.attrs['minimax_regret_choice']}; regions counted: "
        f"{cmp.attrs.get('regions', 'all')}",
        highlight=False,
    )
    _terms(console, "RL", "gain", "extra cost", "gain per bn", "regret")
    if money.code != "USD":
        console.print(f"  amounts in {money.code} at {money.source}", highlight=False)


def _fragile_label(ds: Any, region_index: int, layers: list[str]) -> str:
    fragile = str(ds["most_fragile_layer"].values[region_index])
    material = float(ds.attrs.get("material_loss_days", 0.0))
    if fragile not in layers:
        return f"none (under {material:g} d)" if material > 0 else "none"
    n = int(ds.attrs.get("replicates", 1))
    if n > 1 and "p_most_fragile" in ds:
        j = layers.index(fragile)
        p = float(ds["p_most_fragile"].transpose("region", "layer").values[region_index][j])
        low, high = (
            ds["p_most_fragile_interval"]
            .transpose("region", "layer", "bound")
            .values[region_index, j]
        )
        fragile += f"\n(P={p:.0%}, {low:.0%}-{high:.0%})"
    return fragile


def print_bottleneck(console: Console, result: Any) -> None:
    """The bottleneck matrix of a run (its replicate mean with replicates) and each region's
    most fragile layer, where its loss is material."""
    if "bottleneck" not in result:
        console.print("no bottleneck matrix: the run has no no-shock twin (recording.twin: false)")
        return
    from ecosim.observe.summary import bottleneck_view

    ds = bottleneck_view(result)
    n = int(ds.attrs.get("replicates", 1))
    over = f"replicate mean of {n}; " if n > 1 else ""
    layers = [str(x) for x in ds["layer"].values]
    table = Table(
        title=f"Bottleneck matrix: share of each region's resilience loss per layer ({over}"
        f"shocks: {ds.attrs.get('shocks', 'none')})",
        title_justify="left",
    )
    _name_column(table, "region", [str(r) for r in ds["region"].values])
    for layer in layers:
        table.add_column(layer[:4] if layer != "data" else layer, justify="right")
    table.add_column("RL (d)", justify="right")
    table.add_column("most fragile")
    share = ds["bottleneck"].transpose("region", "layer").values
    rl = ds["resilience_loss"].transpose("region", "layer").values
    for i, region in enumerate(ds["region"].values):
        cells = [f"{v:.0%}" for v in share[i]]
        table.add_row(str(region), *cells, f"{rl[i].sum():.2f}", _fragile_label(ds, i, layers))
    console.print(table)
    fragile = ", ".join(
        f"{r}: {f}"
        for r, f in zip(ds["region"].values, ds["most_fragile_layer"].values, strict=True)
    )
    console.print(f"Most fragile layer per region: {fragile}", highlight=False)
    if n > 1:
        from ecosim.observe.summary import fragility_in_words

        for region, text in fragility_in_words(ds, n).items():
            console.print(f"  {region}: {text}", highlight=False)
        console.print(
            "  (shares of replicates with their 95 % intervals: the same assumptions with "
            "other random streams)",
            highlight=False,
        )
    console.print(
        "  columns: compute, data, software, models, operations; "
        f"{TERMS['RL']}; a layer is named most fragile only where the region's RL is at least "
        f"{float(ds.attrs.get('material_loss_days', 0.0)):g} d (recording.material_loss_days)",
        highlight=False,
    )


def print_chains(console: Console, rows: list[ChainSummary], money: Currency = USD) -> None:
    """Each domestic chain: capex to cover the region's purchases, its yearly cost, when, and
    the price its buyers paid over the trend's."""
    if not rows:
        return
    table = Table(
        title="Domestic chains: capex until the chain covers the region's purchases (by the "
        "end where it never does)",
        title_justify="left",
    )
    _name_column(table, "region", [r.region for r in rows])
    table.add_column("covers from\n(years)", justify="right")
    table.add_column(f"capex\n(bn {money.code})", justify="right")
    table.add_column(f"per year\n(bn {money.code})", justify="right")
    table.add_column("price / trend\nmean, end", justify="right")
    for r in rows:
        when = (
            f"{r.covered.isoformat()}\n({r.years_to_cover:.1f})"
            if r.covered is not None and r.years_to_cover is not None
            else "not in the run"
        )
        table.add_row(
            r.region,
            when,
            f"{r.capex_usd * money.per_usd / 1e9:,.1f}",
            f"{r.annualised_usd * money.per_usd / 1e9:,.1f}",
            f"{r.price_index_mean:.2f}, {r.price_index_end:.2f}",
        )
    console.print(table)
    console.print(
        "  per year: the capex paid back over the build life at the cost of capital "
        "(uncertainties.supply.build); price / trend: what the region's buyers paid for an "
        "accelerator over the trend's price, from the chain's start",
        highlight=False,
    )


def _num(value: float, sign: str = "") -> str:
    """A number in three significant digits (whole above 1,000), so a column stays narrow."""
    if abs(value) >= 1000.0:
        return f"{value:{sign},.0f}"
    return f"{value:{sign}.3g}"


#: Short layer headers for tables with a column per layer, spelled out in their footers.
LAYER_HEADS: dict[str, str] = {
    "compute": "comp",
    "data": "data",
    "software": "soft",
    "models": "model",
    "operations": "ops",
}


def print_sovereignty(console: Console, ds: Any) -> None:
    """Layer priority: what making each layer domestic gains and costs, per region."""
    layers = [str(x) for x in ds["layer"].values]
    regions = [str(r) for r in ds["region"].values]
    over = (
        f"mean of {ds.attrs['replicates']} replicate(s), shocks: {ds.attrs.get('shocks', 'none')}"
    )
    value = ds["sovereignty_value"].transpose("region", "layer").values
    cost = ds["sovereignty_cost"].transpose("region", "layer").values
    per = ds["sovereignty_value_per_cost"].transpose("region", "layer").values
    flag = ds["sovereignty_value_per_cost_flag"].transpose("region", "layer").values
    for title, cells in (
        (
            f"Layer priority: resilience gained (d) when the layer is made domestic ({over})",
            [[_num(value[i, j]) for j in range(len(layers))] for i in range(len(regions))],
        ),
        (
            "Layer priority: change in yearly spending (bn USD/yr) when the layer is made domestic",
            [
                [_num(cost[i, j] / 1e9, "+") for j in range(len(layers))]
                for i in range(len(regions))
            ],
        ),
    ):
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
        _name_column(table, "region", regions)
        table.add_column("RL (d)", justify="right", overflow="fold")
        for layer in layers:
            table.add_column(LAYER_HEADS.get(layer, layer), justify="right", overflow="fold")
        for i, region in enumerate(regions):
            table.add_row(region, _num(float(ds["rl_baseline"].values[i])), *cells[i])
        console.print(table)
    tops = []
    for i, region in enumerate(regions):
        j = int(value[i].argmax())
        # a gain that rounds to 0.00 d in the table is not a priority
        if value[i, j] >= 0.005:
            ratio = f"{per[i, j]:.3g} d per bn/yr" if flag[i, j] == 0 else "no extra cost"
            tops.append(f"{region}: {layers[j]} ({ratio})")
        else:
            tops.append(f"{region}: none")
    console.print("Top layer per region: " + "; ".join(tops), highlight=False)
    console.print(
        "  columns: " + ", ".join(f"{LAYER_HEADS.get(x, x)} = {x}" for x in layers) + "; RL: "
        "the region's resilience loss with every layer as it is",
        highlight=False,
    )


def print_alliances(console: Console, ds: Any) -> None:
    """What each region gains from a capacity-sharing alliance with each other region."""
    partners = [str(p) for p in ds["partner"].values]
    regions = [str(r) for r in ds["region"].values]
    table = Table(
        title="Alliance gain: resilience (d) each region (row) gains from a capacity-sharing "
        f"alliance with each partner (column); mean of {ds.attrs['replicates']} replicate(s), "
        f"shocks: {ds.attrs.get('shocks', 'none')}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    _name_column(table, "region", regions)
    table.add_column("RL (d)", justify="right", overflow="fold")
    for p in partners:
        table.add_column(p, justify="right", overflow="fold")
    gain = ds["alliance_gain"].transpose("region", "partner").values
    for i, region in enumerate(regions):
        cells = ["-" if region == p else _num(gain[i, j]) for j, p in enumerate(partners)]
        table.add_row(region, _num(float(ds["rl_baseline"].values[i])), *cells)
    console.print(table)
    console.print(
        "  RL: the region's resilience loss alone; each cell the days of it an alliance with "
        "that partner saves",
        highlight=False,
    )


def sweep_status_lines(store: Path, errors: int = 5) -> list[str]:
    """How many runs of a sweep store are done, failed and missing, and its first errors."""
    from ecosim.experiments.store import failures, read_attrs, status_counts

    attrs = read_attrs(store)
    counts = status_counts(store)
    lines = [
        f"{store}: {counts['ok']} done, {counts['failed']} failed, {counts['missing']} "
        f"missing of {counts['total']} runs (run x replicate); sweep "
        f"{attrs.get('sweep_path')} ({str(attrs.get('sweep_sha256'))[:12]}), ecosim "
        f"{attrs.get('ecosim_version')}, created {attrs.get('created_utc')}"
    ]
    for run, rep, text in failures(store, errors):
        lines.append(f"  run {run} replicate {rep}: {text.splitlines()[0]}")
    return lines
