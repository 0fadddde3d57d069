"""Wrap recorder buffers as an ``xarray.Dataset`` and write it atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ecosim.engine.clock import day_to_datetime64
from ecosim.observe.recorder import VARIABLES, Recorder
from ecosim.scenario.models import Scenario


def to_dataset(rec: Recorder, scenario: Scenario) -> xr.Dataset:
    """The recorded series, with ``units`` and ``long_name`` on every variable."""
    coords: dict[str, Any] = {
        "time": ("time", day_to_datetime64(scenario.start, rec.grid)),
        "day": ("time", rec.grid, {"units": "d", "long_name": "days since the scenario start"}),
    }
    for dim, labels in rec.coords.items():
        coords[dim] = (dim, np.array(labels, dtype=object))
    data = {}
    for name, var in VARIABLES.items():
        data[name] = (
            ("time", *var.dims),
            rec.buffers[name],
            {"units": var.units, "long_name": var.long_name},
        )
    return xr.Dataset(data, coords=coords)


def write_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` to ``path`` through a temporary file and a rename.

    A reader never sees a half-written file, and a run killed while writing leaves the old
    file (or none) in place.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        encoding = {
            name: {"zlib": True, "complevel": 4}
            for name, v in ds.data_vars.items()
            if v.dtype.kind in "fiub" and v.ndim > 0
        }
        ds.to_netcdf(tmp, engine="h5netcdf", encoding=encoding)
        # mkstemp creates 0600; give the file the permissions a plain open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
