"""The page's form: Dash components for the controls of :mod:`ecosim.serve.controls`.

Each lever control becomes the component of its kind (a slider with a box to type into, a
number, check boxes, a number per partner, YAML text), each shock its date picker, severity
range and duration; their ids carry the ``--set`` key path they set, which is all the page's
callbacks read.
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from ecosim.scenario.loader import LoadedScenario
from ecosim.serve.controls import SEVERITY_RANGE, Control, ShockControl


def lever_input(c: Control, value: Any) -> Any:
    ident = {"type": "lever", "key": c.key}
    if c.kind == "fraction":
        return dcc.Slider(
            id=ident,
            min=0.0,
            max=1.0,
            step=0.01,
            value=float(value),
            marks={0: "0", 0.5: "0.5", 1: "1"},
            updatemode="mouseup",
        )
    if c.kind == "number":
        return dcc.Input(
            id=ident, type="number", min=c.low, value=value, debounce=True, style={"width": "60%"}
        )
    if c.kind in ("names", "choices"):
        return dcc.Checklist(
            id=ident,
            options=[{"label": o, "value": o} for o in c.options],
            value=list(value),
            inline=True,
            inputStyle={"marginRight": "3px", "marginLeft": "8px"},
        )
    if c.kind == "shares":
        # one number per name: a blank leaves that name out of the mapping
        cells: list[Any] = []
        for name in c.options:
            cells += [
                html.Span(name),
                dcc.Input(
                    id={"type": "share", "key": c.key, "name": name},
                    type="number",
                    min=0.0,
                    max=1.0,
                    step=0.05,
                    value=value.get(name),
                    debounce=True,
                    style={"width": "52px"},
                ),
            ]
        return html.Div(cells, className="shares")
    return dcc.Input(
        id=ident, type="text", value=str(value), debounce=True, style={"width": "100%"}
    )


def lever_block(c: Control, value: Any) -> Any:
    dated = " (dated actions may change it)" if c.dated else ""
    return html.Div(
        [
            html.Label(c.name),
            html.Div(f"{c.help}{dated}", className="help"),
            lever_input(c, value),
        ],
        className="control",
        id=f"control-{c.name}",
    )


def shock_block(s: ShockControl, values: dict[str, Any]) -> Any:
    parts: list[Any] = [html.Label(f"{s.id} ({s.type})")]
    if s.start is not None:
        start = values.get(f"{s.key}.start", s.start)
        parts += [
            html.Div("starts on", className="help"),
            dcc.DatePickerSingle(
                id={"type": "shock-date", "key": f"{s.key}.start"},
                date=str(start),
                display_format="YYYY-MM-DD",
            ),
        ]
    else:
        parts.append(html.Div("drawn at a rate: no date to move", className="help"))
    if s.magnitude is not None:
        low, high = values.get(f"{s.key}.severity", s.severity)
        parts += [
            html.Div(
                f"severity: factor on {s.magnitude}, drawn per occurrence in [low, high] "
                "(1: as the scenario gives it)",
                className="help",
            ),
            dcc.RangeSlider(
                id={"type": "shock", "key": f"{s.key}.severity"},
                min=SEVERITY_RANGE[0],
                max=SEVERITY_RANGE[1],
                step=0.05,
                value=[float(low), float(high)],
                marks={0: "0", 1: "1", 2: "2", 3: "3"},
                updatemode="mouseup",
            ),
        ]
    else:
        parts.append(html.Div("its duration is how severe it is", className="help"))
    if s.duration_field is not None:
        days = values.get(f"{s.key}.duration.{s.duration_field}", s.duration_days)
        label = "lasts (days)" if s.duration_field == "days" else "median duration (days)"
        parts += [
            html.Div(label, className="help"),
            dcc.Input(
                id={"type": "shock", "key": f"{s.key}.duration.{s.duration_field}"},
                type="number",
                min=1,
                value=days,
                debounce=True,
            ),
        ]
    else:
        parts.append(html.Div("permanent", className="help"))
    return html.Div(parts, className="control")


def actions_note(loaded: LoadedScenario, region: str) -> str:
    """The scenario's dated actions on ``region``: they override a starting value later."""
    prefix = f"regions.{region}."
    said = [
        f"from {a.date}: {k.removeprefix(prefix)} = {v}"
        for a in loaded.scenario.actions
        for k, v in a.set.items()
        if k.startswith(prefix)
    ]
    if not said:
        return ""
    return f"Dated actions of this scenario for {region}: " + "; ".join(said) + "."
