"""A block written straight to the store's Zarr arrays reads back as an xarray region write."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import xarray as xr

from ecosim.experiments import driver
from ecosim.experiments import store as st
from tests.experiments.conftest import tiny_sweep_text


def _filled(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    for v in arrays.values():
        if v.dtype.kind == "f":
            v[...] = rng.random(v.shape)
            v.flat[0] = np.nan
        elif v.dtype.kind == "b":
            v[...] = rng.random(v.shape) > 0.5
        elif v.dtype.kind in "iu":
            v[...] = rng.integers(-3, 4, v.shape)
        else:
            v[...] = "ok"
            v.flat[0] = "run 3 replicate 1: ValueError: ünïcode, and a long line " * 3
    return arrays


def test_a_block_reads_back_as_xarrays_region_write_gives_it(tmp_path: Path) -> None:
    sweep = tmp_path / "s.yaml"
    sweep.write_text(tiny_sweep_text())
    prepared, template, _ = driver.new_sweep(sweep, 1, 2)
    ours, theirs = tmp_path / "ours.zarr", tmp_path / "theirs.zarr"
    driver.create(ours, prepared, template)
    shutil.copytree(ours, theirs)
    dims = st.store_dims(ours)
    arrays = _filled(st.empty_block(ours, 2))
    assert set(arrays) == set(dims) and arrays["done"].shape == (2, 2)

    st.write_block(ours, 2, arrays)
    region = {"run": slice(2, 4)}
    data = {k: (dims[k], v) for k, v in arrays.items()}
    xr.Dataset(data).to_zarr(theirs, region=region, consolidated=False)

    a, b = xr.open_zarr(ours).load(), xr.open_zarr(theirs).load()
    assert a.identical(b)
    assert bool(a["done"].isel(run=slice(2, 4)).all()) == bool(arrays["done"].all())
    # the runs around the block still hold the template's fill values
    assert not a["done"].isel(run=slice(0, 2)).any()
    assert np.isnan(a["resilience_loss"].isel(run=0)).all()


def test_a_store_made_again_at_the_same_place_is_not_written_through_the_old_one(
    tmp_path: Path,
) -> None:
    sweep = tmp_path / "s.yaml"
    sweep.write_text(tiny_sweep_text())
    prepared, template, _ = driver.new_sweep(sweep, 1, 2)
    path = tmp_path / "x.zarr"
    driver.create(path, prepared, template)
    st.write_block(path, 0, _filled(st.empty_block(path, 2)))
    shutil.rmtree(path)
    driver.create(path, prepared, template)
    block = st.empty_block(path, 2)
    block["done"][...] = True
    st.write_block(path, 4, block)
    done = xr.open_zarr(path)["done"].values
    assert done[4:6].all() and not done[:4].any()
