"""xarray tells Dask arrays apart without a run importing Dask."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import xarray as xr

from ecosim.observe.duckarrays import DaskArray, is_dask_collection


def _run(code: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def test_making_a_dataset_imports_no_dask_and_dask_arrays_are_still_known() -> None:
    lines = _run(
        """
        import sys
        import numpy as np, xarray as xr
        import ecosim.observe.dataset
        ds = xr.Dataset({"x": (("t",), np.arange(5.0))}, coords={"t": list("abcde")})
        da = (ds["x"] * 2).rename("y")
        print("dask" in sys.modules, float(da.sum()))
        import dask.array
        v = xr.Variable(("t",), dask.array.ones(5, chunks=2))
        print(v.chunks is not None, type(v.data).__module__.split(".")[0], float(v.sum()))
        from xarray.namedarray import pycompat
        print(pycompat.mod_version("dask") == pycompat.Version(dask.__version__))
        """
    )
    assert lines == ["False", "20.0", "True", "dask", "5.0", "True"]


def test_the_stand_in_answers_as_dask_array_array() -> None:
    import dask.array

    lazy = dask.array.zeros(3)
    assert isinstance(lazy, DaskArray) and issubclass(type(lazy), DaskArray)
    assert not isinstance(np.zeros(3), DaskArray) and not issubclass(np.ndarray, DaskArray)
    assert xr.Variable(("t",), lazy).chunks is not None


def test_a_dask_collection_is_one_as_dask_says() -> None:
    import dask
    import dask.array

    lazy = dask.array.zeros(3)
    for x in (lazy, xr.DataArray(lazy), xr.DataArray(np.zeros(3)), np.zeros(3), 1.0, xr.Dataset):
        assert is_dask_collection(x) is dask.is_dask_collection(x)
