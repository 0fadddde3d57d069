"""Lead times per designer and per buyer region: bounded, and the buyer's a mix of designers'."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import ecosim

SMALL = Path(__file__).resolve().parents[1] / "scenarios" / "small.yaml"


def test_lead_times_per_designer_and_buyer_are_bounded_and_consistent() -> None:
    loaded = ecosim.load_scenario(SMALL, ["recording.interval_days=7"])
    ds = ecosim.simulate(loaded)
    cap = loaded.scenario.uncertainties.supply.lead_time_cap_days
    designer = ds["lead_time_designer"].values
    buyer = ds["lead_time_buyer"].values
    assert ds["lead_time_designer"].attrs["units"] == "d"
    assert np.all((designer > 0) & (designer <= cap))
    assert np.all((buyer > 0) & (buyer <= cap))
    # a buyer's lead time is a weighted mean of the designers it waits for or may buy from
    low = designer.min(axis=1, keepdims=True)
    assert np.all(buyer >= low - 1e-9)
    # under the export control, China waits for Huawei's Ascend: longer than the US waits
    late = ds["lead_time_buyer"].isel(time=slice(-10, None)).mean("time")
    assert float(late.sel(region="CN")) > float(late.sel(region="US"))
