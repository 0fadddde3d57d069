"""Layer coupling: exact for any step, stable, clipped, and no loss counted twice."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from ecosim import load_scenario
from ecosim.scenario.models import LAYERS
from ecosim.world.coupling import CouplingModel
from tests.conftest import SMALL


@pytest.fixture(scope="module")
def model() -> CouplingModel:
    return CouplingModel(load_scenario(SMALL).scenario.uncertainties.coupling)


@pytest.mark.parametrize("h", [1e-4, 0.04, 1.0, 17.3, 400.0])
def test_propagator_equals_matrix_exponential(model: CouplingModel, h: float) -> None:
    np.testing.assert_allclose(model.propagator(h), scipy.linalg.expm(-model.m * h), atol=1e-12)


def test_one_long_step_equals_many_short_ones(model: CouplingModel) -> None:
    rng = np.random.default_rng(1)
    q0 = rng.random((4, len(LAYERS))) * 0.5
    c = rng.random((4, len(LAYERS))) * 0.3
    one = model.step(q0, c, 30.0)
    many = q0
    for _ in range(720):
        many = model.step(many, c, 30.0 / 720)
    np.testing.assert_allclose(one, many, atol=1e-10)


def test_any_step_is_stable_and_reaches_the_target(model: CouplingModel) -> None:
    c = np.full((2, len(LAYERS)), 0.2)
    q = model.step(np.zeros((2, len(LAYERS))), c, 1e6)
    np.testing.assert_allclose(q, model.target(c), atol=1e-12)
    assert np.all((q >= 0) & (q <= 1))


def test_target_is_clipped_to_one(model: CouplingModel) -> None:
    q = model.step(np.zeros((1, len(LAYERS))), np.ones((1, len(LAYERS))), 1e4)
    assert q.max() <= 1.0


def test_a_pure_compute_loss_reaches_models_later_and_smaller(model: CouplingModel) -> None:
    compute, models = LAYERS.index("compute"), LAYERS.index("models")
    c = np.zeros((1, len(LAYERS)))
    c[0, compute] = 0.4
    q = np.zeros((1, len(LAYERS)))
    series = []
    for _ in range(60):
        q = model.step(q, c, 1.0)
        series.append(q[0].copy())
    arr = np.array(series)
    assert arr[:, models].max() > 0.0
    assert arr[:, models].max() < arr[:, compute].max()
    # the inherited loss peaks after the direct one has been reached
    assert np.argmax(arr[:, models] > 0.5 * arr[-1, models]) > np.argmax(
        arr[:, compute] > 0.5 * arr[-1, compute]
    )


def test_direct_loss_is_not_counted_again(model: CouplingModel) -> None:
    # Own models are served on compute in the direct path (layers.models_service); the
    # coupling must carry only what is left. With the full models<-compute dependency of the
    # illustrative matrix (0.4) the same loss would be applied twice.
    compute, models = LAYERS.index("compute"), LAYERS.index("models")
    assert model.a[models, compute] < 0.4
    assert np.all(model.a.sum(axis=1) < 1.0)
    assert np.all(np.diag(model.a) == 0.0)
