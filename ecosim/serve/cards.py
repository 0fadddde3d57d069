"""The page's results: a card per run and the table of runs side by side.

A card holds what a run is (its command line, NetCDF and report), its bottleneck matrix as a
table and the figures of :mod:`ecosim.serve.figures`, and its gain against the starting
settings; the side-by-side table compares each finished run with the first of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import dcc, html

from ecosim.serve import figures
from ecosim.serve.controls import is_lever_flag
from ecosim.serve.jobs import KEPT, Job


def _matrix_table(job: Job) -> Any:
    from ecosim.observe.summary import bottleneck_view

    assert job.result is not None
    view = bottleneck_view(job.result)
    layers = [str(x) for x in view["layer"].values]
    share = view["bottleneck"].transpose("region", "layer").values
    rl = view["resilience_loss"].transpose("region", "layer").values
    fragile = view["most_fragile_layer"].values
    head = html.Tr(
        [
            html.Th("region"),
            *[html.Th(x) for x in layers],
            html.Th("RL (d)"),
            html.Th("most fragile"),
        ]
    )
    rows = [
        html.Tr(
            [
                html.Th(str(region)),
                *[html.Td(f"{v:.0%}") for v in share[i]],
                html.Td(f"{rl[i].sum():.2f}"),
                html.Td(str(fragile[i])),
            ]
        )
        for i, region in enumerate(view["region"].values)
    ]
    table = html.Table(
        [html.Thead(head), html.Tbody(rows)], className="matrix", id=f"bottleneck-{job.id}"
    )
    return html.Div(table, className="wide")


def _gain_lines(job: Job) -> list[Any]:
    gain = job.gain
    if gain is None:
        return []
    where = job.settings.region or "all regions"
    if not any(is_lever_flag(f) for f in job.settings.flags):
        return [
            html.Div(
                "No lever moved: this run is its own starting settings (gain 0).",
                className="note",
                id=f"gain-{job.id}",
            )
        ]
    lines = [
        html.Div(
            f"Against the starting settings ({where}): resilience gained {gain.gain:+.3g} d, "
            f"extra cost {gain.extra_cost / 1e9:+.3g} bn USD/yr.",
        )
    ]
    for year, g, e, per in zip(
        gain.horizon_year,
        gain.gain_at_horizon,
        gain.extra_cost_at_horizon,
        gain.gain_per_cost,
        strict=True,
    ):
        ratio = f"{per:.3g} d per bn USD/yr" if per is not None else "no extra cost"
        lines.append(html.Div(f"by {year}: {g:+.3g} d for {e / 1e9:+.3g} bn USD/yr ({ratio})"))
    return [html.Div(lines, className="note", id=f"gain-{job.id}")]


#: The figures of finished runs, by run and result (made once: a result never changes).
_FIGURES: dict[tuple[int, int], list[Any]] = {}


def _figures(job: Job, region: str) -> list[Any]:
    """The figures of a finished job."""
    assert job.result is not None
    key = (job.id, id(job.result))
    if key not in _FIGURES:
        ds = job.result
        config: Any = {"displaylogo": False, "responsive": True}
        _FIGURES[key] = [
            dcc.Graph(figure=figures.bottleneck_figure(ds), config=config),
            dcc.Graph(figure=figures.service_figure(ds, region), config=config),
            dcc.Graph(figure=figures.loss_figure(ds), config=config),
            dcc.Graph(figure=figures.cost_figure(ds, region), config=config),
        ]
        # a page keeps four runs; older figures are not shown again
        while len(_FIGURES) > 4 * KEPT:
            del _FIGURES[next(iter(_FIGURES))]
    return _FIGURES[key]


def card(job: Job) -> Any:
    s = job.settings
    title = f"Run {job.id}: {job.entry.shown}" + (f", {s.region}" if s.region else "")
    parts: list[Any] = [html.H3(title)]
    if job.state == "running":
        parts += [
            html.Progress(value=str(job.fraction), max="1", id=f"progress-{job.id}"),
            html.Div(f"{job.fraction:.0%}: {job.doing}", className="note"),
            html.Button("Stop", id={"type": "stop", "job": job.id}),
        ]
    elif job.state != "done":
        parts.append(html.Div(f"{job.state}: {job.error}", className="error"))
    parts += [
        html.Div("The same run on the command line:", className="note"),
        html.Code(job.command, className="command", id=f"command-{job.id}"),
    ]
    if job.state == "done" and job.result is not None:
        region = s.region or str(job.result["region"].values[0])
        parts += [
            html.Div(
                [
                    html.A("NetCDF", href=f"/download/{job.id}/nc", id=f"netcdf-{job.id}"),
                    " · ",
                    html.A("HTML report", href=f"/download/{job.id}/html", id=f"report-{job.id}"),
                    f" · {job.seconds:.1f} s",
                ],
                className="note",
            ),
            _matrix_table(job),
            *_gain_lines(job),
            *_figures(job, region),
        ]
    parts.append(html.Button("Remove", id={"type": "drop", "job": job.id}))
    return html.Div(parts, className="card", id=f"run-{job.id}")


def side_by_side(jobs: Sequence[Job]) -> Any:
    """The finished runs in columns, and each one's gain against the first of them."""
    from ecosim.observe.summary import bottleneck_view
    from ecosim.serve.figures import cost_items
    from ecosim.studies.compare import gain_against

    done = [j for j in jobs if j.state == "done" and j.result is not None]
    if not done:
        return html.Div("No finished run yet.", className="note")
    first = done[0]
    rows: dict[str, list[str]] = {
        "scenario": [],
        "region": [],
        "settings changed": [],
        "resilience loss (d)": [],
        "most fragile layer": [],
        "cost (bn USD/yr)": [],
        "gain vs its starting settings (d)": [],
        f"gain vs run {first.id} (d)": [],
        f"extra cost vs run {first.id} (bn USD/yr)": [],
    }
    horizons: dict[str, list[str]] = {}
    for j in done:
        assert j.result is not None and j.loaded is not None
        region = j.settings.region or str(j.result["region"].values[0])
        view = bottleneck_view(j.result)
        rows["scenario"].append(j.entry.shown)
        rows["region"].append(region)
        rows["settings changed"].append(str(len(j.settings.flags)))
        rows["resilience loss (d)"].append(
            f"{float(view['resilience_loss'].sel(region=region).sum()):.3g}"
        )
        rows["most fragile layer"].append(str(view["most_fragile_layer"].sel(region=region).values))
        rows["cost (bn USD/yr)"].append(f"{sum(cost_items(j.result, region).values()) / 1e9:.3g}")
        rows["gain vs its starting settings (d)"].append(
            f"{j.gain.gain:+.3g}" if j.gain is not None else "-"
        )
        try:
            if region != (first.settings.region or region):
                raise ValueError("another region")
            assert first.result is not None and first.loaded is not None
            if j.loaded.scenario.start != first.loaded.scenario.start:
                raise ValueError("another start")
            g = gain_against(j.result, first.result, j.loaded.scenario.start, [region])
        except ValueError:
            rows[f"gain vs run {first.id} (d)"].append("-")
            rows[f"extra cost vs run {first.id} (bn USD/yr)"].append("-")
            continue
        rows[f"gain vs run {first.id} (d)"].append(f"{g.gain:+.3g}")
        rows[f"extra cost vs run {first.id} (bn USD/yr)"].append(f"{g.extra_cost / 1e9:+.3g}")
        for year, gh, per in zip(g.horizon_year, g.gain_at_horizon, g.gain_per_cost, strict=True):
            key = f"by {year}: gain vs run {first.id} (d; d per bn USD/yr)"
            column = horizons.setdefault(key, ["-"] * (len(done)))
            ratio = f"{per:.3g}" if per is not None else "no extra cost"
            column[done.index(j)] = f"{gh:+.3g} ({ratio})"
    rows.update(horizons)
    head = html.Tr([html.Th(""), *[html.Th(f"run {j.id}") for j in done]])
    body = [html.Tr([html.Th(k), *[html.Td(v) for v in vs]]) for k, vs in rows.items()]
    return html.Div(
        [
            html.Div(
                html.Table([html.Thead(head), html.Tbody(body)], className="side", id="side-table"),
                className="wide",
            ),
            html.Div(
                f"Gains are resilience loss saved (days, summed over the layers of the region) "
                f"in the same futures, paired per replicate; against run {first.id} only for "
                "runs of the same region and start. The ratio is the gain to 1 January of the "
                "year per billion USD a year of extra cost to then.",
                className="note",
            ),
        ]
    )
