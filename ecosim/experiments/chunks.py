"""A block's chunks written straight to their files, as the Zarr v3 specification lays them out.

A sweep store's result variables are plain Zarr v3 arrays: one chunk per block along ``run``
and whole along every other dim, encoded by ``bytes`` (or ``vlen-utf8`` for text) and
``zstd``. Zarr's own region write spends about 1.2 ms of Python a variable on its event
loop, some forty variables a block: most of what a sweep adds to its runs. This module
encodes such a chunk with the codecs the array's metadata names (``numcodecs``, which Zarr
calls for them too) and writes it as Zarr does: to a ``.partial`` file renamed into place, and
a chunk holding nothing but the fill value removed rather than written (Zarr's default of
``write_empty_chunks=False``). The bytes are Zarr's, which is tested.

:func:`read_chunk_specs` returns ``None`` for any store it does not know how to write this way
(Zarr v2, metadata not consolidated, another codec, a sharded or differently keyed array);
those go through Zarr.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: Zarr v3 data types a sweep's variables use, as NumPy dtypes (text is held as objects).
_DTYPES = {
    "bool": "|b1",
    "int8": "|i1",
    "int16": "<i2",
    "int32": "<i4",
    "int64": "<i8",
    "uint8": "|u1",
    "float32": "<f4",
    "float64": "<f8",
    "string": "|O",
}
_FLOAT_FILLS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


@dataclass(frozen=True)
class ChunkSpec:
    """How the chunks of one array are stored.

    Attributes
    ----------
    folder
        The array's directory.
    shape
        The array's shape.
    rows
        Chunk length along the first dim (the others are whole).
    separator
        Of the chunk keys (``c/0/0``).
    dtype
        Of the values (object for text).
    fill
        The array's fill value.
    zstd
        ``(level, checksum)`` of its ``zstd`` codec, or ``None`` without one.
    dims
        Its dimension names.
    """

    folder: str
    shape: tuple[int, ...]
    rows: int
    separator: str
    dtype: np.dtype[Any]
    fill: Any
    zstd: tuple[int, bool] | None
    dims: tuple[str, ...]


def read_chunk_specs(path: Path, leading_dims: tuple[str, ...]) -> dict[str, ChunkSpec] | None:
    """The chunk specs of every array of the store whose dims begin with ``leading_dims``.

    Read from the consolidated metadata of the store's root ``zarr.json`` (one small file).

    Parameters
    ----------
    path
        The store.
    leading_dims
        Leading dims that mark a result variable (``("run", "replicate")``).

    Returns
    -------
    dict or None
        By array name; ``None`` when any of those arrays, or the store, is laid out in a way
        this module does not write.
    """
    try:
        root = json.loads((path / "zarr.json").read_text())
    except (OSError, ValueError):
        return None
    consolidated = root.get("consolidated_metadata") or {}
    if root.get("zarr_format") != 3 or not isinstance(consolidated.get("metadata"), dict):
        return None
    specs: dict[str, ChunkSpec] = {}
    for name, meta in consolidated["metadata"].items():
        dims = tuple(meta.get("dimension_names") or ())
        if meta.get("node_type") != "array" or dims[: len(leading_dims)] != leading_dims:
            continue
        spec = _spec(path / name, meta, dims)
        if spec is None:
            return None
        specs[name] = spec
    return specs or None


def _spec(folder: Path, meta: dict[str, Any], dims: tuple[str, ...]) -> ChunkSpec | None:
    shape = tuple(int(n) for n in meta.get("shape", ()))
    grid = meta.get("chunk_grid", {})
    keys = meta.get("chunk_key_encoding", {})
    dtype = _DTYPES.get(str(meta.get("data_type")))
    if (
        dtype is None
        or meta.get("storage_transformers")
        or grid.get("name") != "regular"
        or keys.get("name") != "default"
    ):
        return None
    chunk = tuple(int(n) for n in grid.get("configuration", {}).get("chunk_shape", ()))
    if len(chunk) != len(shape) or not shape or chunk[1:] != shape[1:]:
        return None
    codecs = list(meta.get("codecs", []))
    first = codecs.pop(0) if codecs else {}
    text = dtype == "|O"
    if text and first.get("name") != "vlen-utf8":
        return None
    if not text and (
        first.get("name") != "bytes"
        or (first.get("configuration") or {}).get("endian", "little") != "little"
    ):
        return None
    zstd: tuple[int, bool] | None = None
    if codecs:
        config = codecs[0].get("configuration") or {}
        if len(codecs) > 1 or codecs[0].get("name") != "zstd":
            return None
        zstd = (int(config.get("level", 0)), bool(config.get("checksum", False)))
    fill = meta.get("fill_value")
    if isinstance(fill, str) and not text:
        if fill not in _FLOAT_FILLS:
            return None  # a fill given by its bit pattern
        fill = _FLOAT_FILLS[fill]
    return ChunkSpec(
        folder=str(folder),
        shape=shape,
        rows=chunk[0],
        separator=str((keys.get("configuration") or {}).get("separator", "/")),
        dtype=np.dtype(dtype),
        fill=fill,
        zstd=zstd,
        dims=dims,
    )


def writes_whole_chunk(spec: ChunkSpec, start: int, n: int) -> bool:
    """Whether rows ``start:start + n`` are one whole chunk (or the last, shorter one)."""
    return start % spec.rows == 0 and n == min(spec.rows, spec.shape[0] - start) and n > 0


def write_chunk(spec: ChunkSpec, start: int, values: np.ndarray) -> None:
    """Write rows ``start:start + len(values)``, one whole chunk, as Zarr would.

    The last chunk of an array is stored at full length, its rows past the end holding the
    fill value. A chunk of nothing but the fill value is removed instead.

    Raises
    ------
    OSError
        When the file cannot be written (nothing is left behind but the old chunk).
    """
    chunk = np.asarray(values, dtype=spec.dtype)
    if len(chunk) < spec.rows:
        full = np.full((spec.rows, *chunk.shape[1:]), spec.fill, dtype=spec.dtype)
        full[: len(chunk)] = chunk
        chunk = full
    keys = ["c", str(start // spec.rows)] + ["0"] * (len(spec.shape) - 1)
    # plain strings: pathlib's parsing and its recursive mkdir cost more than the writes
    target = os.path.join(spec.folder, spec.separator.join(keys))
    if _all_fill(chunk, spec.fill):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target)
        return
    data = _encode(spec, chunk)
    if spec.separator == "/":
        _make_folders(os.path.join(spec.folder, "c"), keys[1:-1])
    tmp = f"{target}.{uuid.uuid4().hex}.partial"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _make_folders(top: str, keys: list[str]) -> None:
    # from the top down: a new block's chunk makes each of its folders with no failed call,
    # where os.makedirs looks at every parent first
    folder = top
    for key in keys:
        folder = os.path.join(folder, key)
        try:
            os.mkdir(folder)
        except FileExistsError:
            continue
        except FileNotFoundError:  # the array's first chunk: its "c" folder is not there yet
            os.makedirs(os.path.join(top, *keys), exist_ok=True)
            return


def _all_fill(chunk: np.ndarray, fill: Any) -> bool:
    # Zarr's test of an empty chunk: NaN equals a NaN fill, and a zero fill is compared bit
    # for bit (-0.0 is data)
    kind = chunk.dtype.kind
    if kind == "O":
        return all(v == fill for v in chunk.flat)
    if kind == "f" and fill == 0.0:
        unsigned = np.dtype(f"u{chunk.dtype.itemsize}")
        return not chunk.view(unsigned).any()
    if kind == "f" and math.isnan(fill):
        return bool(np.isnan(chunk).all())
    return bool((chunk == fill).all())


def _encode(spec: ChunkSpec, chunk: np.ndarray) -> bytes:
    if spec.dtype.kind == "O":
        raw: Any = _vlen_utf8().encode(np.ascontiguousarray(chunk).reshape(-1))
    else:
        raw = np.ascontiguousarray(chunk).tobytes()
    if spec.zstd is not None:
        raw = _zstd(*spec.zstd).encode(np.frombuffer(raw, dtype=np.uint8))
    return bytes(raw)


@functools.cache
def _vlen_utf8() -> Any:
    from numcodecs.vlen import VLenUTF8

    return VLenUTF8()


@functools.cache
def _zstd(level: int, checksum: bool) -> Any:
    from numcodecs.zstd import Zstd

    return Zstd(level=level, checksum=checksum)
