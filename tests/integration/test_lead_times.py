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


def test_without_shocks_no_quote_reaches_the_cap_or_jumps_twofold_in_a_month() -> None:
    # Measured on the realised output, a designer that made nothing for a day quoted the
    # 730-day cap, and from 2028 the no-shock baseline flipped between ~120 days and the cap.
    baseline = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
    loaded = ecosim.load_scenario(
        baseline,
        [
            "shocks=[]",
            "horizon_years=6",
            "recording.interval_days=30",
            "recording.twin=false",
            "uncertainties.jobs.arrivals_scale=0.15",
        ],
    )
    ds = ecosim.simulate(loaded)
    cap = loaded.scenario.uncertainties.supply.lead_time_cap_days
    quotes = ds["lead_time_designer"].transpose("time", "supplier").values
    assert quotes.max() < 0.5 * cap
    assert not ds["lead_time_capped"].values.any()
    # month to month from the first month: the run starts with the order book warm
    ratio = np.maximum(quotes[1:] / quotes[:-1], quotes[:-1] / quotes[1:])
    assert ratio.max() < 2.0, f"largest month-to-month change x{ratio.max():.2f}"
    headline = ds["lead_time"].sel(good="accelerator").values
    assert np.max(np.maximum(headline[1:] / headline[:-1], headline[:-1] / headline[1:])) < 2.0
