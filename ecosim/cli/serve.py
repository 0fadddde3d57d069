"""``ecosim serve``: the planner's page, a local web page over the scenarios (see
:mod:`ecosim.serve`).

The web library is imported only when the command runs, so the other commands start without
paying for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecosim.cli.app import app, err, fail_input, out
from ecosim.errors import InputError


@app.command(epilog="Example: ecosim serve scenarios/roadmap/0_today.yaml --region EU --port 8050")
def serve(
    scenario: Annotated[
        Path | None,
        typer.Argument(
            metavar="SCENARIO",
            help="A shipped scenario to open first (in scenarios/ or scenarios/roadmap/).",
        ),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(metavar="REGION", help="The region whose levers the page shows first."),
    ] = None,
    port: Annotated[
        int, typer.Option("--port", "-p", metavar="P", min=0, max=65535, help="Port to listen on.")
    ] = 8050,
    host: Annotated[
        str,
        typer.Option(
            metavar="HOST",
            help="Address to listen on; the loopback by default, so only this machine reaches "
            "the page.",
        ),
    ] = "127.0.0.1",
) -> None:
    """Serve the planner's page: pick a scenario and a region, move levers and shocks, run.

    Each run on the page is an ecosim run (the page shows its ecosim run command line, and
    offers its NetCDF and HTML report); up to four stand side by side, with the gain per unit
    of cost against the starting settings. The page's address carries its settings, so a link
    reproduces them. Everything it loads comes from this machine. Ctrl+C stops it.
    """
    from urllib.parse import urlencode

    from ecosim.serve.catalogue import DEFAULT_SCENARIO, Catalogue

    catalogue = Catalogue()
    try:
        key = catalogue.key_of(scenario) if scenario is not None else None
        if region is not None:
            _, loaded = catalogue.load(key or DEFAULT_SCENARIO)
            if region not in loaded.scenario.regions:
                raise InputError(
                    "--region",
                    [],
                    f"a region of the scenario ({', '.join(loaded.scenario.regions)})",
                    region,
                )
    except InputError as exc:
        catalogue.close()
        raise fail_input(exc) from None

    from ecosim.serve.page import create_app, make_page_server

    try:
        page = create_app(catalogue)
        server = make_page_server(page, host, port)
    except InputError as exc:
        catalogue.close()
        raise fail_input(exc) from None
    wanted = {"scenario": key, "region": region}
    given = {k: v for k, v in wanted.items() if v}
    query = "?" + urlencode(given) if given else ""
    shown = f"[{host}]" if ":" in host else host
    out.print(
        f"The planner's page is at http://{shown}:{server.server_port}/{query} (Ctrl+C stops it).",
        highlight=False,
        soft_wrap=True,
    )
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(
            f"[yellow]warning:[/] listening on {host}: other machines can reach the page and run "
            "simulations on this one",
            highlight=False,
        )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        catalogue.close()
