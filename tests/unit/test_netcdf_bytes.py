"""The NetCDF a run writes: what xarray's own writer gives, without importing Dask's cluster."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import xarray as xr

from ecosim.observe.dataset import _dimensions_first, netcdf_bytes, write_netcdf


def _dataset() -> xr.Dataset:
    rng = np.random.default_rng(3)
    time = np.arange("2025-01-01", "2025-01-11", dtype="datetime64[D]").astype("datetime64[ns]")
    return xr.Dataset(
        {
            "service": (("time", "region"), rng.random((10, 3)), {"units": "1"}),
            "count": (("time",), np.arange(10, dtype=np.int64), {"units": "1"}),
            "most_fragile_layer": (("region",), np.array(["compute", "data", "models"])),
            "total": ((), 4.5, {"units": "d"}),
        },
        coords={"time": time, "region": ["US", "EU", "CN"]},
        attrs={"scenario_name": "t", "replicates": 1},
    )


def test_the_bytes_read_back_as_the_dataset_and_as_xarrays_writer_gives_them(
    tmp_path: Path,
) -> None:
    ds = _dataset()
    data = netcdf_bytes(ds)
    ours = xr.open_dataset(io.BytesIO(data), engine="h5netcdf").load()
    plain = ds.to_netcdf(None, engine="h5netcdf")
    theirs = xr.open_dataset(io.BytesIO(bytes(plain or b"")), engine="h5netcdf").load()
    assert ours.identical(ds)
    assert ours.identical(theirs)
    # and the netCDF library, which wrote it, reads it the same (from a file: it reads no
    # Python buffer)
    (tmp_path / "ours.nc").write_bytes(data)
    with xr.open_dataset(tmp_path / "ours.nc", engine="netcdf4") as library:
        assert library.load().identical(ds)
    # numeric series are compressed, a string or a scalar is not
    assert ours["service"].encoding["zlib"] and ours["service"].encoding["shuffle"]
    assert not ours["most_fragile_layer"].encoding.get("zlib", False)


def test_the_dimensions_coordinates_are_handed_to_the_store_first() -> None:
    # a dimension defined before its coordinate variable is reworked when that variable comes
    # (about a quarter of a four-day run's writing): coordinates first, the rest as they were
    ds = _dataset()
    variables, attrs = _dimensions_first(dict(ds.variables), dict(ds.attrs))
    assert list(variables) == ["time", "region", "service", "count", "most_fragile_layer", "total"]
    assert all(variables[k] is ds.variables[k] for k in variables) and attrs == ds.attrs


def test_writing_a_result_does_not_import_dasks_cluster(tmp_path: Path) -> None:
    # to_netcdf would ask Dask which scheduler is active and so import `distributed`
    code = textwrap.dedent(
        f"""
        import sys
        import numpy as np, xarray as xr
        from ecosim.observe.dataset import write_netcdf
        ds = xr.Dataset({{"x": (("t",), np.arange(5.0))}})
        write_netcdf(ds, {str(tmp_path / "x.nc")!r})
        print("distributed" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert xr.open_dataset(tmp_path / "x.nc", engine="h5netcdf").load()["x"].size == 5
    write_netcdf(_dataset(), tmp_path / "y.nc")  # and in this process as well
    assert (tmp_path / "y.nc").stat().st_size > 0


def test_threads_writing_results_at_once_get_whole_files(tmp_path: Path) -> None:
    # the page writes downloads from its server's threads; the netCDF library serves one
    # thread at a time, so each write holds the libraries' lock from the file's making to
    # its closing. (The files are read back here, in one thread: xarray's reader of this
    # library reads a file's attributes outside that lock, so its reads are not safe from
    # several threads at once, whoever writes.)
    ds = _dataset()
    failures: list[BaseException] = []

    def write(k: int) -> None:
        try:
            for i in range(8):
                write_netcdf(ds, tmp_path / f"w{k}-{i}.nc")
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    for path in sorted(tmp_path.glob("w*.nc")):
        with xr.open_dataset(path, engine="netcdf4") as back:
            assert back.load().identical(ds), path.name
    assert len(list(tmp_path.glob("w*.nc"))) == 32
