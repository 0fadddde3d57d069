"""A layer is named most fragile only where the region's loss is material."""

from __future__ import annotations

import io

import numpy as np
import xarray as xr
from rich.console import Console

import ecosim
from ecosim.cli import tables
from ecosim.observe.metrics import NO_LOSS, most_fragile
from tests.conftest import SMALL


def test_a_region_under_the_threshold_has_no_most_fragile_layer() -> None:
    rl = np.array([[0.1, 0.5, 0.0, 0.2, 0.0], [3.0, 0.5, 0.0, 0.2, 0.0], [0.0] * 5])
    assert list(most_fragile(rl, 1.0)) == [NO_LOSS, "compute", NO_LOSS]
    # with no threshold any loss names its layer
    assert list(most_fragile(rl, 0.0)) == ["data", "compute", NO_LOSS]


def _run(material: float) -> xr.Dataset:
    return ecosim.simulate(
        ecosim.load_scenario(SMALL, [f"recording.material_loss_days={material}"])
    )


def test_the_threshold_is_the_scenarios_setting_and_the_table_says_it() -> None:
    loose, strict = _run(0.0), _run(1.0e6)
    rl = loose["resilience_loss"].sum("layer").values
    assert (rl > 0).any()
    assert set(strict["most_fragile_layer"].values) == {NO_LOSS}
    assert strict.attrs["material_loss_days"] == 1.0e6
    named = loose["most_fragile_layer"].values[rl > 0]
    assert NO_LOSS not in set(named)
    buffer = io.StringIO()
    tables.print_bottleneck(Console(file=buffer, width=80, color_system=None), strict)
    text = buffer.getvalue()
    assert "none (under 1e+06 d)" in text
    assert max(len(line) for line in text.splitlines() if line.startswith(("┃", "│", "┏"))) <= 80
