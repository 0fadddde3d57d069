"""A run asked for some series records only those when the metrics' trace holds them all."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from ecosim import load_scenario, simulate
from ecosim.observe.recorder import TRACE_VARIABLES
from tests.conftest import SMALL


def _series(ds: xr.Dataset) -> set[str]:
    return {str(n) for n, v in ds.data_vars.items() if "time" in v.dims}


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype.kind == "f":
        return a.shape == b.shape and bool(np.array_equal(a.view(np.uint8), b.view(np.uint8)))
    return bool(np.array_equal(a, b))


@pytest.mark.parametrize("series", [(), ("service",), TRACE_VARIABLES])
def test_metrics_alone_are_the_full_runs_metrics_to_the_bit(small_run, series) -> None:  # type: ignore[no-untyped-def]
    lean = simulate(load_scenario(SMALL), series=series)
    # the trace's series and the twin's service, nothing else of the recording
    assert _series(lean) == {*TRACE_VARIABLES, "service_twin"}
    assert len(_series(small_run)) > len(_series(lean)) + 20
    for name, var in small_run.data_vars.items():
        if "time" in var.dims and name not in lean:
            continue
        assert _same_bits(var.values, lean[name].values), name
    assert set(small_run.data_vars) - _series(small_run) == set(lean.data_vars) - _series(lean)


def test_a_series_beyond_the_trace_keeps_every_series(small_run) -> None:  # type: ignore[no-untyped-def]
    full = simulate(load_scenario(SMALL), series=("service", "cost"))
    assert _series(full) == _series(small_run)
