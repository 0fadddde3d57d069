"""Cloud providers serve only the regions where they operate."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import ecosim

SMALL = Path(__file__).resolve().parents[1] / "scenarios" / "small.yaml"


def test_no_provider_ever_serves_a_region_it_does_not_operate_in() -> None:
    ds = ecosim.simulate(ecosim.load_scenario(SMALL, ["recording.interval_days=7"]))
    present = ds["provider_present"].transpose("region", "provider").values
    assert present[:, -1].all()  # the outside option is everywhere
    # Chinese providers operate in China only, of these three regions; AWS in all three
    assert present[list(ds.region.values).index("CN")].sum() > 3
    assert not ds["provider_present"].sel(region="US", provider="alibaba")
    assert bool(ds["provider_present"].sel(region="CN", provider="aws"))
    shares = ds["market_share"].transpose("time", "region", "provider").values
    assert np.all(shares[:, ~present] == 0.0)
    # the market moves at all, so an absent provider had the chance to gain and did not
    assert np.abs(np.diff(shares, axis=0)).max() > 0.01
