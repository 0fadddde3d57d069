"""Build the HTML report: one file, figures embedded as base64 PNG, no external resource.

Order of sections (DESIGN.md section 7): with replicates, first each region's most fragile
layer as a probability with its interval, in words; then what happens *if* the scenario's
shocks happen — the bottleneck matrix, per-region losses and times — then the figures, then
the other probabilities over replicates, which rest on the shocks' rates, then the provenance
of the numbers.
"""

from __future__ import annotations

import base64
import html
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from ecosim.kernels.metrics import CENSOR_MEANINGS, MEASURED, NO_DIP, NOT_RECOVERED
from ecosim.observe.summary import bottleneck_view, fragility_in_words, summarize
from ecosim.report.provenance import assumption_entries

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .8em 0; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: .3em; }
.note { color: #555; font-size: .9em; }
.fragile { font-weight: 700; background: #fde0dc; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
pre { background: #f6f6f6; padding: .8em; overflow-x: auto; font-size: .8em; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _table(
    caption: str, header: Sequence[str], rows: Iterable[Sequence[str]], table_id: str = ""
) -> str:
    """An HTML table; cells are already escaped (they may hold markup)."""
    ident = f' id="{table_id}"' if table_id else ""
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f"<table{ident}><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _days(value: float, flag: int) -> str:
    """A time metric for readers: its value, or why it has none."""
    if flag == MEASURED:
        return f"{value:.0f} d"
    if flag == NO_DIP:
        return "no dip" if value <= 0 else f"&gt; {value:.0f} d (never fell)"
    if flag == NOT_RECOVERED:
        return f"&gt; {value:.0f} d (not recovered)"
    return _e(CENSOR_MEANINGS[flag].replace("_", " "))


def _first(da: xr.DataArray) -> xr.DataArray:
    """Replicate 0 of ``da`` (a single run as it is)."""
    return da.isel(replicate=0) if "replicate" in da.dims else da


def _start_date(ds: xr.Dataset, day: float) -> str:
    start = np.datetime64(ds["time"].values[0], "D")
    return str(start + np.timedelta64(round(day), "D"))


def _shock_section(ds: xr.Dataset) -> str:
    if "shock" not in ds.coords or ds.sizes.get("shock", 0) == 0:
        return "<p>The scenario has no shocks: every result below is the run itself.</p>"
    rows = []
    start = _first(ds["shock_start"]).isel(occurrence=0).values
    end = _first(ds["shock_end"]).isel(occurrence=0).values
    kinds = _first(ds["shock_type"]).values
    for i, sid in enumerate(ds["shock"].values):
        if start[i] < 0:
            when, until = "did not occur in the run", ""
        else:
            when = _start_date(ds, float(start[i]))
            until = "permanent" if end[i] < 0 else _start_date(ds, float(end[i]))
        rows.append([_e(sid), _e(kinds[i]), _e(when), _e(until)])
    return _table(
        "The shocks of this scenario (first occurrence; replicate 0)",
        ["shock", "type", "starts", "ends"],
        rows,
        table_id="shock-table",
    )


def _bottleneck_table(view: xr.Dataset) -> str:
    layers = [str(x) for x in view["layer"].values]
    share = view["bottleneck"].transpose("region", "layer").values
    rl = view["resilience_loss"].transpose("region", "layer").values
    rows = []
    for i, region in enumerate(view["region"].values):
        fragile = str(view["most_fragile_layer"].values[i])
        cells = [
            f'<span class="fragile">{share[i, j]:.0%} ({rl[i, j]:.2f} d)</span>'
            if layers[j] == fragile
            else f"{share[i, j]:.0%} ({rl[i, j]:.2f} d)"
            for j in range(len(layers))
        ]
        rows.append([_e(region), *cells, f"{rl[i].sum():.2f}", _e(fragile)])
    n = int(view.attrs.get("replicates", 1))
    over = f", replicate mean of {n}" if n > 1 else ""
    return _table(
        f"Bottleneck matrix: share of each region's resilience loss per layer (loss in days "
        f"against the no-shock twin{over})",
        ["region", *layers, "RL total (d)", "most fragile"],
        rows,
        table_id="bottleneck-table",
    )


def _times_table(ds: xr.Dataset) -> str:
    """Per shock, in plain words: for each region whose service it pushed below the threshold,
    when each layer fell and when it was back (replicate 0)."""
    if "tts_by_shock" not in ds:
        if "tts" in ds and ds.attrs.get("main_shock", "none") == "none":
            return (
                "<p>No shock occurred within the run, so there are no times to survive or "
                "recover.</p>"
            )
        return ""
    layers = [str(x) for x in ds["layer"].values]
    threshold = float(ds["tts"].attrs.get("tts_threshold", 0.95))
    tol = float(ds["tts"].attrs.get("recovery_tol", 0.01))
    tts, tts_f = _first(ds["tts_by_shock"]).values, _first(ds["tts_by_shock_censored"]).values
    ttr, ttr_f = _first(ds["ttr_by_shock"]).values, _first(ds["ttr_by_shock_censored"]).values
    start = _first(ds["shock_start"]).isel(occurrence=0).values
    parts = [
        "<h3>How long each region coped with each shock, and when it was back</h3>",
        f"<p>Time to survive: days from the shock's start until a layer's service fell below "
        f"{threshold:.0%} of the no-shock twin's. Time to recover: days from the start until "
        f"the shock had ended and the layer was back within {tol:.0%} of the twin for good "
        "(first occurrence of each shock, replicate 0).</p>",
    ]
    for k, sid in enumerate(ds["shock"].values):
        if start[k] < 0:
            parts.append(f"<p><b>{_e(sid)}</b> did not occur in the run.</p>")
            continue
        items = []
        for i, region in enumerate(ds["region"].values):
            fell = [j for j in range(len(layers)) if tts_f[k, i, j] == MEASURED]
            if not fell:
                continue
            said = []
            for j in sorted(fell, key=lambda j: tts[k, i, j]):
                back = (
                    f"back after {ttr[k, i, j]:.0f} days"
                    if ttr_f[k, i, j] == MEASURED
                    else "not back by the end of the run"
                )
                said.append(f"{_e(layers[j])} fell after {tts[k, i, j]:.0f} days, {back}")
            items.append(f"<li><b>{_e(region)}</b>: {'; '.join(said)}.</li>")
        when = _start_date(ds, float(start[k]))
        if items:
            parts.append(
                f"<p><b>{_e(sid)}</b> (from {when}) pushed these regions below "
                f"{threshold:.0%}:</p><ul>{''.join(items)}</ul>"
            )
        else:
            parts.append(
                f"<p><b>{_e(sid)}</b> (from {when}) pushed no region's service below "
                f"{threshold:.0%} of the twin.</p>"
            )
    return "<section id='times'>" + "".join(parts) + "</section>"


def _conditional_sentences(view: xr.Dataset) -> str:
    shocks = view.attrs.get("shocks", "none")
    rl = view["resilience_loss"].transpose("region", "layer")
    items = []
    for i, region in enumerate(view["region"].values):
        fragile = str(view["most_fragile_layer"].values[i])
        total = float(rl.isel(region=i).sum())
        if fragile == "none":
            items.append(f"<li><b>{_e(region)}</b> loses nothing against its no-shock twin.</li>")
        else:
            worst = float(rl.isel(region=i).sel(layer=fragile))
            items.append(
                f"<li><b>{_e(region)}</b> loses {total:.1f} days of full service over the run; "
                f"its most fragile layer is <b>{_e(fragile)}</b> ({worst:.1f} d).</li>"
            )
    return (
        f"<p>If <b>{_e(shocks)}</b> happen as this scenario sets them:</p><ul>{''.join(items)}</ul>"
    )


def _figures(ds: xr.Dataset, compare: xr.Dataset | None) -> str:
    from ecosim.viz import write_figures

    parts = []
    with tempfile.TemporaryDirectory() as tmp:
        # the page embeds PNGs: drawing the SVGs too took a quarter of a report's time
        written = write_figures(ds, tmp, "report", formats=("png",))
        if compare is not None:
            written += write_figures(compare, tmp, "report", formats=("png",))
        for path in written:
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            key = path.stem.removeprefix("report_")
            name = key.replace("_", " ")
            caption = _caption(key, compare if key in _COMPARE_FIGURES else ds)
            parts.append(
                f'<figure><img alt="{_e(name)}" src="data:image/png;base64,{data}">'
                f"<figcaption class='note'>{_e(caption)}</figcaption></figure>"
            )
    return "".join(parts)


#: Figures of a comparison (their caption reads the comparison's attributes).
_COMPARE_FIGURES = ("cost_resilience", "gains_by_horizon")

#: What each figure shows and how to read it; ``{shocks}`` and ``{reference}`` are filled in.
_CAPTIONS: dict[str, str] = {
    "bottleneck": "Share of each region's resilience loss (days of full service lost against "
    "the no-shock twin) that falls in each layer, on a log colour scale; a row sums to 100 %, "
    "and the darkest cell is the region's most fragile layer. Shocks: {shocks}.",
    "service": "Share of demand met in each layer for each region over time, beside the "
    "no-shock twin; a dip below the twin is service lost to the shocks ({shocks}), shaded "
    "while active.",
    "service_by_workload": "Share of each workload's compute demand met for each region over "
    "time: inference runs only on capacity in the region and holds up longest when capacity is "
    "short, while training may run abroad; a dip is a workload hit by the shocks ({shocks}), "
    "shaded while active.",
    "shortfall": "Compute demand each region could not serve, in H100e, against the no-shock "
    "twin's; the gap is what the shocks ({shocks}) cost in compute.",
    "market_shares": "Cloud market shares of the providers in each region over time; a "
    "withdrawal or price hike ({shocks}) moves customers between providers.",
    "lead_time": "Accelerator supply: lead times per good, per designer and per buyer region, "
    "prices, time at the lead-time cap and deliveries per year; a long lead time is a queue, "
    "the cap an embargo or runaway backlog. Shocks: {shocks}.",
    "cost_resilience": "Each portfolio's resilience gained against {reference} (days of lost "
    "service avoided) against its mean yearly cost; bars span 5-95 % over replicates, the line "
    "is the Pareto front and the star the minimax-regret choice.",
    "gains_by_horizon": "What each portfolio gains against {reference} by 1 January of each "
    "horizon year (left) and per billion USD a year of extra cost to then (right); a portfolio "
    "that spends no more than the reference has no bar on the right.",
    "sovereignty_value": "For each region and layer, the resilience gained by making the "
    "layer's foreign dependencies domestic, and what it costs each year. Shocks: {shocks}.",
    "alliance_gain": "The resilience each region (row) gains from a capacity-sharing alliance "
    "with each partner (column). Shocks: {shocks}.",
}


def _caption(key: str, ds: xr.Dataset | None) -> str:
    """A figure's caption: what is plotted, how to read it, which shocks are shown."""
    attrs = ds.attrs if ds is not None else {}
    text = _CAPTIONS.get(key, key.replace("_", " ").capitalize() + ".")
    return text.format(
        shocks=attrs.get("shocks", "none") or "none",
        reference=attrs.get("reference", "the reference"),
    )


def _fragility_lead(ds: xr.Dataset, summary: xr.Dataset) -> str:
    """With replicates: each region's most fragile layer as a probability, in words."""
    n = int(ds.sizes.get("replicate", 1))
    if n < 2 or "p_most_fragile" not in summary:
        return ""
    words = fragility_in_words(summary, n)
    items = "".join(f"<li><b>{_e(r)}</b>: {_e(text)}.</li>" for r, text in words.items())
    return (
        f"<h2>Which layer is most fragile, over {n} futures</h2>"
        f"<ul id='fragility-lead'>{items}</ul>"
        "<p class='note'>Each future is a replicate: the same assumptions with other random "
        "streams, so shocks with a rate happen at other times, or not at all. A share is how "
        "often the layer lost the most days of full service against the no-shock twin; the "
        "range is its 95 % interval over this number of futures. It does not include what "
        "other assumptions (the coupling, the rates themselves) would change.</p>"
    )


def _probability_section(ds: xr.Dataset, summary: xr.Dataset) -> str:
    n = int(ds.sizes.get("replicate", 1))
    parts = [
        f"<p class='note'>Probabilities below are shares of {n} replicate(s): the same "
        "assumptions with other random streams (stochastic variability under fixed assumptions). "
        "Shocks with a start date happen in every replicate; shocks with a rate rest on that "
        "guessed rate. With one replicate they are 0 or 1 and say nothing about likelihood.</p>"
    ]
    layers = [str(x) for x in ds["layer"].values]
    if "p_most_fragile" in summary:
        p = summary["p_most_fragile"].transpose("region", "layer").values
        ci = summary["p_most_fragile_interval"].transpose("region", "layer", "bound").values
        none = summary["p_no_loss"].values
        rows = [
            [
                _e(r),
                *(f"{v:.0%} ({ci[i, j, 0]:.0%}-{ci[i, j, 1]:.0%})" for j, v in enumerate(p[i])),
                f"{none[i]:.0%}",
            ]
            for i, r in enumerate(ds["region"].values)
        ]
        parts.append(
            _table(
                "P(layer is the most fragile), with its 95 % interval",
                ["region", *layers, "no loss"],
                rows,
                "p-fragile-table",
            )
        )
    if "p_tts_lt_ttr" in summary:
        p = summary["p_tts_lt_ttr"].transpose("region", "layer").values
        rows = [
            [_e(r), *("n/a" if v < 0 else f"{v:.0%}" for v in p[i])]
            for i, r in enumerate(ds["region"].values)
        ]
        parts.append(
            _table(
                "P(TTS < TTR): service falls below 95 % of the twin before the layer is restored",
                ["region", *layers],
                rows,
                "p-exposed-table",
            )
        )
    return "".join(parts)


def _compare_section(cmp: xr.Dataset) -> str:
    names = [str(n) for n in cmp["portfolio"].values]
    years = [int(y) for y in cmp["horizon_year"].values]
    ref = str(cmp.attrs.get("reference", ""))
    rows = []
    for i, name in enumerate(names):
        g = cmp["gain_q"].values[i]
        marks = []
        if bool(cmp["pareto"].values[i]):
            marks.append("Pareto")
        if name == cmp.attrs.get("minimax_regret_choice"):
            marks.append("minimax-regret choice")
        if not bool(cmp["within_budget"].values[i]):
            marks.append("over budget")
        regret = float(cmp["regret"].values[i])
        per = []
        for h in range(len(years)):
            if name == ref:
                per.append("-")
            elif bool(cmp["gain_per_cost_defined"].values[i, h]):
                per.append(f"{float(cmp['gain_per_cost'].values[i, h]):.3g}")
            else:
                per.append("no extra cost")
        rows.append(
            [
                _e(name),
                *(f"{cmp['gain_at_horizon_q'].values[i, h, 1]:.2f}" for h in range(len(years))),
                f"{g[1]:.2f} [{g[0]:.2f}, {g[2]:.2f}]",
                f"{float(cmp['cost_q'].values[i, 1]) / 1e9:.2f}",
                "-" if name == ref else f"{float(cmp['incremental_cost'].values[i]) / 1e9:+.2f}",
                *per,
                "over budget" if regret < 0 else f"{regret:.2f}",
                _e(", ".join(marks)),
            ]
        )
    header = [
        "portfolio",
        *(f"gain by {y} (d)" for y in years),
        "gain, whole run (d) [5 %, 95 %]",
        "cost (bn USD/yr)",
        "extra cost (bn USD/yr)",
        *(f"gain per bn USD/yr by {y}" for y in years),
        "regret (d)",
        "notes",
    ]
    table = _table(
        f"Portfolios against {ref}: resilience gained by horizon (days of lost service avoided, "
        f"median over {cmp.attrs.get('replicates', 1)} replicates), cost and extra cost, gain "
        "per billion USD a year of extra cost, and regret",
        header,
        rows,
        table_id="compare-table",
    )
    return table + (
        "<p class='note'>Gain: the reference's resilience loss minus the portfolio's, in the "
        "same futures. Extra cost: mean yearly spending above the reference's. Regret: the most "
        "a portfolio loses, over the futures, against the best portfolio of each future; the "
        f"minimax-regret choice ({_e(cmp.attrs.get('minimax_regret_choice', 'none'))}) has the "
        f"least. Regions counted: {_e(cmp.attrs.get('regions', 'all'))}.</p>"
    )


def _provenance(ds: xr.Dataset) -> str:
    share = assumption_entries()
    keys = [
        "ecosim_version",
        "scenario_name",
        "scenario_sha256",
        "seed_entropy",
        "replicates",
        "future",
        "started_utc",
        "finished_utc",
        "wall_time_s",
        "platform",
        "status",
    ]
    rows = [[_e(k), _e(ds.attrs[k])] for k in keys if k in ds.attrs]
    text = ds.attrs.get("scenario_text", "")
    return (
        f"<p><b>{_e(share.sentence())}</b> Assumptions are listed by "
        "<code>ecosim validate --provenance</code>.</p>"
        + _table("Provenance", ["attribute", "value"], rows, "provenance-table")
        + (
            f"<details><summary>Scenario file</summary><pre>{_e(text)}</pre></details>"
            if text
            else ""
        )
    )


def build_report(ds: xr.Dataset, compare: xr.Dataset | None = None) -> str:
    """Return the report of a run result (single or with replicates) as one HTML string.

    Parameters
    ----------
    ds
        A result of ``ecosim run``.
    compare
        Optionally a result of ``ecosim compare``, shown as a portfolio section.
    """
    name = ds.attrs.get("scenario_name", "scenario")
    summary = summarize(ds) if "resilience_loss" in ds else xr.Dataset()
    body = [f"<h1>ecosim report — {_e(name)}</h1>"]
    body.append(_fragility_lead(ds, summary))
    body.append("<h2>If these shocks happen</h2>")
    body.append(_shock_section(ds))
    if "resilience_loss" in ds:
        view = bottleneck_view(ds)
        body.append(_conditional_sentences(view))
        body.append(_bottleneck_table(view))
        body.append(_times_table(ds))
        body.append(
            "<p class='note'>Resilience loss: days of full service lost against the no-shock "
            "twin (same scenario and random streams, no shocks). Time to survive: from the "
            "shock's start until the share of demand met falls below 95 % of the twin's. Time "
            "to recover: until the shock has ended and the layer's own service is back within "
            "1 % of the twin for good.</p>"
        )
    else:
        body.append("<p>This run has no no-shock twin, so no loss can be attributed to shocks.</p>")
    if compare is not None:
        body.append("<h2>Portfolios</h2>")
        body.append(_compare_section(compare))
    body.append("<h2>Figures</h2>")
    body.append(_figures(ds, compare))
    if "resilience_loss" in ds:
        body.append("<h2>How likely</h2>")
        body.append(_probability_section(ds, summary))
    body.append("<h2>Provenance</h2>")
    body.append(_provenance(ds))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>ecosim report — {_e(name)}</title>"
        # an empty icon: the browser asks for none, so nothing fails to load
        "<link rel='icon' href='data:,'>"
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>"
    )


def write_report(ds: xr.Dataset, path: str | Path, compare: xr.Dataset | None = None) -> Path:
    """Write :func:`build_report` to ``path`` atomically (never a half-written file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = build_report(ds, compare)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
