"""An episode with ``replicates: N`` is compared on the mean path of N replicates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from ecosim import load_scenario, simulate
from ecosim.calibrate.episodes import load_episode, run_episode
from ecosim.errors import InputError
from tests.conftest import SMALL

EXPR = "lead_time[good=accelerator] | weeks"


def _episode(tmp_path: Path, replicates: int) -> Path:
    d = tmp_path / f"ep{replicates}"
    d.mkdir()
    (d / "scenario.yaml").write_text(
        f"extends: {SMALL}\nname: ep\nhorizon_years: 0.5\nrecording: {{twin: false}}\n",
        encoding="utf-8",
    )
    check = {
        "kind": "point",
        "date": "2025-04-01",
        "observed": 10.0,
        "fact": "synthetic",
        "tolerance": {"abs": 1000.0},
        "reason": "any value: the test reads the simulated side",
    }
    spec = {
        "title": "replicates",
        "replicates": replicates,
        "series": [{"id": "lt", "simulated": EXPR, "units": "weeks", "checks": [check]}],
    }
    (d / "episode.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return d


def test_the_mean_path_of_the_replicates_is_compared(tmp_path: Path) -> None:
    ep = load_episode(_episode(tmp_path, 3))
    result, ds = run_episode(ep)
    assert ds is not None and ds.attrs["replicates"] == 3
    loaded = load_scenario(ep.scenario_path)
    runs = [simulate(loaded, replicate=k) for k in range(3)]
    for name in ("lead_time", "demand", "deliveries", "service"):
        expected = np.mean([r[name].values for r in runs], axis=0)
        np.testing.assert_allclose(ds[name].values, expected, rtol=1e-12, atol=1e-12)
    # the replicates differ, so the mean is not any one of them
    assert not np.array_equal(runs[0]["backlog"].values, runs[1]["backlog"].values)
    one, _ = run_episode(load_episode(_episode(tmp_path, 1)))
    assert one.checks[0].simulated != result.checks[0].simulated


def test_the_replicate_count_is_validated(tmp_path: Path) -> None:
    d = _episode(tmp_path, 1)
    spec = yaml.safe_load((d / "episode.yaml").read_text(encoding="utf-8"))
    spec["replicates"] = 0
    (d / "episode.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_episode(d)
    assert exc.value.path == ["replicates"]
