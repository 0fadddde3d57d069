"""Which layer is most fragile, as a probability: shares that sum to one, with intervals; and
legal exposure that turns into a loss when a compulsion or a ruling happens."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from ecosim import load_scenario
from ecosim.core.rng import Streams
from ecosim.observe.summary import bottleneck_over_replicates, fragility_in_words, wilson_interval
from ecosim.scenario.models import LAYERS
from ecosim.world import layers
from ecosim.world.build import build_world
from ecosim.world.shocks import impose_active, make_shock
from ecosim.world.state import World
from tests.conftest import SMALL


def _replicates(rl: np.ndarray) -> xr.Dataset:
    """A stack of replicates with resilience losses ``rl`` (replicate, region, layer)."""
    from ecosim.observe.metrics import most_fragile

    n, r, _ = rl.shape
    fragile = np.stack([most_fragile(rl[k], 1.0) for k in range(n)])
    dims = ("replicate", "region", "layer")
    coords = {"replicate": range(n), "region": [f"R{i}" for i in range(r)], "layer": list(LAYERS)}
    return xr.Dataset(
        {
            "resilience_loss": (dims, rl),
            "resilience_loss_direct": (dims, rl),
            "most_fragile_layer": (("replicate", "region"), fragile),
        },
        coords=coords,
        attrs={"material_loss_days": 1.0},
    )


def test_wilson_interval_matches_known_values_and_stays_in_bounds() -> None:
    low, high = wilson_interval(np.array([0, 5, 10]), 10)
    np.testing.assert_allclose(low, [0.0, 0.2366, 0.7225], atol=1e-4)
    np.testing.assert_allclose(high, [0.2775, 0.7634, 1.0], atol=1e-4)


def test_probabilities_of_the_most_fragile_layer_sum_to_one_with_no_loss() -> None:
    rng = np.random.default_rng(3)
    rl = rng.exponential(5.0, size=(40, 3, len(LAYERS)))
    rl[:10, 1] = 0.0  # region R1 loses nothing in a quarter of the futures
    rl[:, 2, LAYERS.index("data")] += 100.0  # data always dominates in R2
    out = bottleneck_over_replicates(_replicates(rl))
    total = out["p_most_fragile"].sum("layer") + out["p_no_loss"]
    np.testing.assert_allclose(total.values, 1.0)
    assert float(out["p_no_loss"].sel(region="R1")) == pytest.approx(0.25)
    assert float(out["p_most_fragile"].sel(region="R2", layer="data")) == 1.0
    ci = out["p_most_fragile_interval"].sel(region="R2", layer="data").values
    assert ci[1] == 1.0 and 0.9 < ci[0] < 1.0  # 40 of 40: certain in these futures, not proof
    words = fragility_in_words(out, 40)
    assert words["R2"] == "most fragile layer over 40 futures: data in 100% (91%-100%)"
    assert "no material loss in 25%" in words["R1"]


# ------------------------------------------------------------------ exposure into loss

COMPULSION = (
    "shocks=[{id: c, type: legal_compulsion, jurisdiction: US, regions: [TW], share: 0.5,"
    " start: 2025-01-20, duration: {kind: fixed, days: 90}}]"
)
RULING = (
    "shocks=[{id: r, type: data_transfer_ruling, regions: [TW], jurisdictions: [US],"
    " start: 2025-01-20, duration: {kind: permanent}}]"
)


def _world(*overrides: str) -> World:
    s = load_scenario(SMALL, list(overrides)).scenario
    return build_world(s, Streams(s.seed))


def _hit(w: World) -> None:
    impose_active(w, [make_shock(w.scenario.shocks[0], w.scenario)], w.t)


def test_a_legal_compulsion_suspends_the_data_and_managed_services_it_reached() -> None:
    w = _world(COMPULSION, "regions.TW.data.replica_share=0.0")
    tw = w.region_index("TW")
    data0, ops0 = layers.data_service(w)[tw], layers.operations_service(w)[tw]
    _hit(w)
    assert layers.data_service(w)[tw] < data0 - 0.05
    assert layers.operations_service(w)[tw] < ops0 - 0.01
    # the jurisdiction's own region is not reached by its own compulsion
    us = w.region_index("US")
    assert not w.compromised[us].any()
    # a locally operated sovereign offering is reached less, so it loses less
    sovereign = _world(
        COMPULSION,
        "regions.TW.data.replica_share=0.0",
        *(f"suppliers.{p}.sovereign_regions=[TW]" for p in ("aws", "azure", "gcp", "oracle")),
    )
    _hit(sovereign)
    assert layers.data_service(sovereign)[tw] > layers.data_service(w)[tw] + 0.02
    # when it ends, the work is trusted again
    impose_active(w, [], w.t)
    assert layers.data_service(w)[tw] == pytest.approx(data0)


def test_a_ruling_stops_the_managed_services_that_handle_data_that_must_stay_local() -> None:
    w = _world(RULING)
    tw = w.region_index("TW")
    before = layers.operations_service(w)[tw]
    _hit(w)
    assert w.params.managed_foreign[tw] > 0
    assert layers.operations_service(w)[tw] < before - 0.01
    # with no data that must stay local, the services go on under contractual clauses
    free = _world(RULING, "regions.TW.data.must_stay_local_share=0.0")
    before = layers.operations_service(free)[tw]
    _hit(free)
    assert layers.operations_service(free)[tw] == pytest.approx(before)
