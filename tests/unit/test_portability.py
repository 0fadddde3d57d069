"""Hardware independence: ported work runs on any designer's chips, the rest waits for its own."""

from __future__ import annotations

import numpy as np
import pytest

from ecosim import load_scenario
from ecosim.core.rng import Streams
from ecosim.world import layers, supply
from ecosim.world.build import build_world
from ecosim.world.state import World
from tests.conftest import BASELINE


@pytest.fixture()
def world() -> World:
    s = load_scenario(BASELINE).scenario
    return build_world(s, Streams(s.seed))


def _designer(w: World, name: str) -> int:
    return list(w.designers).index(w.chip.index(name))


def test_native_designers_run_the_regions_code(world: World) -> None:
    nvidia, amd, tpu, ascend = (
        _designer(world, d) for d in ("nvidia", "amd", "google_tpu", "huawei_ascend")
    )
    # every region's proprietary stack is CUDA: NVIDIA runs it, AMD and Ascend need a port;
    # Google's TPUs have no stack of their own and run their (Google's) buyers' code
    assert np.all(world.native[nvidia] == 1.0)
    assert np.all(world.native[amd] == 0.0) and np.all(world.native[ascend] == 0.0)
    assert np.all(world.native[tpu] == 1.0)


def test_parts_fill_every_designer_in_proportion_to_its_output(world: World) -> None:
    possible = supply.designer_output(world, 0.0)
    inflow = np.zeros_like(possible)
    for r in range(world.n_regions):
        parts = supply.part_splits(world, r, possible)
        np.testing.assert_allclose(parts.sum(axis=1), [world.portable[r], 1 - world.portable[r]])
        # the non-portable part only at designers that run the region's code
        assert np.all(parts[1][world.native[:, r] == 0.0] == 0.0)
        inflow += world.demand[r] * parts.sum(axis=0)
    np.testing.assert_allclose(inflow / inflow.sum(), possible / possible.sum(), rtol=1e-6)


@pytest.mark.parametrize("portable", [0.2, 0.8])
def test_portable_work_moves_to_other_designers_when_one_is_cut_off(
    world: World, portable: float
) -> None:
    eu = world.region_index("EU")
    nvidia, amd = _designer(world, "nvidia"), _designer(world, "amd")
    world.portable[eu] = portable
    before = supply.route_split(world, eu, 0.0)
    np.testing.assert_allclose(before.sum(), 1.0)
    world.allow[world.chip.index("nvidia"), eu] = 0.0  # NVIDIA may not sell to the EU
    after = supply.route_split(world, eu, 0.0)
    assert after[nvidia] == 0.0
    # the ported work all goes to AMD; the rest, which only CUDA chips run, waits
    np.testing.assert_allclose(after.sum(), portable)
    np.testing.assert_allclose(after[amd], portable)


def test_the_portable_share_follows_the_lever_over_the_porting_time(world: World) -> None:
    eu = world.region_index("EU")
    start = float(world.portable[eu])
    tau = float(world.params.porting_days[eu])
    world.params.open_stack[eu] = 0.8
    layers.step_porting(world, tau)
    np.testing.assert_allclose(world.portable[eu], 0.8 + (start - 0.8) * np.exp(-1.0))
    others = np.arange(world.n_regions) != eu
    np.testing.assert_allclose(world.portable[others], world.params.open_stack[others])


def test_designer_dependence_sums_to_one_and_follows_deliveries(world: World) -> None:
    dep = supply.designer_dependence(world)
    np.testing.assert_allclose(dep.sum(axis=1), 1.0)
    eu = world.region_index("EU")
    amd = _designer(world, "amd")
    world.allow[world.chip.index("nvidia"), eu] = 0.0
    world.portable[eu] = 1.0
    supply.place_order(world, "region", eu, eu, 5.0e5, 0.0)
    for day in range(120):
        supply.step_supply(world, float(day), day + 1.0, lambda i: None)
    assert supply.designer_dependence(world)[eu, amd] > dep[eu, amd]
