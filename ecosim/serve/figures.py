"""The page's figures of one result, as Plotly figures the browser draws.

They read the result only, as :mod:`ecosim.viz` does, and show the same quantities: the
bottleneck matrix (resilience loss per region and layer, each layer's share written in its
cell), the service per layer over time (period means, the median over replicates with the
5-95 % band when there are several), the resilience loss per region in its layers, and the
cost of the chosen region in its parts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
import xarray as xr

from ecosim.observe.summary import bottleneck_view
from ecosim.viz._common import period_reduce, replicates_of
from ecosim.viz.service import warm_up_days

#: One colour per layer, in the order of the result's ``layer`` dimension.
LAYER_COLOURS = ("#1b6ca8", "#e07b39", "#5a9e4b", "#9c5fb5", "#c44e52")


def _layout(fig: go.Figure, title: str, height: int = 320) -> go.Figure:
    fig.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
        template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def bottleneck_figure(ds: xr.Dataset) -> go.Figure:
    """The bottleneck matrix as a heatmap: resilience loss (days) per region and layer."""
    view = bottleneck_view(ds)
    rl = view["resilience_loss"].transpose("region", "layer").values
    share = view["bottleneck"].transpose("region", "layer").values
    regions = [str(r) for r in view["region"].values]
    layers = [str(x) for x in view["layer"].values]
    text = [
        [f"{s:.0%}<br>{_days(d)} d" for s, d in zip(rs, rd, strict=True)]
        for rs, rd in zip(share, rl, strict=True)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=rl,
            x=layers,
            y=regions,
            text=text,
            texttemplate="%{text}",
            colorscale="OrRd",
            zmin=0.0,
            colorbar={"title": {"text": "days"}},
            hovertemplate="%{y} %{x}: %{z:.3g} d lost<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    n = int(view.attrs.get("replicates", 1))
    over = f", replicate mean of {n}" if n > 1 else ""
    return _layout(
        fig,
        f"Bottleneck matrix: days lost per layer, and share of the region's loss{over}",
        height=max(260, 40 * len(regions) + 120),
    )


def service_figure(ds: xr.Dataset, region: str) -> go.Figure:
    """The share of demand met per layer in ``region`` over time, with replicate bands."""
    skip = warm_up_days(ds)
    fig = go.Figure()
    service = ds["service"].sel(region=region)
    for i, layer in enumerate(str(x) for x in ds["layer"].values):
        x, da = period_reduce(service.sel(layer=layer), ds, skip_days=skip)
        values = np.asarray(replicates_of(da).transpose("replicate", ...).values, dtype=float)
        colour = LAYER_COLOURS[i % len(LAYER_COLOURS)]
        dates = [str(np.datetime_as_string(t, unit="D")) for t in x]
        if values.shape[0] > 1:
            low, high = np.quantile(values, [0.05, 0.95], axis=0)
            # the band's upper edge, then the lower edge filled up to it
            for edge, fill in ((high, {}), (low, {"fill": "tonexty", "fillcolor": _faint(colour)})):
                fig.add_trace(
                    go.Scatter(
                        x=dates,
                        y=edge,
                        mode="lines",
                        line={"width": 0},
                        showlegend=False,
                        hoverinfo="skip",
                        legendgroup=layer,
                        **fill,
                    )
                )
        fig.add_trace(
            go.Scatter(
                x=dates,
                y=np.median(values, axis=0),
                mode="lines",
                name=layer,
                line={"color": colour},
                legendgroup=layer,
            )
        )
    fig.update_yaxes(title="share of demand met", range=[0, 1.02], tickformat=".0%")
    bands = " (median, 5-95 % band over replicates)" if "replicate" in ds.dims else ""
    note = f"; first {skip:g} days not plotted" if skip else ""
    return _layout(fig, f"Service per layer in {region}{bands}{note}")


def loss_figure(ds: xr.Dataset) -> go.Figure:
    """Resilience loss of each region in days, stacked over its layers."""
    view = bottleneck_view(ds)
    regions = [str(r) for r in view["region"].values]
    fig = go.Figure()
    for i, layer in enumerate(str(x) for x in view["layer"].values):
        fig.add_trace(
            go.Bar(
                x=regions,
                y=view["resilience_loss"].sel(layer=layer).values,
                name=layer,
                marker_color=LAYER_COLOURS[i % len(LAYER_COLOURS)],
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title="days of service lost")
    return _layout(fig, "Resilience loss against the no-shock twin")


def cost_figure(ds: xr.Dataset, region: str) -> go.Figure:
    """The mean yearly cost of ``region`` over the run, in its parts (USD bn/yr)."""
    items = cost_items(ds, region)
    fig = go.Figure(
        go.Bar(
            x=[v / 1e9 for v in items.values()],
            y=list(items),
            orientation="h",
            marker_color="#1b6ca8",
            hovertemplate="%{y}: %{x:.3g} bn USD/yr<extra></extra>",
        )
    )
    fig.update_xaxes(title="USD bn a year (mean over the run)")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, f"Cost breakdown of {region}", height=max(220, 26 * len(items) + 100))


def cost_items(ds: xr.Dataset, region: str) -> dict[str, float]:
    """Mean over the run (and replicates) of each part of ``region``'s cost, the zeros left
    out (USD/yr)."""
    da: Any = ds["cost_breakdown"].sel(region=region).mean("time")
    if "replicate" in da.dims:
        da = da.mean("replicate")
    return {
        str(item): float(v)
        for item, v in zip(da["cost_item"].values, da.values, strict=True)
        if abs(float(v)) > 0.0
    }


def _days(days: float) -> str:
    """Days as a cell shows them: whole days from 10 on, two digits below (0.035)."""
    return f"{days:.0f}" if days >= 10.0 else f"{days:.2g}"


def _faint(colour: str) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},0.2)"
