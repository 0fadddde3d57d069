"""The world steps on its own grid; the recorder only watches.

A run recorded every 1, 7 or 30 days is the same run: state variables are bit-identical at the
dates the grids share, per-period variables lose no work, and the metrics are equal. A daily
run still gives the numbers it gave before the step grid existed
(``tests/data/golden_small.json``). That a sweep's run equals the single run of the same
future is tested with the sweeps (``tests/experiments/test_sweep_run.py``).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import ecosim
from ecosim.core.rng import Streams
from ecosim.engine.simulation import Simulation
from ecosim.observe.dataset import pad_occurrences, to_dataset
from ecosim.observe.recorder import TRACE_VARIABLES, VARIABLES, Recorder
from ecosim.observe.summary import stack_replicates
from tests import golden

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
# four years hold every baseline shock (the last starts in June 2028)
BASE_SET = ["horizon_years=4"]
INTERVALS = (1, 7, 30)

STATE = [n for n, v in VARIABLES.items() if v.kind == "state"]
PERIOD = [n for n, v in VARIABLES.items() if v.kind != "state"]


@pytest.fixture(scope="module")
def by_interval() -> dict[int, xr.Dataset]:
    """The baseline (four years) recorded every 1, 7 and 30 days."""
    return {
        k: ecosim.simulate(
            ecosim.load_scenario(BASELINE, [*BASE_SET, f"recording.interval_days={k}"])
        )
        for k in INTERVALS
    }


def _metrics(ds: xr.Dataset) -> list[str]:
    return [str(n) for n, v in ds.data_vars.items() if "time" not in v.dims]


@pytest.mark.parametrize("k", INTERVALS[1:])
def test_state_is_bit_identical_at_common_dates(by_interval: dict[int, xr.Dataset], k: int) -> None:
    daily, coarse = by_interval[1], by_interval[k]
    assert coarse.sizes["time"] == len(range(0, daily.sizes["time"], k))
    same = daily.isel(time=slice(0, None, k))
    np.testing.assert_array_equal(coarse["day"].values, same["day"].values)
    for name in STATE:
        np.testing.assert_array_equal(coarse[name].values, same[name].values, err_msg=name)
    # the shocks bite in this window: a grid that changed the run would show here
    assert daily["service"].min() < 0.9


@pytest.mark.parametrize("k", INTERVALS[1:])
def test_period_variables_lose_no_work(by_interval: dict[int, xr.Dataset], k: int) -> None:
    daily, coarse = by_interval[1], by_interval[k]
    n = coarse.sizes["time"]
    for name in PERIOD:
        if VARIABLES[name].kind != "sum":
            continue
        # period j of the coarse grid sums the daily periods (j-1)k+1 .. jk
        values = daily[name].values[: (n - 1) * k + 1]
        summed = np.concatenate(
            [values[:1], values[1:].reshape(n - 1, k, *values.shape[1:]).sum(axis=1)]
        )
        np.testing.assert_allclose(coarse[name].values, summed, rtol=1e-12, atol=0, err_msg=name)
    assert float(coarse["compute_served"].sum()) > 0
    assert float(coarse["deliveries"].sum()) > 0


@pytest.mark.parametrize("k", INTERVALS[1:])
def test_metrics_do_not_depend_on_the_interval(by_interval: dict[int, xr.Dataset], k: int) -> None:
    daily, coarse = by_interval[1], by_interval[k]
    assert _metrics(coarse) == _metrics(daily)
    for name in _metrics(daily):
        np.testing.assert_array_equal(coarse[name].values, daily[name].values, err_msg=name)
    assert float(daily["resilience_loss"].sum()) > 0  # something to measure


def test_cell_methods_say_state_or_period(by_interval: dict[int, xr.Dataset]) -> None:
    ds = by_interval[7]
    assert ds["capacity_own"].attrs["cell_methods"] == "time: point"
    assert ds["compute_served"].attrs["cell_methods"] == "time: sum"
    assert ds["queue_wait"].attrs["cell_methods"] == "time: mean"
    assert ds.attrs["step_days"] == 1.0 and ds.attrs["interval_days"] == 7.0


def test_daily_results_are_the_numbers_they_were() -> None:
    want = json.loads(golden.FILE.read_text())
    got = golden.numbers(ecosim.simulate(ecosim.load_scenario(SMALL)))
    assert set(got) >= set(want), set(want) - set(got)
    for name, values in want.items():
        np.testing.assert_allclose(
            np.asarray(got[name]), np.asarray(values), rtol=1e-9, atol=1e-12, err_msg=name
        )


def test_the_recorder_changes_nothing_it_watches() -> None:
    s = ecosim.load_scenario(SMALL, ["horizon_years=0.1"]).scenario
    sim = Simulation(s, Streams(s.seed))
    rec = Recorder(s, sim.world, sim.occurrences)
    sim.env.run(until=20.0)
    sim.sync()
    flows = sim.step.close()
    before = copy.deepcopy(sim.world.__dict__)
    backlog = sim.jobs.backlog()
    rec.observe(rec.every * 2, sim.world, sim.jobs, flows)  # a recording step
    np.testing.assert_array_equal(sim.jobs.backlog(), backlog)
    for key, value in before.items():
        after = sim.world.__dict__[key]
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(after, value, err_msg=key)
        elif isinstance(value, tuple):  # the designers' fitted split: (key, array)
            assert len(after) == len(value), key
            for a, b in zip(after, value, strict=True):
                np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=key)
        elif isinstance(value, list | float | int | str):
            assert after == value, key


def test_the_twins_recorder_keeps_the_trace_as_a_full_one_does() -> None:
    s = ecosim.load_scenario(SMALL, ["horizon_years=0.2", "recording.interval_days=7"]).scenario
    recs = []
    for trace_only in (False, True):
        sim = Simulation(s, Streams(s.seed), with_shocks=False)
        rec = Recorder(s, sim.world, sim.occurrences, trace_only=trace_only)
        sim.run(rec.observe)
        recs.append(rec)
    full, trace = recs
    assert set(trace.buffers) == set(TRACE_VARIABLES)
    for name in TRACE_VARIABLES:
        np.testing.assert_array_equal(trace.trace[name], full.trace[name], err_msg=name)
        np.testing.assert_array_equal(trace.buffers[name], full.buffers[name], err_msg=name)
    ds = to_dataset(trace, s)
    assert set(ds.data_vars) >= set(TRACE_VARIABLES)
    assert "cost" not in ds and "service" in ds
    assert ds.sizes["time"] == len(range(0, full.steps.size, 7))


def test_every_occurrence_is_recorded_and_metrics_read_them() -> None:
    quakes = (
        "shocks=[{id: quakes, type: fab_disruption, suppliers: [tsmc], capacity_loss: 0.5,"
        " rate_per_year: 6, duration: {kind: fixed, days: 10}}]"
    )
    ds = ecosim.simulate(ecosim.load_scenario(SMALL, [quakes]))
    count = int(ds["shock_occurrences"].sel(shock="quakes"))
    assert count >= 2  # six a year over one year: the seed gives several
    starts = ds["shock_start"].sel(shock="quakes").values
    ends = ds["shock_end"].sel(shock="quakes").values
    assert starts.size == count and np.all(np.diff(starts) > 0)
    np.testing.assert_allclose(ends - starts, 10.0)
    # the metrics measure from the first occurrence the run recorded
    assert ds.attrs["main_shock"] == "quakes"
    # replicates with different counts stack, padded with -1
    other = ds.isel(occurrence=slice(0, 1)).copy()
    other["shock_occurrences"] = other["shock_occurrences"] * 0 + 1
    stacked = stack_replicates([other.assign_attrs(replicate=1), ds])
    assert stacked.sizes["occurrence"] == count
    assert (stacked["shock_start"].sel(replicate=1).values[0, 1:] == -1.0).all()


def test_occurrences_are_padded_or_cut_to_a_common_length() -> None:
    ds = xr.Dataset(
        {
            "shock_start": (("shock", "occurrence"), np.array([[3.0, 5.0]])),
            "shock_occurrences": ("shock", np.array([2])),
        }
    )
    padded = pad_occurrences(ds, 4)
    assert padded["shock_start"].values.tolist() == [[3.0, 5.0, -1.0, -1.0]]
    assert pad_occurrences(ds, 1)["shock_start"].values.tolist() == [[3.0]]
    # the true count is kept whatever the room
    assert int(pad_occurrences(ds, 1)["shock_occurrences"][0]) == 2
