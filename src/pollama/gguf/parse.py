"""A bounded GGUF parser: header, metadata and tensor infos, never the tensor data.

Every count and length read from the file is checked against the bytes that remain before
anything is allocated, so a corrupt or hostile file ends in a `GGUFError` that says what is
wrong, never in an IndexError, a MemoryError or a numpy error. The file is memory-mapped and
only its metadata pages are touched, so a multi-GB model parses in the time its metadata takes.
Both byte orders are read (the version field tells which one a file uses), versions 2 and 3.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from gguf.constants import (
    GGML_QUANT_SIZES,
    GGUF_DEFAULT_ALIGNMENT,
    GGMLQuantizationType,
    GGUFValueType,
)

from pollama.errors import BadRequest

MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
MAX_DIMS = 4  # GGML_MAX_DIMS
_INT64_MAX = 2**63 - 1

# Smallest possible encodings, used to bound counts by the bytes left in the file.
_MIN_KV_BYTES = 8 + 4 + 1  # empty key, value type, one-byte value
_MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8  # empty name, n_dims, type, offset
_STRING_LENGTH_BYTES = 8

# struct format character of each fixed-size GGUF value type (bool is read as a byte).
_FIXED_FORMATS: dict[int, str] = {
    GGUFValueType.UINT8: "B",
    GGUFValueType.INT8: "b",
    GGUFValueType.UINT16: "H",
    GGUFValueType.INT16: "h",
    GGUFValueType.UINT32: "I",
    GGUFValueType.INT32: "i",
    GGUFValueType.FLOAT32: "f",
    GGUFValueType.BOOL: "B",
    GGUFValueType.UINT64: "Q",
    GGUFValueType.INT64: "q",
    GGUFValueType.FLOAT64: "d",
}


class GGUFError(BadRequest):
    """The file is not a GGUF file pollama can read; the message says what is wrong."""


@dataclass(frozen=True)
class TensorInfo:
    """One tensor as the file describes it: `shape` in file order (ne0 first), as Ollama shows
    it; `offset` is relative to the start of the tensor data; `n_bytes` is its size there."""

    name: str
    type: str
    shape: list[int]
    offset: int
    n_bytes: int

    @property
    def n_elements(self) -> int:
        count = 1
        for dim in self.shape:
            count *= dim
        return count


@dataclass(frozen=True)
class ParsedGGUF:
    version: int
    byte_order: str  # "little" or "big"
    kv: dict[str, Any]
    tensors: list[TensorInfo]
    alignment: int
    data_offset: int  # absolute file offset where tensor data starts
    file_size: int


def parse_gguf(path: Path) -> ParsedGGUF:
    """Parse and validate a GGUF file's metadata. OSError (missing file...) passes through."""
    with open(path, "rb") as file:
        size = file.seek(0, 2)
        if size < len(MAGIC):
            raise GGUFError(f"not a GGUF file: bad magic (the file has only {size} bytes)")
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            return _Parser(buf, size).parse()


class _Parser:
    def __init__(self, buf: mmap.mmap, size: int) -> None:
        self.buf = buf
        self.size = size
        self.pos = 0
        self.order = "<"
        self.formats: dict[int, struct.Struct] = {}

    # -- bounded primitives -------------------------------------------------------------------

    def take(self, n: int, what: str) -> int:
        """Reserve `n` bytes at the cursor for `what`; return where they start."""
        start = self.pos
        if n > self.size - start:
            if n > self.size:
                raise GGUFError(
                    f"invalid GGUF: {what} at byte {start} claims {n} bytes, "
                    f"more than the whole file ({self.size} bytes)"
                )
            raise GGUFError(
                f"truncated GGUF: {what} at byte {start} needs {n} bytes "
                f"but the file has {self.size} bytes"
            )
        self.pos = start + n
        return start

    def fixed(self, value_type: int, what: str) -> Any:
        fmt = self.formats[value_type]
        (value,) = fmt.unpack_from(self.buf, self.take(fmt.size, what))
        return value

    def u32(self, what: str) -> int:
        return int(self.fixed(GGUFValueType.UINT32, what))

    def u64(self, what: str) -> int:
        return int(self.fixed(GGUFValueType.UINT64, what))

    def string(self, what: str) -> str:
        length = self.u64(f"length of {what}")
        start = self.take(length, what)
        return self.buf[start : start + length].decode("utf-8", "replace")

    def check_count(self, count: int, min_item_bytes: int, what: str) -> None:
        """Refuse a count whose items cannot fit in the bytes left, before allocating them."""
        needed = count * min_item_bytes
        if needed <= self.size - self.pos:
            return
        if needed > self.size:
            raise GGUFError(
                f"invalid GGUF: {what} at byte {self.pos} claims {count} items, "
                f"more than the whole file ({self.size} bytes) can hold"
            )
        raise GGUFError(
            f"truncated GGUF: {what} at byte {self.pos} has {count} items, which need at "
            f"least {needed} bytes but the file has {self.size} bytes"
        )

    # -- structure ----------------------------------------------------------------------------

    def parse(self) -> ParsedGGUF:
        magic = self.buf[:4]
        if magic != MAGIC:
            raise GGUFError(f"not a GGUF file: bad magic {magic!r} (expected {MAGIC!r})")
        self.pos = 4
        version = self.read_version()
        tensor_count = self.u64("tensor count")
        kv_count = self.u64("metadata count")
        needed = kv_count * _MIN_KV_BYTES + tensor_count * _MIN_TENSOR_INFO_BYTES
        if needed > self.size - self.pos:
            counts = f"{kv_count} metadata entries and {tensor_count} tensors"
            if needed > self.size:
                raise GGUFError(
                    f"invalid GGUF: the header claims {counts}, "
                    f"more than the whole file ({self.size} bytes) can hold"
                )
            raise GGUFError(
                f"truncated GGUF: the header's {counts} need at least {needed} more bytes "
                f"but the file has {self.size} bytes"
            )
        kv = self.read_metadata(kv_count)
        alignment = _alignment(kv)
        infos = [self.read_tensor_info(i) for i in range(tensor_count)]
        data_offset = -(-self.pos // alignment) * alignment
        tensors = _check_tensors(infos, alignment, data_offset, self.size)
        return ParsedGGUF(
            version=version,
            byte_order="little" if self.order == "<" else "big",
            kv=kv,
            tensors=tensors,
            alignment=alignment,
            data_offset=data_offset,
            file_size=self.size,
        )

    def read_version(self) -> int:
        start = self.take(4, "version")
        (version,) = struct.unpack_from("<I", self.buf, start)
        if version & 0xFFFF == 0 and version:  # written big-endian
            self.order = ">"
            (version,) = struct.unpack_from(">I", self.buf, start)
        self.formats = {t: struct.Struct(self.order + f) for t, f in _FIXED_FORMATS.items()}
        if version not in SUPPORTED_VERSIONS:
            raise GGUFError(f"unsupported GGUF version {version} (pollama reads versions 2 and 3)")
        return int(version)

    def read_metadata(self, count: int) -> dict[str, Any]:
        kv: dict[str, Any] = {}
        for index in range(count):
            key = self.string(f"metadata key {index}")
            if key in kv:
                raise GGUFError(f"invalid GGUF: duplicate metadata key {key!r}")
            value_type = self.u32(f"value type of {key!r}")
            kv[key] = self.read_value(key, value_type)
        return kv

    def read_value(self, key: str, value_type: int) -> Any:
        if value_type in _FIXED_FORMATS:
            value = self.fixed(value_type, f"value of {key!r}")
            return _plain(value_type, value)
        if value_type == GGUFValueType.STRING:
            return self.string(f"value of {key!r}")
        if value_type == GGUFValueType.ARRAY:
            return self.read_array(key)
        raise GGUFError(f"invalid GGUF: metadata key {key!r} has unknown value type {value_type}")

    def read_array(self, key: str) -> list[Any]:
        item_type = self.u32(f"array item type of {key!r}")
        count = self.u64(f"array length of {key!r}")
        if item_type == GGUFValueType.STRING:
            self.check_count(count, _STRING_LENGTH_BYTES, f"array {key!r}")
            return self.read_strings(key, count)
        if item_type not in _FIXED_FORMATS:
            raise GGUFError(
                f"invalid GGUF: metadata key {key!r} is an array of unsupported type {item_type}"
            )
        item = self.formats[item_type]
        self.check_count(count, item.size, f"array {key!r}")
        start = self.take(count * item.size, f"array {key!r}")
        # A bytes copy (bounded above) keeps numpy from holding an export of the mmap.
        raw = self.buf[start : self.pos]
        values = np.frombuffer(raw, dtype=np.dtype(item.format), count=count)
        if item_type == GGUFValueType.BOOL:
            return [bool(v) for v in values.tolist()]
        return list(values.tolist())

    def read_strings(self, key: str, count: int) -> list[str]:
        buf, size, unpack = self.buf, self.size, self.formats[GGUFValueType.UINT64].unpack_from
        pos = self.pos
        out: list[str] = []
        append = out.append
        for index in range(count):
            if pos + 8 > size:
                self.pos = pos
                self.take(8, f"length of item {index} of {key!r}")
            (length,) = unpack(buf, pos)
            pos += 8
            if length > size - pos:
                self.pos = pos
                self.take(length, f"item {index} of {key!r}")
            append(buf[pos : pos + length].decode("utf-8", "replace"))
            pos += length
        self.pos = pos
        return out

    def read_tensor_info(self, index: int) -> tuple[str, list[int], int, int]:
        name = self.string(f"name of tensor {index}")
        n_dims = self.u32(f"dimension count of tensor {name!r}")
        if n_dims > MAX_DIMS:
            raise GGUFError(
                f"invalid GGUF: tensor {name!r} has {n_dims} dimensions (at most {MAX_DIMS})"
            )
        shape = [self.u64(f"shape of tensor {name!r}") for _ in range(n_dims)]
        type_id = self.u32(f"type of tensor {name!r}")
        offset = self.u64(f"offset of tensor {name!r}")
        return name, shape, type_id, offset


def _plain(value_type: int, value: Any) -> Any:
    if value_type == GGUFValueType.BOOL:
        return value != 0
    if value_type == GGUFValueType.FLOAT32:
        return _float32(value)
    return value


def _float32(value: float) -> float:
    """The shortest decimal that is this float32 (1e-06, not 9.999999974752427e-07), as Go
    prints a float32 in JSON. Only for scalars: float32 arrays (vocabulary scores, 262k of
    them in gemma3) keep the exact double value, which costs nothing to convert."""
    return float(str(np.float32(value)))


def _alignment(kv: dict[str, Any]) -> int:
    alignment = kv.get("general.alignment", GGUF_DEFAULT_ALIGNMENT)
    if isinstance(alignment, bool) or not isinstance(alignment, int):
        raise GGUFError(
            f"invalid GGUF: general.alignment must be an unsigned integer, got {alignment!r}"
        )
    if alignment <= 0 or alignment & (alignment - 1):
        raise GGUFError(f"invalid GGUF: general.alignment must be a power of two, got {alignment}")
    return alignment


def _check_tensors(
    infos: list[tuple[str, list[int], int, int]], alignment: int, data_offset: int, size: int
) -> list[TensorInfo]:
    tensors: list[TensorInfo] = []
    seen: set[str] = set()
    data_end = 0
    for name, shape, type_id, offset in infos:
        if name in seen:
            raise GGUFError(f"invalid GGUF: duplicate tensor name {name!r}")
        seen.add(name)
        tensor = _tensor(name, shape, type_id, offset, alignment)
        data_end = max(data_end, data_offset + offset + tensor.n_bytes)
        tensors.append(tensor)
    if tensors and data_end > size:
        raise GGUFError(
            f"truncated GGUF: tensor data ends at {data_end} but the file has {size} bytes"
        )
    return tensors


def _tensor(name: str, shape: list[int], type_id: int, offset: int, alignment: int) -> TensorInfo:
    try:
        ggml_type = GGMLQuantizationType(type_id)
        block_size, type_size = GGML_QUANT_SIZES[ggml_type]
    except (ValueError, KeyError):
        raise GGUFError(f"invalid GGUF: tensor {name!r} has unknown type {type_id}") from None
    n_elements = 1
    for dim in shape:
        n_elements *= dim
    if n_elements > _INT64_MAX:
        raise GGUFError(f"invalid GGUF: tensor {name!r} has an impossible shape {shape}")
    if shape and shape[0] % block_size:
        raise GGUFError(
            f"invalid GGUF: tensor {name!r} has first dimension {shape[0]}, not a multiple "
            f"of the {ggml_type.name} block size {block_size}"
        )
    if offset % alignment:
        raise GGUFError(
            f"invalid GGUF: tensor {name!r} offset {offset} is not a multiple of the "
            f"alignment {alignment}"
        )
    n_bytes = n_elements // block_size * type_size
    return TensorInfo(name, ggml_type.name, shape, offset, n_bytes)
