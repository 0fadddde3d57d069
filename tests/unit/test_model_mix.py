"""The model-source mix responds: a local-model programme, a move to open weights after an
API cut-off, both as fast as the region's specialists allow."""

from __future__ import annotations

import numpy as np

from ecosim import load_scenario
from ecosim.core.rng import Streams
from ecosim.world import layers, talent
from ecosim.world.build import build_world
from ecosim.world.state import World
from tests.conftest import SMALL


def _world(*overrides: str) -> World:
    s = load_scenario(SMALL, list(overrides)).scenario
    return build_world(s, Streams(s.seed))


def _run(w: World, days: int) -> None:
    for _ in range(days):
        layers.step_models(w, 1.0)


def test_an_api_cut_off_moves_use_to_open_weights_as_talent_allows() -> None:
    w = _world()
    tw = w.region_index("TW")
    start = w.model_mix[tw].copy()
    assert start[2] > 0.3
    w.api_access[tw] = 0.0
    _run(w, 180)
    mix = w.model_mix[tw]
    np.testing.assert_allclose(mix.sum(), 1.0)
    assert mix[2] < 0.2 * start[2]  # two time constants: most of it moved
    np.testing.assert_allclose(mix[1], start[1] + start[2] - mix[2])
    np.testing.assert_allclose(mix[0], start[0])
    # with half the specialists it needs, the region moves at half the rate
    short = _world()
    ops, models = talent.staff_needed(short)
    short.talent[tw] = 0.5 * (ops[tw] + models[tw])
    assert talent.sufficiency(short)[tw] == 0.5
    short.api_access[tw] = 0.0
    _run(short, 180)
    moved, moved_short = start[2] - mix[2], start[2] - short.model_mix[tw, 2]
    np.testing.assert_allclose(moved_short, start[2] * (1 - np.exp(-180 * 0.5 / 90.0)), rtol=1e-6)
    assert moved_short < moved
    # the move stays when the API is back
    w.api_access[tw] = 1.0
    _run(w, 30)
    np.testing.assert_allclose(w.model_mix[tw], mix)


def test_a_local_model_programme_moves_use_from_apis_first() -> None:
    w = _world("regions.TW.levers.local_models=0.3")
    tw = w.region_index("TW")
    start = w.model_mix[tw].copy()
    _run(w, 3 * 365)
    mix = w.model_mix[tw]
    np.testing.assert_allclose(mix.sum(), 1.0)
    assert start[0] + 0.1 < mix[0] <= start[0] + 0.3 + 1e-12
    np.testing.assert_allclose(mix[1], start[1])  # the APIs had enough to give
    # the model effort grows with it, and TW's specialists (not grown here) hold it back
    _, models = talent.staff_needed(w)
    assert models[tw] > talent.staff_needed(_world())[1][tw]
    assert talent.sufficiency(w)[tw] < 1.0


def test_open_weights_need_specialists_to_be_worth_their_full_value() -> None:
    w = _world()
    tw = w.region_index("TW")
    full = layers.models_service(w, 0.0)[tw]
    w.talent[tw] = 0.0
    none = layers.models_service(w, 0.0)[tw]
    use = layers.usefulness(w, layers.model_lags(w))[tw]
    share = w.scenario.uncertainties.levers.open_weights_talent_share
    mix = w.model_mix[tw]
    # without specialists: no own models, and open weights at the share that needs none
    np.testing.assert_allclose(full - none, mix[0] * use[0] + mix[1] * share * use[1], rtol=1e-9)
