"""The compiled world step against its readable reference twin.

:meth:`ecosim.world.step.WorldStep._continuous` advances the continuous part after supply in
one compiled call; :meth:`~ecosim.world.step.WorldStep._continuous_reference` runs each part's
own function. They differ only where the compiled call takes the C library's exponentials and
logarithms for numpy's SIMD ones and sums the coupling's small matrix products in a loop for
the BLAS's: a few ulps a step. Run side by side, with no discrete decision flipping, every
recorded series stays within 1e-9 relative of the reference's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from ecosim import load_scenario
from ecosim.api import to_dataset
from ecosim.core.rng import Streams
from ecosim.engine.simulation import Simulation
from ecosim.observe.recorder import Recorder
from tests.conftest import ROOT, SMALL

BASELINE = ROOT / "scenarios" / "baseline.yaml"


def _run(path: Path, overrides: list[str], compiled: bool) -> tuple[xr.Dataset, Simulation]:
    s = load_scenario(path, overrides).scenario
    sim = Simulation(s, Streams(s.seed), compiled_step=compiled)
    rec = Recorder(s, sim.world, sim.occurrences)
    sim.run(rec.observe)
    return to_dataset(rec, s), sim


@pytest.mark.parametrize(
    ("path", "overrides"),
    [
        (SMALL, []),
        # two years: the export control of mid-2026 and the Taiwan disruption's announcement
        (BASELINE, ["horizon_years=2.2"]),
    ],
    ids=["small", "baseline"],
)
def test_compiled_step_follows_its_reference(path: Path, overrides: list[str]) -> None:
    compiled, sim_c = _run(path, overrides, True)
    reference, sim_r = _run(path, overrides, False)
    assert sim_c.step.compiled and not sim_r.step.compiled
    compared = 0
    for name, ref in reference.data_vars.items():
        if ref.dtype.kind != "f":
            continue
        np.testing.assert_allclose(
            compiled[name].values, ref.values, rtol=1e-9, atol=1e-12, err_msg=name
        )
        compared += 1
    assert compared > 50
    # what the step writes, at the end of the run
    w_c, w_r = sim_c.world, sim_r.world
    for attr in ("talent", "model_mix", "open_lag", "portable", "inoperability"):
        np.testing.assert_allclose(getattr(w_c, attr), getattr(w_r, attr), rtol=1e-9, err_msg=attr)
    for attr in ("used_since_review", "cap_since_review"):
        np.testing.assert_allclose(getattr(w_c, attr), getattr(w_r, attr), rtol=1e-9, err_msg=attr)
    # the job queues hold the same jobs
    np.testing.assert_array_equal(sim_c.jobs.pool.n, sim_r.jobs.pool.n)
    np.testing.assert_array_equal(sim_c.jobs.pending.taken, sim_r.jobs.pending.taken)
    np.testing.assert_allclose(sim_c.jobs.capacity, sim_r.jobs.capacity, rtol=1e-9)


def test_the_paths_are_not_one_and_the_same() -> None:
    """The reference is really run: its exponentials are numpy's, so somewhere in a year of the
    small scenario its talent differs from the compiled step's in the last bits."""
    compiled, _ = _run(SMALL, ["horizon_years=1"], True)
    reference, _ = _run(SMALL, ["horizon_years=1"], False)
    assert not np.array_equal(compiled["talent"].values, reference["talent"].values)


def test_a_run_that_federates_takes_the_same_compiled_step() -> None:
    """Every run hands the compiled step arrays of the same types: one that federates (its
    capacity factor computed, not kept) does not make Numba compile it a second time, some
    seconds on a fresh cache."""
    from ecosim.kernels import step as kernels_step

    _run(SMALL, ["horizon_years=0.1"], True)
    before = len(kernels_step.continuous_step.signatures)
    _run(SMALL, ["horizon_years=0.1", "regions.US.levers.federated_learning=0.6"], True)
    assert len(kernels_step.continuous_step.signatures) == before
