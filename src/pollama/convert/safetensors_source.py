"""Tensors of one or many safetensors files, read one at a time.

A safetensors file is a little-endian u64 header length, a JSON header mapping each tensor
name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the end of the
header; `__metadata__` holds free-form strings), then the raw data. Opening reads and checks
only the headers; `read` seeks and reads one tensor into a fresh array. No mmap: mapped pages
count in the process's resident memory, and a conversion must stay bounded by one tensor.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pollama.convert.errors import ConvertError
from pollama.convert.plan import OutputType

# Bytes per element of every dtype safetensors defines, so that any header can be checked;
# only SUPPORTED ones can be read.
_ITEM_SIZES = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "I64": 8,
    "U64": 8,
    "F64": 8,
}
# The numpy array dtype of each readable tensor type; BF16 travels as its uint16 bit pattern.
_ARRAY_DTYPES: dict[str, np.dtype[Any]] = {
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),
}
SUPPORTED: tuple[OutputType, ...] = ("F32", "F16", "BF16")
_HEADER_LIMIT = 100 * 1024 * 1024  # safetensors' own cap on the JSON header


@dataclass(frozen=True)
class _Entry:
    path: Path
    dtype: str
    shape: tuple[int, ...]
    offset: int  # absolute position of the first data byte in the file
    nbytes: int


class SafetensorsSource:
    """The tensors of a set of safetensors files, by name (a name may appear in one file only)."""

    def __init__(self, entries: dict[str, _Entry]) -> None:
        self._entries = entries

    @classmethod
    def open(cls, paths: list[Path]) -> SafetensorsSource:
        entries: dict[str, _Entry] = {}
        for path in paths:
            for name, entry in _read_header(path).items():
                if name in entries:
                    raise ConvertError(f"{name}: in both {entries[name].path.name} and {path.name}")
                entries[name] = entry
        return cls(entries)

    def names(self) -> list[str]:
        """Every tensor name, in file order then header order."""
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def dtype(self, name: str) -> OutputType:
        dtype = self._entry(name).dtype
        for supported in SUPPORTED:
            if dtype == supported:
                return supported
        raise ConvertError(f"{name}: unsupported tensor dtype {dtype} (expected F32, F16 or BF16)")

    def shape(self, name: str) -> tuple[int, ...]:
        return self._entry(name).shape

    def file(self, name: str) -> Path:
        return self._entry(name).path

    def read(self, name: str) -> np.ndarray:
        """The tensor's data: float32, float16, or uint16 bit patterns for BF16."""
        entry = self._entry(name)
        array = np.empty(entry.shape, dtype=_ARRAY_DTYPES[self.dtype(name)])
        if array.size == 0:
            return array
        with open(entry.path, "rb") as file:
            file.seek(entry.offset)
            count = file.readinto(array.data.cast("B"))
        if count != entry.nbytes:
            raise ConvertError(f"{entry.path.name}: {name}: file ends inside the tensor's data")
        return array

    def _entry(self, name: str) -> _Entry:
        try:
            return self._entries[name]
        except KeyError:
            raise ConvertError(f"{name}: no such tensor") from None


def _read_header(path: Path) -> dict[str, _Entry]:
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as file:
            prefix = file.read(8)
            if len(prefix) < 8:
                raise ConvertError(f"{path.name}: not a safetensors file (too short)")
            length = int.from_bytes(prefix, "little")
            if length > size - 8:
                raise ConvertError(
                    f"{path.name}: header length {length} is beyond the file's {size} bytes"
                )
            if length > _HEADER_LIMIT:
                raise ConvertError(f"{path.name}: header length {length} is over 100 MiB")
            raw = file.read(length)
    except OSError as exc:
        raise ConvertError(f"{path.name}: {exc.strerror or exc}") from exc
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConvertError(f"{path.name}: the header is not valid JSON: {exc}") from exc
    if not isinstance(header, dict):
        raise ConvertError(f"{path.name}: the header is not a JSON object")
    data_start = 8 + length
    entries = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        entries[name] = _entry(path, name, info, data_start, size)
    return entries


def _entry(path: Path, name: str, info: Any, data_start: int, size: int) -> _Entry:
    where = f"{path.name}: {name}"
    if not isinstance(info, dict):
        raise ConvertError(f"{where}: the header entry is not an object")
    dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in _ITEM_SIZES:
        raise ConvertError(f"{where}: unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(_natural(dim) for dim in shape):
        raise ConvertError(f"{where}: invalid shape {shape!r}")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(_natural(offset) for offset in offsets)
        or offsets[0] > offsets[1]
    ):
        raise ConvertError(f"{where}: invalid data_offsets {offsets!r}")
    begin, end = offsets
    expected = math.prod(shape) * _ITEM_SIZES[dtype]
    if end - begin != expected:
        raise ConvertError(
            f"{where}: data_offsets span {end - begin} bytes, "
            f"shape {tuple(shape)} of {dtype} needs {expected}"
        )
    if data_start + end > size:
        raise ConvertError(f"{where}: data ends at byte {data_start + end}, the file has {size}")
    return _Entry(path, dtype, tuple(shape), data_start + begin, expected)


def _natural(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def to_float32(array: np.ndarray, dtype: OutputType) -> np.ndarray:
    """`array` as read (or as `from_float32` made it) widened to float32."""
    if dtype == "BF16":
        return (array.astype(np.uint32) << 16).view(np.float32)
    return array.astype(np.float32, copy=False)


def from_float32(array: np.ndarray, dtype: OutputType) -> np.ndarray:
    """float32 `array` narrowed to `dtype`'s array type: BF16 rounds to nearest even and keeps
    NaN a (quiet) NaN; F16 uses numpy's rounding."""
    if dtype == "F32":
        return array.astype(np.float32, copy=False)
    if dtype == "F16":
        return array.astype(np.float16)
    bits = np.ascontiguousarray(array, dtype=np.float32).view(np.uint32)
    rounded = (bits + (np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1)))) >> 16
    quiet_nan = (bits >> 16) | np.uint32(0x0040)
    is_nan = (bits & np.uint32(0x7FFFFFFF)) > np.uint32(0x7F800000)
    return np.where(is_nan, quiet_nan, rounded).astype(np.uint16)
