"""The sweep store: one Zarr group, its template written through xarray, filled block by block.

Layout::

    dims     run, replicate, the metrics' own dims (region, layer, ...), period (series)
    coords   future(run), lever_combo(run), one coordinate per uncertainty and lever (named by
             its key path) holding its value in each run
    metrics  every data variable of a run without a time dim, as (run, replicate, ...)
    series   those asked for, averaged over periods of ``coarsen_days``:
             (run, replicate, period, ...)
    flags    done(run, replicate): a result is recorded (ok or failed); failed; error (text);
             computed_at (unix time) and wall_time_s, which are bookkeeping, not results

The template (metadata and coordinates) is written once, with consolidated metadata, into a
temporary directory renamed into place, so a store either exists whole or not at all. A block
of runs is one chunk along ``run`` with every replicate; it is written with one region write
for the data and a second one for ``done``, so a kill between the two leaves the block to be
computed again, never a ``done`` flag over missing data. A block's chunks go straight to their
files (:mod:`ecosim.experiments.chunks`), encoded as Zarr encodes them, with the layout read
once per process from the consolidated metadata, as the variables need no CF encoding; a
store laid out otherwise is written through Zarr's arrays. Chunks are disjoint, so
the workers of one writer write their own blocks concurrently without locks; writers of a
store (one sweep, or the shards of a job array) hold the locks of
:mod:`ecosim.experiments.locks`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ecosim.core.clock import day_to_datetime64
from ecosim.errors import InputError, OutputError
from ecosim.experiments.chunks import ChunkSpec, read_chunk_specs, write_chunk, writes_whole_chunk

FLAGS = ("done", "failed", "error", "computed_at", "wall_time_s")
# Bookkeeping that legitimately differs between two runs of the same sweep.
BOOKKEEPING = ("computed_at", "wall_time_s")
STORE_FORMAT = 1


@dataclass(frozen=True)
class VarSpec:
    """A metric or series as the store holds it (without the run and replicate dims)."""

    name: str
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    dtype: str
    attrs: dict[str, Any]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    # zarr and xarray warn about string dtypes on every write, and stores written before their
    # metadata was consolidated warn on every open
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def fill_value(dtype: np.dtype[Any]) -> Any:
    """The value a not-yet-computed cell holds (``done`` says whether a cell is real)."""
    if dtype.kind == "f":
        return np.nan
    if dtype.kind == "b":
        return False
    if dtype.kind in "iu":
        return 0
    return ""


def _store_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    # strings of any length are kept as variable-length strings
    return np.dtype(object) if dtype.kind in "OUS" else dtype


def metric_specs(pilot: xr.Dataset, sizes: Mapping[str, int] | None = None) -> list[VarSpec]:
    """Every data variable of a run without a ``time`` dim: the metrics, whatever they are.

    ``sizes`` replaces the pilot's length of some dims: ``occurrence`` gets room for the most
    occurrences any run of the sweep can have, which a short pilot does not show.
    """
    sizes = sizes or {}
    specs = []
    for name, var in pilot.data_vars.items():
        if "time" in var.dims:
            continue
        specs.append(
            VarSpec(
                str(name),
                tuple(str(d) for d in var.dims),
                tuple(int(sizes.get(str(d), n)) for d, n in zip(var.dims, var.shape, strict=True)),
                _store_dtype(var.dtype).str,
                _plain_attrs(var.attrs),
            )
        )
    return specs


def series_specs(pilot: xr.Dataset, names: Sequence[str], n_periods: int) -> list[VarSpec]:
    """The series kept, as float64 averages over ``n_periods`` periods."""
    specs = []
    for name in names:
        var = pilot[name].transpose("time", ...)
        rest = tuple(str(d) for d in var.dims[1:])
        attrs = _plain_attrs(var.attrs)
        attrs["cell_methods"] = "period: mean"
        specs.append(
            VarSpec(
                name,
                ("period", *rest),
                (n_periods, *(int(s) for s in var.shape[1:])),
                "<f8",
                attrs,
            )
        )
    return specs


def _plain_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): v for k, v in attrs.items() if isinstance(v, str | int | float)}


@dataclass(frozen=True)
class Template:
    """Everything needed to lay out a store before any run."""

    n_runs: int
    n_replicates: int
    block_size: int
    metrics: list[VarSpec]
    series: list[VarSpec]
    dim_coords: dict[str, np.ndarray]
    run_coords: dict[str, np.ndarray]
    period_days: np.ndarray
    start: dt.date
    attrs: dict[str, Any]


def create_store(path: Path, template: Template) -> None:
    """Write the store's template atomically (temporary directory, then rename).

    Raises
    ------
    InputError
        If ``path`` already exists.
    OutputError
        If it cannot be written (read-only or full file system); nothing is left behind.
    """
    if path.exists():
        raise InputError("--out", [], "a store path that does not exist yet", str(path))
    import dask.array as da

    n, r, b = template.n_runs, template.n_replicates, template.block_size
    data: dict[str, Any] = {}
    encoding: dict[str, Any] = {}
    for spec in [*template.metrics, *template.series]:
        dtype = np.dtype(spec.dtype)
        shape = (n, r, *spec.shape)
        chunks = (b, r, *spec.shape)
        data[spec.name] = (
            ("run", "replicate", *spec.dims),
            da.full(shape, fill_value(dtype), dtype=dtype, chunks=chunks),
            spec.attrs,
        )
        encoding[spec.name] = {"chunks": chunks}
    flags: dict[str, tuple[np.dtype[Any], dict[str, str]]] = {
        "done": (np.dtype(bool), {"long_name": "a result (ok or failed) is recorded"}),
        "failed": (np.dtype(bool), {"long_name": "the run raised; see error"}),
        "error": (np.dtype(object), {"long_name": "the error of a failed run"}),
        "computed_at": (
            np.dtype("f8"),
            {"units": "s", "long_name": "when the run finished, seconds after 1970-01-01 UTC"},
        ),
        "wall_time_s": (np.dtype("f8"), {"units": "s", "long_name": "wall time of the run"}),
    }
    for name, (dtype, attrs) in flags.items():
        data[name] = (
            ("run", "replicate"),
            da.full((n, r), fill_value(dtype), dtype=dtype, chunks=(b, r)),
            attrs,
        )
        encoding[name] = {"chunks": (b, r)}
    coords: dict[str, Any] = {
        "run": np.arange(n),
        "replicate": np.arange(r),
        **{k: (k, v) for k, v in template.dim_coords.items()},
        **{k: ("run", v) for k, v in template.run_coords.items()},
    }
    if template.series:
        days = template.period_days
        coords["period"] = np.arange(len(days))
        coords["period_start_day"] = ("period", days, {"units": "d"})
        coords["period_start"] = (
            "period",
            day_to_datetime64(template.start, days),
        )
    ds = xr.Dataset(data, coords=coords, attrs=template.attrs)
    for coord in ds.coords:
        # coordinates are small and written in full now; one chunk each
        encoding[str(coord)] = {"chunks": ds[coord].shape} if ds[coord].ndim else {}
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _quiet():
            # consolidated: an open reads one metadata document, and warns of nothing
            ds.to_zarr(tmp, mode="w-", compute=False, consolidated=True, encoding=encoding)
        os.replace(tmp, path)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(path, exc) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def open_store(path: str | Path) -> xr.Dataset:
    """Open a sweep store lazily with plain xarray (``xr.open_zarr`` works as well)."""
    path = Path(path)
    if not (path / "zarr.json").is_file() and not (path / ".zgroup").is_file():
        raise InputError(path, [], "a sweep store (a Zarr directory)", "no store there")
    with _quiet():
        ds = xr.open_zarr(path)
    if "sweep_sha256" not in ds.attrs:
        raise InputError(path, [], "a store written by ecosim sweep", "other Zarr data")
    return ds


def read_attrs(path: str | Path) -> dict[str, Any]:
    """The store's provenance attributes."""
    return dict(open_store(path).attrs)


def read_flags(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """``done`` and ``failed`` as ``(run, replicate)`` boolean arrays."""
    ds = open_store(path)
    with _quiet():
        return np.asarray(ds["done"].values, bool), np.asarray(ds["failed"].values, bool)


def result_vars(ds: xr.Dataset) -> list[str]:
    """Names of the variables a block writes (everything with a ``run`` dim but the coords)."""
    return [str(n) for n, v in ds.data_vars.items() if "run" in v.dims]


def read_block(path: Path, start: int, stop: int) -> dict[str, np.ndarray]:
    """The current content of runs ``start:stop`` (to keep cells a block does not recompute)."""
    with _quiet():
        ds = xr.open_zarr(path)
        sub = ds[result_vars(ds)].isel(run=slice(start, stop)).load()
    return {str(n): np.array(v.values) for n, v in sub.data_vars.items()}


@dataclass(frozen=True)
class _Layout:
    """A store's result variables as a block writes them: dims, dtype, the shape of one run
    (replicate, ...), how their chunks are written straight to files (``None``: through Zarr)
    and the Zarr arrays, opened for writing when first needed."""

    dims: dict[str, tuple[str, ...]]
    dtypes: dict[str, np.dtype[Any]]
    shapes: dict[str, tuple[int, ...]]
    chunks: dict[str, ChunkSpec] | None
    arrays: dict[str, Any] = field(default_factory=dict)


#: Layouts of the stores this process has written, by the identity of their metadata file:
#: a block used to open the store twice and write through xarray, about 0.3 s a block (a
#: seventh of a two-second block); a region write changes no metadata, so one read serves
#: every block a worker writes. A store made again at the same place has a new metadata
#: file (the template is renamed into place), so it never meets the old store's layout.
_LAYOUTS: dict[tuple[str, int, int, int], _Layout] = {}


def _layout(path: Path) -> _Layout:
    meta = path / "zarr.json"
    if not meta.is_file():
        meta = path / ".zgroup"
    st = meta.stat()
    key = (str(path.resolve()), st.st_ino, st.st_mtime_ns, st.st_size)
    known = _LAYOUTS.get(key)
    if known is not None:
        return known
    # the consolidated metadata says it all in one small file: opening the store through
    # xarray took about 0.15 s, a fifth of a second of every sweep process's first block
    specs = read_chunk_specs(path, ("run", "replicate"))
    if specs is not None:
        layout = _Layout(
            dims={n: s.dims for n, s in specs.items()},
            dtypes={n: s.dtype for n, s in specs.items()},
            shapes={n: s.shape[1:] for n, s in specs.items()},
            chunks=specs,
        )
    else:
        with _quiet():
            ds = xr.open_zarr(path)
            names = result_vars(ds)
            layout = _Layout(
                dims={n: tuple(str(d) for d in ds[n].dims) for n in names},
                dtypes={n: _store_dtype(ds[n].dtype) for n in names},
                shapes={n: tuple(ds[n].shape[1:]) for n in names},
                chunks=None,
            )
    if len(_LAYOUTS) >= 8:  # a worker serves one sweep at a time
        _LAYOUTS.clear()
    _LAYOUTS[key] = layout
    return layout


def _zarr_arrays(path: Path, layout: _Layout) -> dict[str, Any]:
    """The layout's Zarr arrays, opened for writing on first use."""
    if not layout.arrays:
        import zarr

        with _quiet():
            group = zarr.open_group(path, mode="r+", use_consolidated=False)
            layout.arrays.update({n: group[n] for n in layout.dims})
    return layout.arrays


def empty_block(path: Path, n: int) -> dict[str, np.ndarray]:
    """Arrays of ``n`` runs holding fill values, shaped like the store's result variables."""
    layout = _layout(path)
    return {
        name: np.full((n, *shape), fill_value(layout.dtypes[name]), dtype=layout.dtypes[name])
        for name, shape in layout.shapes.items()
    }


def write_block(path: Path, start: int, arrays: Mapping[str, np.ndarray]) -> None:
    """Write one block: every result variable, then ``done`` in a second write.

    The arrays are written as they are, each a whole chunk straight to its file (or through
    the store's Zarr arrays where :mod:`ecosim.experiments.chunks` does not know the layout):
    a store holds no encoded variable (no scale, offset or time units; floats keep NaN as
    their fill value, strings are variable-length), so this gives the bytes an xarray region
    write gives, which is tested.

    Parameters
    ----------
    path
        The store.
    start
        First run of the block; the block must be a whole chunk (or the last, shorter one).
    arrays
        Result variables, each ``(runs in block, replicate, ...)``.
    """
    stop = start + len(arrays["done"])
    layout = _layout(path)
    specs = layout.chunks
    if specs is not None and all(
        writes_whole_chunk(specs[name], start, len(values)) for name, values in arrays.items()
    ):
        # each chunk straight to its file, as Zarr writes it, in about a fifteenth of the time
        for name, values in arrays.items():
            if name != "done":
                write_chunk(specs[name], start, values)
        # last: a block killed while writing is not done, and is computed again
        write_chunk(specs["done"], start, arrays["done"])
        return
    targets = _zarr_arrays(path, layout)
    rest = [(targets[name], values) for name, values in arrays.items() if name != "done"]
    with _quiet():
        if not _write_together(rest, start, stop):
            for target, values in rest:
                target[start:stop] = values
        # last: a block killed while writing is not done, and is computed again
        targets["done"][start:stop] = arrays["done"]


def _write_together(items: list[tuple[Any, np.ndarray]], start: int, stop: int) -> bool:
    """Write each array's values to runs ``start:stop`` of its Zarr array at once, on Zarr's
    own event loop; False (nothing written) where this Zarr has no asynchronous arrays.

    One write after another, each waits for Zarr's loop to encode and store its chunk: about
    2.5 ms an array, some forty arrays a block, more than the block's runs spend on
    everything but simulating. Handed over together, the loop overlaps their stores.
    """
    try:
        from zarr.core.sync import sync
    except ImportError:  # Zarr 2: its arrays write synchronously
        return False
    if not all(hasattr(target, "async_array") for target, _ in items):
        return False
    import asyncio

    async def write_all() -> None:
        await asyncio.gather(
            *(target.async_array.setitem(slice(start, stop), values) for target, values in items)
        )

    sync(write_all())
    return True


def store_dims(path: Path) -> dict[str, tuple[str, ...]]:
    """Dims of every result variable of the store."""
    return dict(_layout(path).dims)


def status_counts(path: str | Path) -> dict[str, int]:
    """Counts of (run, replicate) cells: ``ok``, ``failed``, ``missing`` and ``total``."""
    done, failed = read_flags(path)
    ok = int((done & ~failed).sum())
    bad = int((done & failed).sum())
    return {"ok": ok, "failed": bad, "missing": int((~done).sum()), "total": int(done.size)}


def failures(path: str | Path, limit: int = 20) -> list[tuple[int, int, str]]:
    """Up to ``limit`` failed cells as (run, replicate, error)."""
    ds = open_store(path)
    with _quiet():
        failed = np.asarray(ds["failed"].values, bool)
        idx = np.argwhere(failed)[:limit]
        errors = ds["error"].values
    return [(int(i), int(k), str(errors[i, k])) for i, k in idx]


def provenance_attrs(
    *,
    version: str,
    sweep_path: Path,
    sweep_text: str,
    sweep_sha256: str,
    base_sha256: str,
    entropy: int,
    block_size: int,
    parameters: Mapping[str, Any],
) -> dict[str, Any]:
    """The store's attrs: what made it, and when."""
    return {
        "title": "ecosim sweep",
        "store_format": STORE_FORMAT,
        "ecosim_version": version,
        "sweep_path": str(sweep_path),
        "sweep_text": sweep_text,
        "sweep_sha256": sweep_sha256,
        "base_scenario_sha256": base_sha256,
        "entropy": str(entropy),
        "block_size": int(block_size),
        "parameters": json.dumps(parameters),
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def results_equal(a: xr.Dataset, b: xr.Dataset) -> list[str]:
    """Names of variables and coordinates that differ between two stores (empty if equal).

    Compares values bit for bit (NaN equal to NaN), ignoring the bookkeeping of
    :data:`BOOKKEEPING` (when and how fast each run was computed).
    """
    differ: list[str] = []
    names = sorted({str(n) for n in a.variables} | {str(n) for n in b.variables})
    with _quiet():
        for name in names:
            if name in BOOKKEEPING:
                continue
            if name not in a.variables or name not in b.variables:
                differ.append(name)
                continue
            x, y = np.asarray(a[name].values), np.asarray(b[name].values)
            if x.shape != y.shape or not _bits_equal(x, y):
                differ.append(name)
    return differ


def _bits_equal(x: np.ndarray, y: np.ndarray) -> bool:
    if x.dtype.kind == "f" and y.dtype.kind == "f" and x.dtype == y.dtype:
        unsigned = np.dtype(f"u{x.dtype.itemsize}")
        return bool(np.array_equal(x.view(unsigned), y.view(unsigned)))
    if x.dtype.kind in "OTUS" or y.dtype.kind in "OTUS":
        return x.shape == y.shape and x.astype(object).tolist() == y.astype(object).tolist()
    return bool(np.array_equal(x, y))
