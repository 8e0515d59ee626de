"""The safetensors reader: dtypes, BF16, many files, and every malformed header refused."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from pollama.convert.errors import ConvertError
from pollama.convert.safetensors_source import SafetensorsSource, from_float32, to_float32


def write_raw(path: Path, tensors: dict[str, tuple[str, tuple[int, ...], bytes]]) -> Path:
    """A safetensors file written by hand: any dtype name (BF16 included), exact bytes."""
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {
            "dtype": dtype,
            "shape": list(shape),
            "data_offsets": [offset, offset + len(data)],
        }
        offset += len(data)
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"".join(t[2] for t in tensors.values()))
    return path


def bf16_bits(values: list[float]) -> np.ndarray:
    """Exact BF16 patterns of values that BF16 represents exactly (top half of the float32)."""
    return (np.array(values, dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16)


def test_f32_and_f16_round_trip(tmp_path: Path) -> None:
    weights = np.arange(12, dtype=np.float32).reshape(3, 4) / 4
    save_file({"w": weights, "h": weights.astype(np.float16)}, str(tmp_path / "m.safetensors"))
    source = SafetensorsSource.open([tmp_path / "m.safetensors"])
    assert sorted(source.names()) == ["h", "w"]
    assert (source.dtype("w"), source.shape("w")) == ("F32", (3, 4))
    assert (source.dtype("h"), source.shape("h")) == ("F16", (3, 4))
    assert source.read("w").dtype == np.float32 and np.array_equal(source.read("w"), weights)
    assert source.read("h").dtype == np.float16 and np.array_equal(source.read("h"), weights)
    assert "w" in source and "x" not in source


def test_bf16_reads_as_bit_patterns(tmp_path: Path) -> None:
    values = [1.0, -2.5, 0.15625, 3.0e38, 0.0, -0.0]
    bits = bf16_bits(values)
    path = write_raw(tmp_path / "m.safetensors", {"b": ("BF16", (2, 3), bits.tobytes())})
    source = SafetensorsSource.open([path])
    assert source.dtype("b") == "BF16"
    read = source.read("b")
    assert read.dtype == np.uint16 and read.shape == (2, 3)
    assert np.array_equal(read.ravel(), bits)
    widened = to_float32(read, "BF16").ravel()
    assert widened.dtype == np.float32
    truncated = (np.array(values, dtype=np.float32).view(np.uint32) >> 16 << 16).view(np.float32)
    assert np.array_equal(widened, truncated)
    assert widened[:3].tolist() == [1.0, -2.5, 0.15625]


def test_tensors_of_many_files(tmp_path: Path) -> None:
    save_file({"a": np.ones((2, 2), np.float32)}, str(tmp_path / "model-1.safetensors"))
    save_file({"b": np.zeros(3, np.float16)}, str(tmp_path / "model-2.safetensors"))
    source = SafetensorsSource.open(
        [tmp_path / "model-1.safetensors", tmp_path / "model-2.safetensors"]
    )
    assert source.names() == ["a", "b"]
    assert source.file("b").name == "model-2.safetensors"
    assert source.read("a").sum() == 4 and source.read("b").shape == (3,)


def test_a_name_in_two_files_is_refused(tmp_path: Path) -> None:
    save_file({"a": np.ones(2, np.float32)}, str(tmp_path / "one.safetensors"))
    save_file({"a": np.ones(2, np.float32)}, str(tmp_path / "two.safetensors"))
    with pytest.raises(ConvertError, match=r"^a: in both one.safetensors and two.safetensors$"):
        SafetensorsSource.open([tmp_path / "one.safetensors", tmp_path / "two.safetensors"])


def test_unsupported_dtype_is_refused_by_name(tmp_path: Path) -> None:
    save_file(
        {"ids": np.arange(4, dtype=np.int64), "d": np.ones(2, np.float64)},
        str(tmp_path / "m.safetensors"),
    )
    source = SafetensorsSource.open([tmp_path / "m.safetensors"])  # opening is fine
    assert source.shape("ids") == (4,)
    with pytest.raises(ConvertError, match=r"^ids: unsupported tensor dtype I64 "):
        source.dtype("ids")
    with pytest.raises(ConvertError, match=r"^d: unsupported tensor dtype F64 "):
        source.read("d")


def test_unknown_tensor(tmp_path: Path) -> None:
    save_file({"a": np.ones(2, np.float32)}, str(tmp_path / "m.safetensors"))
    with pytest.raises(ConvertError, match=r"^nope: no such tensor$"):
        SafetensorsSource.open([tmp_path / "m.safetensors"]).shape("nope")


def test_empty_tensor(tmp_path: Path) -> None:
    path = write_raw(tmp_path / "m.safetensors", {"e": ("F32", (0, 4), b"")})
    assert SafetensorsSource.open([path]).read("e").shape == (0, 4)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x01\x02", r"m.safetensors: not a safetensors file \(too short\)"),
        (
            struct.pack("<Q", 1000) + b"{}",
            r"m.safetensors: header length 1000 is beyond the file's 10 bytes",
        ),
        (struct.pack("<Q", 5) + b"{oops", "m.safetensors: the header is not valid JSON: "),
        (struct.pack("<Q", 2) + b"[]", "m.safetensors: the header is not a JSON object"),
        (struct.pack("<Q", 2) + b"\xff\xfe", "m.safetensors: the header is not valid JSON: "),
    ],
)
def test_malformed_headers(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "m.safetensors"
    path.write_bytes(content)
    with pytest.raises(ConvertError, match=f"^{message}"):
        SafetensorsSource.open([path])


def test_truncated_data_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.safetensors"
    save_file({"w": np.ones((4, 4), np.float32)}, str(path))
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(
        ConvertError, match=r"^m.safetensors: w: data ends at byte \d+, the file has \d+$"
    ):
        SafetensorsSource.open([path])


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]},
            r"data_offsets span 4 bytes, shape \(2,\) of F32 needs 8",
        ),
        ({"dtype": "Q4", "shape": [2], "data_offsets": [0, 8]}, "unknown dtype 'Q4'"),
        ({"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}, r"invalid shape \[-2\]"),
        ({"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}, r"invalid data_offsets \[8, 0\]"),
        ({"dtype": "F32", "shape": [2]}, "invalid data_offsets None"),
        ("nope", "the header entry is not an object"),
    ],
)
def test_malformed_entries(tmp_path: Path, entry: object, message: str) -> None:
    raw = json.dumps({"w": entry}).encode()
    path = tmp_path / "m.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(8))
    with pytest.raises(ConvertError, match=rf"^m.safetensors: w: {message}"):
        SafetensorsSource.open([path])


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConvertError, match=r"^gone\.safetensors: "):
        SafetensorsSource.open([tmp_path / "gone.safetensors"])


def test_bf16_rounds_to_nearest_even() -> None:
    one = 0x3F80  # 1.0
    cases = {
        1.0: one,
        1.0 + 2**-8: one,  # halfway, even stays
        1.0 + 3 * 2**-8: one + 2,  # halfway, odd rounds up to even
        1.0 + 2**-8 + 2**-20: one + 1,  # above halfway
        -1.0: 0xBF80,
        float("inf"): 0x7F80,
        float("-inf"): 0xFF80,
        3.3895314e38: 0x7F7F,  # largest finite BF16
    }
    narrowed = from_float32(np.array(list(cases), dtype=np.float32), "BF16")
    assert narrowed.dtype == np.uint16
    assert narrowed.tolist() == list(cases.values())
    nan = from_float32(np.array([np.nan, -np.nan], dtype=np.float32), "BF16")
    assert np.isnan(to_float32(nan, "BF16")).all()


def test_float_conversions_keep_shape() -> None:
    values = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)
    for dtype in ("F32", "F16", "BF16"):
        narrowed = from_float32(values, dtype)
        assert narrowed.shape == (3, 4)
        assert np.allclose(to_float32(narrowed, dtype), values, atol=1e-2)
    assert from_float32(values, "F16").dtype == np.float16
    assert from_float32(values, "F32").dtype == np.float32
