"""Wrap recorder buffers as an ``xarray.Dataset`` and write it atomically.

Beside the series, a run's dataset holds every shock occurrence the run drew, once:
``shock_start`` and ``shock_end`` (shock, occurrence), padded with ``-1`` where shocks occur
different numbers of times, and ``shock_occurrences`` (shock), the count. The metrics read
the occurrences from there, never by drawing them again.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ecosim.core.clock import day_to_datetime64
from ecosim.core.processes import alive
from ecosim.errors import OutputError
from ecosim.kernels.metrics import FILL_DAYS
from ecosim.observe.duckarrays import defer_dask_import
from ecosim.observe.recorder import CELL_METHODS, TRACE_VARIABLES, VARIABLES, Recorder
from ecosim.scenario.models import Scenario

# before this process (and a twin forked from it) makes its first variable: a run holds no
# Dask arrays, and would otherwise import Dask to learn so
defer_dask_import()


def to_dataset(rec: Recorder, scenario: Scenario) -> xr.Dataset:
    """The recorded series, with ``units`` and ``long_name`` on every variable (only the
    trace's where the recorder kept only the trace)."""
    rec.sample_trace()
    coords: dict[str, Any] = {
        "time": ("time", day_to_datetime64(scenario.start, rec.grid)),
        "day": ("time", rec.grid, {"units": "d", "long_name": "days since the scenario start"}),
    }
    for dim, labels in rec.coords.items():
        coords[dim] = (dim, np.array(labels, dtype=object))
    data: dict[str, Any] = {}
    for name, var in VARIABLES.items():
        if name not in rec.buffers:  # a recorder of the trace only
            continue
        data[name] = (
            ("time", *var.dims),
            rec.buffers[name],
            {
                "units": var.units,
                "long_name": var.long_name,
                "cell_methods": CELL_METHODS[var.kind],
            },
        )
    data["provider_present"] = (
        ("region", "provider"),
        rec.present,
        {
            "units": "1",
            "long_name": "whether the provider operates in the region (home, present_in or a "
            "sovereign offering); only there can it take customers",
        },
    )
    attrs = {
        "step_days": float(scenario.step_days),
        "interval_days": float(scenario.recording.interval_days),
    }
    # built in one call, the shocks' variables last: each variable assigned to a built
    # dataset aligns and copies all of it, and even one update of the shocks' took a third of
    # the time of making a short run's dataset
    shock_coords, shock_data = occurrence_variables(scenario, rec)
    return xr.Dataset({**data, **shock_data}, coords={**coords, **shock_coords}, attrs=attrs)


def occurrence_variables(
    scenario: Scenario, rec: Recorder
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every occurrence of every shock the run drew, padded along ``occurrence``: the
    coordinates and the variables, as ``(dims, values, attrs)``.

    A scenario without shocks gets no ``shock`` dim (both are empty). The ``occurrence`` dim
    is as long as the most frequent shock's count (at least 1, so a run where nothing occurred
    still has the variables); it carries no coordinate, so runs with different counts pad to a
    common length (:func:`pad_occurrences`).
    """
    if not scenario.shocks:
        return {}, {}
    ids = [s.id for s in scenario.shocks]
    per_shock: dict[str, list[tuple[float, float, float]]] = {sid: [] for sid in ids}
    for occ in sorted(rec.occurrences, key=lambda o: (o.start, o.end)):
        per_shock[occ.shock_id].append((occ.start, occ.end, occ.severity))
    n_occ = max(1, *(len(v) for v in per_shock.values()))
    start = np.full((len(ids), n_occ), FILL_DAYS, dtype=np.float64)
    end = np.full((len(ids), n_occ), FILL_DAYS, dtype=np.float64)
    severity = np.full((len(ids), n_occ), FILL_DAYS, dtype=np.float64)
    for i, sid in enumerate(ids):
        for j, (a, b, f) in enumerate(per_shock[sid]):
            start[i, j] = a
            end[i, j] = b if np.isfinite(b) else FILL_DAYS
            severity[i, j] = f
    coords = {"shock": ("shock", np.array(ids, dtype=object))}
    data: dict[str, Any] = {}
    data["shock_type"] = (
        "shock",
        np.array([s.type for s in scenario.shocks], dtype=object),
        {"units": "1", "long_name": "type of the shock"},
    )
    data["shock_start"] = (
        ("shock", "occurrence"),
        start,
        {
            "units": "d",
            "long_name": "start of each occurrence of the shock in days (-1: no such occurrence)",
            "missing_fill": FILL_DAYS,
        },
    )
    data["shock_end"] = (
        ("shock", "occurrence"),
        end,
        {
            "units": "d",
            "long_name": "end of each occurrence of the shock in days (-1: none, or permanent)",
            "missing_fill": FILL_DAYS,
        },
    )
    data["shock_severity"] = (
        ("shock", "occurrence"),
        severity,
        {
            "units": "1",
            "long_name": "factor each occurrence's severity drew for the shock's magnitude "
            "(1: as given; -1: no such occurrence)",
            "missing_fill": FILL_DAYS,
        },
    )
    data["shock_occurrences"] = (
        "shock",
        np.array([len(per_shock[sid]) for sid in ids], dtype=np.int64),
        {"units": "1", "long_name": "occurrences of the shock within the run"},
    )
    return coords, data


def pad_occurrences(ds: xr.Dataset, n: int) -> xr.Dataset:
    """``ds`` with its ``occurrence`` dim padded with ``-1`` (or cut) to length ``n``.

    Replicates are padded to the longest of them; a sweep's runs to the room its store has
    (:func:`ecosim.world.shocks.occurrence_slots`), which a run exceeds only with a chance
    below 1e-12. Cutting keeps the earliest occurrences; ``shock_occurrences`` keeps the true
    count.
    """
    if "occurrence" not in ds.dims or ds.sizes["occurrence"] == n:
        return ds
    have = ds.sizes["occurrence"]
    if have > n:
        return ds.isel(occurrence=slice(0, n))
    return ds.pad(occurrence=(0, n - have), constant_values=FILL_DAYS)


def to_trace(rec: Recorder, scenario: Scenario) -> xr.Dataset:
    """The metric inputs at every world step: the grid the metrics are computed on.

    It has the layout of a run's dataset (``time``, ``day``, ``region``, ``layer``) for the
    variables of :data:`~ecosim.observe.recorder.TRACE_VARIABLES` only, so the metrics read it
    exactly as they would read a dataset recorded at every step.
    """
    coords: dict[str, Any] = {
        "time": ("time", day_to_datetime64(scenario.start, rec.steps)),
        "day": ("time", rec.steps, {"units": "d", "long_name": "days since the scenario start"}),
        "region": ("region", np.array(rec.coords["region"], dtype=object)),
        "layer": ("layer", np.array(rec.coords["layer"], dtype=object)),
    }
    data = {
        name: (
            ("time", *VARIABLES[name].dims),
            rec.trace[name],
            {"units": VARIABLES[name].units, "long_name": VARIABLES[name].long_name},
        )
        for name in TRACE_VARIABLES
    }
    return xr.Dataset(data, coords=coords)


def write_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` to ``path`` through a temporary file and a rename.

    The file is encoded in memory first and then written by Python, so HDF5 never writes to
    the disk itself: a full or read-only disk is an :class:`~ecosim.errors.OutputError`
    naming the path, never a crash. A reader never sees a half-written file, a run killed
    while writing leaves the old file (or none) in place, and the temporary files of writers
    that were killed are removed by the next write to the same place.

    Raises
    ------
    OutputError
        When the file cannot be written (its folder cannot be made, the disk is full or
        read-only); nothing is left under the output name or beside it.
    """
    return write_atomically(netcdf_bytes(ds), Path(path))


def netcdf_bytes(ds: xr.Dataset) -> memoryview:
    """Encode ``ds`` as a NetCDF-4 file in memory, its numeric data compressed: its bytes.

    The file is made by the netCDF library itself (netCDF4-python, in memory) through
    xarray's store for it. h5netcdf writes the same file (the tests read every result with
    it too), but its bookkeeping of dimension scales in Python costs about 11 ms a variable:
    a run's 108 variables took 1.5 s for four days (0.2 s now) and 2.2 s for ten years
    (1.2 s now, most of it compressing). The dataset is handed to the store directly:
    ``to_netcdf`` asks which Dask scheduler is active, and because Dask is installed that
    imports ``distributed`` (about 0.2 s and 13 MiB in every run that writes a file),
    although a run's data are never Dask arrays.

    Each numeric variable is shuffled and deflated at level 1: of a ten-year baseline (20 MB
    compressed, 48 MB raw) that writes 15 % faster than level 4 alone, and 1 % smaller.
    """
    import netCDF4
    from xarray.backends import NetCDF4DataStore
    from xarray.backends.netCDF4_ import NETCDF4_PYTHON_LOCK

    encoding = {
        name: {"zlib": True, "complevel": 1, "shuffle": True}
        for name, v in ds.data_vars.items()
        if v.dtype.kind in "fiub" and v.ndim > 0
    }
    # The netCDF library serves one thread at a time: xarray's readers and stores take this
    # lock around each call, and the whole file is made under it here (a page's downloads
    # are written from the server's threads), its store told to take no lock of its own.
    # It is the libraries' lock, not Dask's, which `to_netcdf` would look up.
    with NETCDF4_PYTHON_LOCK:
        cache = netCDF4.get_chunk_cache()
        # each variable is one chunk, written whole, once: HDF5 keeps a chunk no larger than
        # its variable's cache (64 MiB by default) in the cache, uncompressed, until the file
        # closes, which held every variable of a ten-year run at once (about 40 MiB of the
        # write's peak memory with a 4 MiB cache). A chunk larger than the cache goes to the
        # file when it is written; the default applies to each variable as it is made, and
        # files read later get it back
        netCDF4.set_chunk_cache(_CHUNK_CACHE, cache[1], cache[2])
        try:
            # `memory`: the file is made in memory (the value is its first allocation) and
            # close() hands its bytes back; nothing is written under the name
            nc = netCDF4.Dataset("result.nc", mode="w", format="NETCDF4", memory=_FIRST_ALLOCATION)
            try:
                store = NetCDF4DataStore(nc, lock=False)
                ds.dump_to_store(store, encoding=encoding, encoder=_dimensions_first)
            finally:
                image = nc.close()
        finally:
            netCDF4.set_chunk_cache(*cache)
    return image  # the library's buffer, not a copy of it: 20 MB for a ten-year run


#: The in-memory file's first allocation (bytes); it grows as it is written.
_FIRST_ALLOCATION = 1 << 20
#: HDF5's chunk cache for each variable of a file being written (bytes): only the chunks of
#: variables smaller than this are held until the file closes.
_CHUNK_CACHE = 64 << 10


def _dimensions_first(
    variables: dict[str, Any], attrs: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The encoded variables in the order they are written: dimensions' coordinates first.

    A dimension defined before its coordinate variable is reworked into that variable when
    it comes, with every variable already defined on it; with the coordinates first there is
    nothing to rework (a four-day run's file: 0.22 s -> 0.16 s), and the file reads back to
    the same dataset.
    """
    dims = {name for v in variables.values() for name in v.dims}
    first = {k: v for k, v in variables.items() if k in dims}
    return {**first, **{k: v for k, v in variables.items() if k not in dims}}, attrs


def write_atomically(data: bytes | memoryview, path: Path) -> Path:
    """Write ``data`` to ``path`` through a temporary file beside it and a rename.

    Raises
    ------
    OutputError
        When the folder cannot be made or the file cannot be written; the temporary file is
        removed.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(path, exc) from None
    remove_stale_temporaries(path)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # open() creates files with the umask's permissions, as any plain write would
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(path, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove the temporary files of writers of ``path`` that are no longer running.

    A temporary file is named ``.NAME.PID.RANDOM.tmp``; one whose PID is not a live process
    on this machine was left by a killed writer.
    """
    removed = []
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        pid_text = tmp.name[len(path.name) + 2 :].split(".", 1)[0]
        if pid_text.isdigit() and not alive(int(pid_text)):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed
