"""Layer-priority and alliance tables fit 80 columns with nine regions, and say their terms."""

from __future__ import annotations

import io

import numpy as np
import xarray as xr
from rich.console import Console

from ecosim.cli import tables
from ecosim.scenario.models import LAYERS

REGIONS = ["US", "EU", "CN", "JP", "KR", "TW", "UK", "IN", "RoW"]


def _render(draw, ds: xr.Dataset) -> str:  # type: ignore[no-untyped-def]
    buffer = io.StringIO()
    draw(Console(file=buffer, width=80, color_system=None), ds)
    return buffer.getvalue()


def _fits(text: str) -> None:
    assert max(len(line) for line in text.splitlines()) <= 80, text
    assert "…" not in text


def test_the_layer_priority_tables_fit_80_columns() -> None:
    rng = np.random.default_rng(1)
    shape = (len(REGIONS), len(LAYERS))
    ds = xr.Dataset(
        {
            "sovereignty_value": (("region", "layer"), rng.uniform(0, 900, shape)),
            "sovereignty_cost": (("region", "layer"), rng.uniform(-2e10, 9e10, shape)),
            "sovereignty_value_per_cost": (("region", "layer"), rng.uniform(0, 50, shape)),
            "sovereignty_value_per_cost_flag": (("region", "layer"), np.zeros(shape, np.int8)),
            "rl_baseline": (("region",), rng.uniform(0, 2000, len(REGIONS))),
        },
        coords={"region": REGIONS, "layer": list(LAYERS)},
        attrs={"replicates": 2, "shocks": "us_chip_controls, taiwan_fab"},
    )
    text = _render(tables.print_sovereignty, ds)
    _fits(text)
    for region in REGIONS:
        assert f"{region}: " in text  # its top layer, named
    assert "ops = operations" in " ".join(text.split())


def test_the_alliance_table_fits_80_columns() -> None:
    rng = np.random.default_rng(2)
    ds = xr.Dataset(
        {
            "alliance_gain": (("region", "partner"), rng.uniform(0, 999, (9, 9))),
            "rl_baseline": (("region",), rng.uniform(0, 2000, 9)),
        },
        coords={"region": REGIONS, "partner": REGIONS},
        attrs={"replicates": 1, "shocks": "us_cloud_withdrawal_eu"},
    )
    text = _render(tables.print_alliances, ds)
    _fits(text)
    cells = [line.split() for line in text.splitlines() if line.split()[:1] == ["US"]]
    assert cells and cells[0][2] == "-"  # the US is no partner of itself (after RL)
    assert "RL:" in text
