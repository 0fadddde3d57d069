"""``ecosim schema``: the JSON Schema of scenario files."""

from __future__ import annotations

import json

from ecosim.cli.app import app, out


@app.command(epilog="Example: ecosim schema > ecosim.schema.json")
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor completion)."""
    from ecosim.scenario.models import Scenario

    out.print_json(json.dumps(Scenario.model_json_schema()))
