"""Design expansion is a pure function of the sweep file: tested without running anything."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from ecosim.experiments.design import (
    balanced_block_size,
    blocks,
    expand,
    format_override,
    lever_values,
    shard_blocks,
)
from ecosim.experiments.sweepfile import Range, SweepFile


def _spec(**design: object) -> SweepFile:
    return SweepFile.model_validate(
        {
            "base": "s.yaml",
            "uncertainties": {
                "a.x": {"low": 0.0, "high": 1.0},
                "a.y": {"dist": "normal", "mean": 5.0, "sd": 1.0},
                "a.z": {"dist": "triangular", "low": 0, "mode": 1, "high": 4},
            },
            "levers": {"b.l": [1, 2, 3], "b.m": ["x", "y"]},
            "design": design,
        }
    )


def test_factorial_crosses_levels_and_levers() -> None:
    table = expand(_spec(kind="factorial", levels=3))
    assert table.n_futures == 27 and table.n_combos == 6 and table.n_runs == 162
    assert sorted(set(table.futures[:, 0])) == [0.0, 0.5, 1.0]


def test_runs_are_future_major_and_share_the_future() -> None:
    table = expand(_spec(kind="lhs", n=5, seed=2))
    runs = table.runs()
    assert [r.run for r in runs] == list(range(30))
    assert [r.future for r in runs[:7]] == [0] * 6 + [1]
    assert [r.lever_combo for r in runs[:7]] == [0, 1, 2, 3, 4, 5, 0]
    # every lever combination of a future carries the same uncertainty values
    assert {r.overrides[:3] for r in runs[:6]} == {runs[0].overrides[:3]}
    assert runs[1].overrides[3:] == ("b.l=1", 'b.m="y"')


def test_lhs_is_deterministic_in_its_seed() -> None:
    a, b = expand(_spec(kind="lhs", n=8, seed=4)), expand(_spec(kind="lhs", n=8, seed=4))
    c = expand(_spec(kind="lhs", n=8, seed=5))
    np.testing.assert_array_equal(a.futures, b.futures)
    assert not np.array_equal(a.futures, c.futures)
    # one sample per stratum of each uncertainty
    strata = np.sort(np.floor(a.unit * 8), axis=0)
    np.testing.assert_array_equal(strata, np.tile(np.arange(8.0)[:, None], (1, 3)))


def test_sobol_needs_n_times_2d_plus_2_futures() -> None:
    assert expand(_spec(kind="sobol", n=8)).n_futures == 8 * (2 * 3 + 2)
    assert expand(_spec(kind="sobol", n=8, second_order=False)).n_futures == 8 * (3 + 2)


def test_morris_has_trajectories_of_d_plus_1() -> None:
    table = expand(_spec(kind="morris", n=4, levels=4, seed=1))
    assert table.n_futures == 4 * (3 + 1)


def test_distributions_map_the_unit_sample() -> None:
    table = expand(_spec(kind="lhs", n=200, seed=0))
    assert table.futures[:, 0].min() >= 0.0 and table.futures[:, 0].max() <= 1.0
    assert abs(table.futures[:, 1].mean() - 5.0) < 0.1
    assert table.futures[:, 2].min() >= 0 and table.futures[:, 2].max() <= 4


@pytest.mark.parametrize("value", [0.1, 1e-05, 2.5e20, -3.0, 7, True, "grade_a", 1 / 3])
def test_overrides_read_back_exactly(value: object) -> None:
    key, _, raw = format_override("k", value).partition("=")  # type: ignore[arg-type]
    assert key == "k"
    back = yaml.safe_load(raw)
    assert back == value and type(back) is type(value)


def test_lever_ranges_give_levels() -> None:
    assert lever_values(Range(low=0.0, high=1.0, levels=3)) == [0.0, 0.5, 1.0]
    assert lever_values([1, "a"]) == [1, "a"]


def test_shards_are_contiguous_and_cover_every_block_once() -> None:
    assert [list(b) for b in blocks(7, 3)] == [[0, 1, 2], [3, 4, 5], [6]]
    for n_blocks in (1, 5, 16):
        for n_shards in (1, 2, 3, 7):
            got = [list(shard_blocks(n_blocks, i, n_shards)) for i in range(n_shards)]
            assert [b for shard in got for b in shard] == list(range(n_blocks))


def _busiest(n_runs: int, workers: int, size: int) -> int:
    # each block, in order, to a worker that has the fewest runs so far
    loads = [0] * workers
    for block in blocks(n_runs, size):
        loads[loads.index(min(loads))] += len(block)
    return max(loads)


def test_balanced_blocks_let_the_workers_end_together() -> None:
    # 60 runs in blocks of 7 left one of two workers the last block alone
    assert _busiest(60, 2, 7) == 32 and balanced_block_size(60, 2, 8) == 6
    assert balanced_block_size(80, 2, 10) == 10 and balanced_block_size(80, 2, 6) == 5
    assert balanced_block_size(10, 1, 3) == 3 and balanced_block_size(3, 4, 9) == 2
    for n_runs in (1, 7, 60, 97, 200, 1001):
        for workers in (1, 2, 3, 8):
            for largest in (1, 2, 5, 13, 40):
                size = balanced_block_size(n_runs, workers, largest)
                top = min(largest, n_runs)
                assert (top + 1) // 2 <= size <= top
                # no size of the range leaves the busiest worker fewer runs
                best = min(_busiest(n_runs, workers, k) for k in range((top + 1) // 2, top + 1))
                assert _busiest(n_runs, workers, size) == (best if workers > 1 else n_runs)


def test_no_uncertainties_is_one_future() -> None:
    spec = SweepFile.model_validate({"base": "s.yaml", "levers": {"a": [1, 2]}})
    table = expand(spec)
    assert (table.n_futures, table.n_runs) == (1, 2)
    assert table.run(1).overrides == ("a=2",)
