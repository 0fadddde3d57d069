"""The planner's page: a Dash app over a :class:`~ecosim.serve.catalogue.Catalogue` and a
:class:`~ecosim.serve.jobs.Board` of runs.

The planner picks a scenario (shipped or uploaded) and a region, moves the region's levers and
the shocks' dates and severities, and runs; each run shows its bottleneck matrix, service per
layer, resilience loss, cost breakdown and gain per unit of cost against the starting
settings, with its NetCDF, its HTML report and the equivalent ``ecosim run`` command. Up to
four runs stand side by side, and a table compares them with the first of them (the roadmap
question: run the portfolios of ``scenarios/roadmap/`` one after another).

Every setting is a ``--set`` flag (:mod:`ecosim.serve.controls`); the page keeps the flags in
its address (``?scenario=...&region=...&set=...``), so a link opens the same settings.
"""

from __future__ import annotations

import functools
import io
import tempfile
from pathlib import Path
from typing import Any

import dash
from dash import ALL, Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from flask import Response, abort, send_file
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from ecosim.errors import InputError
from ecosim.scenario.loader import LoadedScenario
from ecosim.serve import cards, forms
from ecosim.serve.catalogue import DEFAULT_SCENARIO, Catalogue
from ecosim.serve.controls import (
    MAX_REPLICATES,
    Settings,
    control_values,
    lever_controls,
    lever_flags,
    read_flags,
    shock_controls,
    shock_flags,
)
from ecosim.serve.jobs import Board, command_line

#: How often the page asks for the progress of its runs (milliseconds).
POLL_MS = 500

_CSS = """
body { font-family: system-ui, sans-serif; margin: 0; color: #222; background: #f6f7f9; }
header { background: #1b3a5c; color: white; padding: 10px 18px; }
header h1 { font-size: 20px; margin: 0; }
header p { margin: 4px 0 0; font-size: 13px; opacity: 0.85; }
.page { display: flex; gap: 14px; padding: 14px; align-items: flex-start; }
.settings { flex: 0 0 370px; background: white; padding: 12px; border-radius: 6px;
  box-shadow: 0 1px 3px rgba(0,0,0,0.12); max-height: calc(100vh - 110px); overflow-y: auto; }
.results { flex: 1; min-width: 0; }
.settings h2, .results h2 { font-size: 15px; margin: 12px 0 6px; }
.control { margin: 8px 0 12px; }
.control label { font-weight: 600; font-size: 13px; display: block; }
.control .help { font-size: 12px; color: #555; margin: 1px 0 3px; }
.shares { display: grid; grid-template-columns: repeat(4, 30px 54px); gap: 2px 4px;
  font-size: 12px; align-items: center; }
.row { display: flex; gap: 10px; align-items: center; }
.buttons button { margin-right: 8px; padding: 6px 16px; font-size: 14px; cursor: pointer; }
#run { background: #1b6ca8; color: white; border: none; border-radius: 4px; }
.error { color: #b00020; font-size: 13px; white-space: pre-wrap; }
.note { font-size: 12px; color: #555; }
.runs { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-start; }
.card { flex: 1 1 440px; min-width: 0; background: white; padding: 10px; border-radius: 6px;
  box-shadow: 0 1px 3px rgba(0,0,0,0.12); }
.card h3 { font-size: 14px; margin: 0 0 6px; overflow-wrap: anywhere; }
.wide { overflow-x: auto; }
code.command { display: block; font-size: 11px; background: #f0f2f5; padding: 6px;
  white-space: pre-wrap; word-break: break-all; }
table.matrix, table.side { border-collapse: collapse; font-size: 12px; margin: 6px 0; }
table.matrix td, table.matrix th, table.side td, table.side th { border: 1px solid #ddd;
  padding: 2px 6px; text-align: right; }
table.matrix th:first-child, table.side th:first-child { text-align: left; }
progress { width: 100%; }
"""


def _cached_loader(catalogue: Catalogue) -> Any:
    @functools.lru_cache(maxsize=32)
    def starting(key: str) -> LoadedScenario:
        """The scenario ``key`` as it starts (no flags): the controls' starting values."""
        return catalogue.load(key)[1]

    return starting


# --------------------------------------------------------------------------- controls


# --------------------------------------------------------------------------- the app


def create_app(catalogue: Catalogue | None = None, default: str = DEFAULT_SCENARIO) -> Dash:
    """The page as a Dash app (its Flask server is ``app.server``).

    Parameters
    ----------
    catalogue
        The scenarios it may open; the shipped ones by default.
    default
        The key of the scenario it opens on when its address names none.
    """
    catalogue = catalogue or Catalogue()
    board = Board(catalogue)
    starting = _cached_loader(catalogue)
    if default not in catalogue.shipped:
        raise InputError("scenario", [], "a shipped scenario", repr(default))
    app = Dash(
        __name__,
        title="ecosim: a planner's page",
        serve_locally=True,  # the browser loads nothing from a CDN: CI has no internet
        update_title="",  # the title stays put while the page polls its runs
        suppress_callback_exceptions=True,
    )
    app.index_string = app.index_string.replace("{%css%}", "{%css%}<style>" + _CSS + "</style>")
    app.layout = html.Div(
        [
            dcc.Location(id="url", refresh=False),
            dcc.Store(id="address"),
            dcc.Store(id="written"),
            dcc.Store(id="version"),
            dcc.Interval(id="poll", interval=POLL_MS),
            html.Header(
                [
                    html.H1("ecosim: levers in, bottleneck and cost out"),
                    html.P(
                        "Pick a scenario and a region, move levers and shocks, run. Each run "
                        "is an ecosim run: its command line, NetCDF and report are below it."
                    ),
                ]
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.H2("Scenario"),
                            dcc.Dropdown(id="scenario", clearable=False, options=[]),
                            dcc.Upload(
                                html.Button("Upload a scenario file"),
                                id="upload",
                                accept=".yaml,.yml",
                                style={"marginTop": "6px"},
                            ),
                            html.Div(id="upload-message", className="note"),
                            html.Div(id="scenario-error", className="error"),
                            html.H2("Region"),
                            dcc.Dropdown(id="region", clearable=False, options=[]),
                            html.Div(
                                [
                                    html.Label("seed "),
                                    dcc.Input(
                                        id="seed",
                                        type="number",
                                        min=0,
                                        step=1,
                                        debounce=True,
                                        style={"width": "90px"},
                                    ),
                                    html.Label(" replicates "),
                                    dcc.Input(
                                        id="replicates",
                                        type="number",
                                        min=1,
                                        max=MAX_REPLICATES,
                                        step=1,
                                        value=1,
                                        debounce=True,
                                        style={"width": "60px"},
                                    ),
                                ],
                                className="row control",
                            ),
                            html.H2("Levers"),
                            html.Div(id="actions-note", className="note"),
                            html.Div(id="levers"),
                            html.H2("Shocks"),
                            html.Div(id="shocks"),
                            html.H2("Other settings"),
                            html.Div(
                                "--set flags, one a line (KEY.PATH=VALUE), e.g. horizon_years=3",
                                className="help note",
                            ),
                            dcc.Textarea(
                                id="other-flags", style={"width": "100%", "height": "60px"}
                            ),
                        ],
                        className="settings",
                    ),
                    html.Div(
                        [
                            html.Div(
                                [
                                    html.Button("Run", id="run"),
                                    html.Button("Stop", id="stop"),
                                ],
                                className="buttons",
                            ),
                            html.Div(id="run-error", className="error"),
                            html.Div(
                                [
                                    html.Span("Command line of these settings: ", className="note"),
                                    html.Code(id="command", className="command"),
                                ]
                            ),
                            html.Div(id="status", className="note"),
                            html.H2("Side by side"),
                            html.Div(id="side-by-side"),
                            html.H2("Runs (up to four; the oldest finished one makes room)"),
                            html.Div(id="runs", className="runs"),
                        ],
                        className="results",
                    ),
                ],
                className="page",
            ),
        ]
    )
    _callbacks(app, catalogue, board, starting, default)
    _downloads(app, board)
    app.server.config["ecosim_board"] = board
    return app


def _callbacks(app: Dash, catalogue: Catalogue, board: Board, starting: Any, default: str) -> None:
    def options() -> list[dict[str, str]]:
        out = [{"label": k, "value": k} for k in catalogue.shipped]
        out += [{"label": f"uploaded: {e.shown}", "value": k} for k, e in catalogue.uploads.items()]
        return out

    @app.callback(
        Output("scenario", "options"),
        Output("scenario", "value"),
        Output("seed", "value"),
        Output("replicates", "value"),
        Output("address", "data"),
        Output("scenario-error", "children"),
        Input("url", "search"),
    )
    def open_address(search: str | None) -> tuple[Any, ...]:
        # the address as the page opens (or on back and forward): what a shared link carries
        try:
            settings = Settings.from_query(search or "", default)
            catalogue.entry(settings.scenario)
            error = ""
        except InputError as exc:
            settings, error = Settings(default), f"error: {exc.message}"
        return (
            options(),
            settings.scenario,
            settings.seed,
            settings.replicates,
            _to_data(settings),
            error,
        )

    @app.callback(
        Output("scenario", "options", allow_duplicate=True),
        Output("scenario", "value", allow_duplicate=True),
        Output("upload-message", "children"),
        Input("upload", "contents"),
        State("upload", "filename"),
        prevent_initial_call=True,
    )
    def upload(contents: str | None, filename: str | None) -> tuple[Any, ...]:
        import base64

        if not contents:
            raise PreventUpdate
        data = base64.b64decode(contents.partition(",")[2])
        try:
            entry = catalogue.upload(filename or "upload.yaml", data)
        except InputError as exc:
            return (
                dash.no_update,
                dash.no_update,
                html.Span(f"error: {exc.message}", className="error", id="upload-error"),
            )
        return options(), entry.key, f"uploaded {entry.shown}: ok"

    @app.callback(
        Output("region", "options"),
        Output("region", "value"),
        Output("levers", "children"),
        Output("shocks", "children"),
        Output("other-flags", "value"),
        Output("actions-note", "children"),
        Output("scenario-error", "children", allow_duplicate=True),
        Input("scenario", "value"),
        Input("region", "value"),
        State("address", "data"),
        prevent_initial_call=True,
    )
    def render_controls(key: str | None, region: str | None, data: Any) -> tuple[Any, ...]:
        if not key:
            raise PreventUpdate
        try:
            loaded = starting(key)
        except InputError as exc:
            return [], None, [], [], "", "", f"error: {exc.message}"
        scenario = loaded.scenario
        settings = _from_data(data)
        # the flags in force carry over when the scenario stays (a link opened, another region
        # picked); another scenario starts from its own levers and shocks, keeping the rest
        # (a shorter horizon, say)
        flags = settings.flags if settings else []
        if settings and settings.scenario != key:
            flags = [f for f in flags if not f.startswith(("regions.", "shocks."))]
        if region not in scenario.regions:
            wanted = settings.region if settings and settings.scenario == key else ""
            region = wanted if wanted in scenario.regions else _first_region(loaded)
        assert region is not None
        controls = lever_controls(scenario, region)
        shocks = shock_controls(scenario)
        values, rest = control_values(flags, controls, shocks)
        return (
            [{"label": r, "value": r} for r in scenario.regions],
            region,
            [forms.lever_block(c, values.get(c.key, c.start)) for c in controls],
            [forms.shock_block(s, values) for s in shocks] or html.Div("none", className="note"),
            "\n".join(rest),
            forms.actions_note(loaded, region),
            "",
        )

    @app.callback(
        Output("address", "data", allow_duplicate=True),
        Output("command", "children"),
        Output("run-error", "children", allow_duplicate=True),
        Input({"type": "lever", "key": ALL}, "value"),
        Input({"type": "share", "key": ALL, "name": ALL}, "value"),
        Input({"type": "shock", "key": ALL}, "value"),
        Input({"type": "shock-date", "key": ALL}, "date"),
        Input("seed", "value"),
        Input("replicates", "value"),
        Input("other-flags", "value"),
        State("scenario", "value"),
        State("region", "value"),
        prevent_initial_call=True,
    )
    def settings_changed(
        levers: list[Any],
        shares: list[Any],
        shocks: list[Any],
        dates: list[Any],
        seed: Any,
        replicates: Any,
        other: str | None,
        key: str | None,
        region: str | None,
    ) -> tuple[Any, ...]:
        if not key or not region:
            raise PreventUpdate
        ctx = dash.callback_context
        values: dict[str, Any] = {}
        for spec, value in zip(ctx.inputs_list[0], levers, strict=True):
            values[spec["id"]["key"]] = value
        mappings: dict[str, dict[str, Any]] = {}
        for spec, value in zip(ctx.inputs_list[1], shares, strict=True):
            mapping = mappings.setdefault(spec["id"]["key"], {})
            if value is not None and value != "":
                mapping[spec["id"]["name"]] = value
        values.update(mappings)
        shock_values = {
            spec["id"]["key"]: value
            for i, given in ((2, shocks), (3, dates))
            for spec, value in zip(ctx.inputs_list[i], given, strict=True)
        }
        try:
            loaded = starting(key)
            if region not in loaded.scenario.regions:
                raise PreventUpdate
            flags = [
                *lever_flags(lever_controls(loaded.scenario, region), values),
                *shock_flags(shock_controls(loaded.scenario), shock_values),
                *read_flags(other or ""),
            ]
            settings = Settings(
                key,
                region,
                int(seed) if seed not in (None, "") else None,
                int(replicates) if replicates else 1,
                flags,
            )
        except InputError as exc:
            return dash.no_update, dash.no_update, f"error: {exc.message}"
        return _to_data(settings), command_line(catalogue.entry(key), settings), ""

    # the address follows the settings without a reload, so a link reproduces them
    app.clientside_callback(
        """
        function(data) {
            if (!data) { return window.dash_clientside.no_update; }
            const params = new URLSearchParams();
            params.append("scenario", data.scenario);
            if (data.region) { params.append("region", data.region); }
            if (data.seed !== null && data.seed !== undefined) {
                params.append("seed", String(data.seed));
            }
            if (data.replicates && data.replicates !== 1) {
                params.append("replicates", String(data.replicates));
            }
            for (const f of data.flags) { params.append("set", f); }
            const search = "?" + params.toString();
            if (window.location.search !== search) {
                window.history.replaceState(null, "", window.location.pathname + search);
            }
            return search;
        }
        """,
        Output("written", "data"),
        Input("address", "data"),
    )

    @app.callback(
        Output("run-error", "children"),
        Output("version", "data", allow_duplicate=True),
        Input("run", "n_clicks"),
        State("address", "data"),
        prevent_initial_call=True,
    )
    def run(clicks: int | None, data: Any) -> tuple[Any, ...]:
        settings = _from_data(data)
        if not clicks or settings is None:
            raise PreventUpdate
        try:
            board.start(settings)
        except InputError as exc:
            return f"error: {exc.message}", dash.no_update
        return "", _version(board)

    @app.callback(
        Output("status", "children", allow_duplicate=True),
        Input("stop", "n_clicks"),
        Input({"type": "stop", "job": ALL}, "n_clicks"),
        Input({"type": "drop", "job": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def stop_or_drop(stop_all: int | None, stops: list[Any], drops: list[Any]) -> str:
        trigger = dash.callback_context.triggered_id
        if trigger is None:
            raise PreventUpdate
        if trigger == "stop":
            if not stop_all:
                raise PreventUpdate
            for job in board.kept():
                if job.state == "running":
                    board.stop(job.id)
            return "asked the running runs to stop"
        clicked = dash.callback_context.triggered[0]["value"]
        if not clicked:
            raise PreventUpdate
        if trigger["type"] == "stop":
            board.stop(int(trigger["job"]))
            return f"asked run {trigger['job']} to stop"
        board.drop(int(trigger["job"]))
        return f"removed run {trigger['job']}"

    @app.callback(
        Output("version", "data"),
        Output("status", "children"),
        Input("poll", "n_intervals"),
        State("version", "data"),
    )
    def poll(_: int | None, seen: Any) -> tuple[Any, ...]:
        running = [j for j in board.kept() if j.state == "running"]
        status = (
            "; ".join(f"run {j.id}: {j.fraction:.0%} {j.doing}" for j in running)
            if running
            else "no run in progress"
        )
        version = _version(board)
        return (version if version != seen else dash.no_update), status

    @app.callback(
        Output("runs", "children"),
        Output("side-by-side", "children"),
        Input("version", "data"),
    )
    def show_runs(_: Any) -> tuple[Any, ...]:
        jobs = board.kept()
        return [cards.card(j) for j in jobs], cards.side_by_side(jobs)


def _version(board: Board) -> list[Any]:
    """What changes the cards: each job's state, and its progress in tenths while it runs."""
    return [[j.id, j.state, round(j.fraction, 1)] for j in board.kept()]


def _first_region(loaded: LoadedScenario) -> str:
    """The region the page shows first: the one the scenario's dated actions move, else the
    first one (the roadmap portfolios move the EU)."""
    for action in loaded.scenario.actions:
        for key in action.set:
            parts = key.split(".")
            if len(parts) > 1 and parts[0] == "regions" and parts[1] in loaded.scenario.regions:
                return parts[1]
    return next(iter(loaded.scenario.regions))


def _to_data(settings: Settings) -> dict[str, Any]:
    return {
        "scenario": settings.scenario,
        "region": settings.region,
        "seed": settings.seed,
        "replicates": settings.replicates,
        "flags": list(settings.flags),
    }


def _from_data(data: Any) -> Settings | None:
    if not isinstance(data, dict) or "scenario" not in data:
        return None
    return Settings(
        str(data["scenario"]),
        str(data.get("region") or ""),
        data.get("seed"),
        int(data.get("replicates") or 1),
        [str(f) for f in data.get("flags") or []],
    )


def _downloads(app: Dash, board: Board) -> None:
    @app.server.route("/download/<int:job_id>/<kind>")
    def download(job_id: int, kind: str) -> Any:
        job = board.jobs.get(job_id)
        if job is None or job.result is None or kind not in ("nc", "html"):
            abort(404)
        assert job.result is not None and job.loaded is not None
        name = f"{job.loaded.scenario.name}_run{job.id}"
        if kind == "html":
            from ecosim.report.html import build_report

            return Response(
                build_report(job.result),
                mimetype="text/html",
                headers={"Content-Disposition": f'attachment; filename="{name}.html"'},
            )
        from ecosim.observe.dataset import write_netcdf

        with tempfile.TemporaryDirectory(prefix="ecosim-page-") as folder:
            path = Path(folder) / f"{name}.nc"
            write_netcdf(job.result, path)
            data = io.BytesIO(path.read_bytes())
        return send_file(
            data, mimetype="application/x-netcdf", as_attachment=True, download_name=f"{name}.nc"
        )


class _QuietHandler(WSGIRequestHandler):
    """Requests served without a log line each: the page polls its runs twice a second."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log only failed requests (the server's errors are logged as usual)."""
        if str(code).startswith("5"):
            super().log_request(code, size)


def make_page_server(app: Dash, host: str, port: int) -> BaseWSGIServer:
    """A threaded HTTP server for the page (bound, not yet serving).

    Raises
    ------
    InputError
        When the address cannot be bound (the port is taken).
    """
    try:
        return make_server(host, port, app.server, threaded=True, request_handler=_QuietHandler)
    except OSError as exc:
        raise InputError(
            "--port", [], "a free port on the host", f"{host}:{port}: {exc.strerror or exc}"
        ) from None
