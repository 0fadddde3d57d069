"""A block written straight to the store's Zarr arrays reads back as an xarray region write."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
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


def _two_stores(tmp_path: Path, block_size: int) -> tuple[Path, Path]:
    """Two copies of a new store of the tiny sweep, in blocks of ``block_size`` runs."""
    sweep = tmp_path / "s.yaml"
    sweep.write_text(tiny_sweep_text())
    prepared, template, _ = driver.new_sweep(sweep, 1, block_size)
    ours, theirs = tmp_path / "ours.zarr", tmp_path / "theirs.zarr"
    driver.create(ours, prepared, template)
    shutil.copytree(ours, theirs)
    return ours, theirs


def test_a_block_reads_back_as_xarrays_region_write_gives_it(tmp_path: Path) -> None:
    ours, theirs = _two_stores(tmp_path, 2)
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


def _files(store: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(store)): p.read_bytes()
        for p in sorted(store.rglob("*"))
        if p.is_file() and "c" in p.relative_to(store).parts
    }


def test_chunks_written_straight_to_files_are_zarrs_own(tmp_path: Path) -> None:
    # 8 runs in blocks of 3: the last block is shorter than its chunk
    ours, theirs = _two_stores(tmp_path, 3)
    layout = st._layout(ours)
    assert layout.chunks is not None  # a store ecosim makes is written straight to files
    targets = st._zarr_arrays(theirs, st._layout(theirs))
    for start, stop in [(0, 3), (6, 8), (3, 6)]:
        arrays = _filled(st.empty_block(ours, stop - start))
        arrays["failed"][...] = False  # chunks of nothing but the fill value are not written
        arrays["error"][...] = ""
        arrays["resilience_loss"].flat[1] = -0.0
        st.write_block(ours, start, arrays)
        for name, values in arrays.items():
            targets[name][start:stop] = values
    assert _files(ours) == _files(theirs)
    # a block written again with fill values only removes its chunks, as Zarr does
    arrays = st.empty_block(ours, 3)
    st.write_block(ours, 3, arrays)
    for name, values in arrays.items():
        targets[name][3:6] = values
    assert _files(ours) == _files(theirs)
    assert not any(".partial" in name for name in _files(ours))


def test_the_layout_read_from_the_metadata_is_the_one_xarray_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep = tmp_path / "s.yaml"
    sweep.write_text(tiny_sweep_text())
    prepared, template, _ = driver.new_sweep(sweep, 1, 3)
    path = tmp_path / "x.zarr"
    driver.create(path, prepared, template)
    fast = st._layout(path)
    st._LAYOUTS.clear()
    monkeypatch.setattr(st, "read_chunk_specs", lambda *_: None)
    slow = st._layout(path)
    assert slow.chunks is None and fast.chunks is not None
    assert (fast.dims, fast.shapes) == (slow.dims, slow.shapes)

    def kinds(layout: st._Layout) -> dict[str, object]:
        # text is text, whether xarray hands it out as objects or as NumPy strings
        return {n: "text" if d.kind in "OTUS" else d for n, d in layout.dtypes.items()}

    assert kinds(fast) == kinds(slow)
    assert set(fast.dims) == set(st.result_vars(xr.open_zarr(path)))
    st._LAYOUTS.clear()
