"""Corrupt GGUF files: each is refused with a GGUFError that says what is wrong."""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest

from pollama.gguf import metadata
from pollama.gguf.metadata import GGUFError
from tests.fixtures import synthetic_gguf as synth


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return synth.write_tiny_gguf(tmp_path / "tiny.gguf", n_tensors=4)


def refused(path: Path) -> str:
    with pytest.raises(GGUFError) as caught:
        metadata.read_gguf(path)
    assert caught.value.status == 400
    return caught.value.message


def test_bad_magic(tiny: Path, tmp_path: Path) -> None:
    message = refused(synth.copy_with_bad_magic(tiny, tmp_path / "bad.gguf"))
    assert message == "not a GGUF file: bad magic b'GGML' (expected b'GGUF')"


@pytest.mark.parametrize("content", [b"", b"GG", b"PK\x03\x04rest of a zip file"])
def test_not_gguf_at_all(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.gguf"
    path.write_bytes(content)
    assert refused(path).startswith("not a GGUF file: bad magic")


@pytest.mark.parametrize("version", [0, 1, 4, 0xFFFF])
def test_unsupported_version(tiny: Path, tmp_path: Path, version: int) -> None:
    message = refused(synth.copy_with_version(tiny, tmp_path / "v.gguf", version))
    assert message == f"unsupported GGUF version {version} (pollama reads versions 2 and 3)"


def test_truncated_header(tiny: Path, tmp_path: Path) -> None:
    message = refused(synth.copy_truncated(tiny, tmp_path / "t.gguf", 10))
    assert (
        message == "truncated GGUF: tensor count at byte 8 needs 8 bytes but the file has 10 bytes"
    )


def test_truncated_metadata(tiny: Path, tmp_path: Path) -> None:
    cut = synth.key_value_offset(tiny, "tokenizer.ggml.tokens") + 30
    message = refused(synth.copy_truncated(tiny, tmp_path / "t.gguf", cut))
    assert message.startswith("truncated GGUF: ")
    assert "tokenizer.ggml.tokens" in message


def test_truncated_tensor_info(tiny: Path, tmp_path: Path) -> None:
    cut = synth.tensor_info_offset(tiny, "blk.0.attn_norm.weight") + 6
    message = refused(synth.copy_truncated(tiny, tmp_path / "t.gguf", cut))
    assert message.startswith("truncated GGUF: shape of tensor 'blk.0.attn_norm.weight'")


def test_tensor_data_past_the_end(tiny: Path, tmp_path: Path) -> None:
    info = metadata.read_gguf(tiny)
    size = tiny.stat().st_size
    last = info.tensors[-1]
    end = info.data_offset + last.offset + last.n_bytes
    assert end == size
    message = refused(synth.copy_truncated(tiny, tmp_path / "t.gguf", size - 1))
    assert message == f"truncated GGUF: tensor data ends at {end} but the file has {size - 1} bytes"


def test_absurd_string_length(tiny: Path, tmp_path: Path) -> None:
    message = refused(synth.copy_with_absurd_string_length(tiny, tmp_path / "s.gguf"))
    assert message == (
        f"invalid GGUF: metadata key 0 at byte 32 claims {2**62} bytes, "
        f"more than the whole file ({tiny.stat().st_size} bytes)"
    )


def test_string_length_past_the_end(tiny: Path, tmp_path: Path) -> None:
    size = tiny.stat().st_size
    path = synth.copy_with_absurd_string_length(tiny, tmp_path / "s.gguf", length=size - 10)
    assert refused(path).startswith("truncated GGUF: metadata key 0 at byte 32 needs")


def test_absurd_tensor_count(tiny: Path, tmp_path: Path) -> None:
    message = refused(synth.copy_with_absurd_tensor_count(tiny, tmp_path / "c.gguf"))
    assert message.startswith(f"invalid GGUF: the header claims 13 metadata entries and {2**60}")


def test_absurd_kv_count(tiny: Path, tmp_path: Path) -> None:
    message = refused(synth.copy_with_absurd_kv_count(tiny, tmp_path / "c.gguf"))
    assert message.startswith(f"invalid GGUF: the header claims {2**60} metadata entries")


@pytest.mark.parametrize("key", ["tokenizer.ggml.tokens", "tokenizer.ggml.scores"])
def test_absurd_array_length(tiny: Path, tmp_path: Path, key: str) -> None:
    message = refused(synth.copy_with_absurd_array_length(tiny, tmp_path / "a.gguf", key))
    assert message.startswith(f"invalid GGUF: array {key!r} at byte ")
    assert f"claims {2**61} items" in message


def test_unknown_value_type(tiny: Path, tmp_path: Path) -> None:
    path = synth.copy_with_value_type(tiny, tmp_path / "u.gguf", "llama.block_count", 99)
    assert (
        refused(path) == "invalid GGUF: metadata key 'llama.block_count' has unknown value type 99"
    )


@pytest.mark.parametrize("item_type", [9, 13, 2**32 - 1])
def test_unsupported_array_item_type(tiny: Path, tmp_path: Path, item_type: int) -> None:
    at = synth.key_value_offset(tiny, "tokenizer.ggml.tokens") + 4
    path = synth.copy_patched(tiny, tmp_path / "n.gguf", at, struct.pack("<I", item_type))
    assert refused(path) == (
        f"invalid GGUF: metadata key 'tokenizer.ggml.tokens' is an array of unsupported "
        f"type {item_type}"
    )


def test_duplicate_key(tiny: Path, tmp_path: Path) -> None:
    key = "tokenizer.ggml.bos_token_id"
    at = synth.key_value_offset(tiny, key) - len(key)
    path = synth.copy_patched(tiny, tmp_path / "d.gguf", at, b"tokenizer.ggml.eos_token_id")
    assert refused(path) == "invalid GGUF: duplicate metadata key 'tokenizer.ggml.eos_token_id'"


def test_duplicate_tensor_name(tiny: Path, tmp_path: Path) -> None:
    name = "blk.0.ffn_3.weight"
    at = synth.tensor_info_offset(tiny, name) - len(name)
    path = synth.copy_patched(tiny, tmp_path / "d.gguf", at, b"blk.0.ffn_2.weight")
    assert refused(path) == "invalid GGUF: duplicate tensor name 'blk.0.ffn_2.weight'"


@pytest.mark.parametrize(
    ("alignment", "problem"),
    [
        (3, "must be a power of two, got 3"),
        (0, "must be a power of two, got 0"),
        ("32", "must be an unsigned integer, got '32'"),
        (True, "must be an unsigned integer, got True"),
    ],
)
def test_bad_alignment(tmp_path: Path, alignment: object, problem: str) -> None:
    path = synth.write_tiny_gguf(tmp_path / "a.gguf", extra_kv={"general.alignment": alignment})
    assert refused(path) == f"invalid GGUF: general.alignment {problem}"


def test_misaligned_tensor_offset(tiny: Path, tmp_path: Path) -> None:
    at = synth.tensor_info_offset(tiny, "blk.0.attn_norm.weight") + 4 + 8 + 4
    path = synth.copy_patched(tiny, tmp_path / "m.gguf", at, struct.pack("<Q", 257))
    assert refused(path) == (
        "invalid GGUF: tensor 'blk.0.attn_norm.weight' offset 257 is not a multiple of the "
        "alignment 32"
    )


@pytest.mark.parametrize("type_id", [4, 77, 2**32 - 1])
def test_unknown_tensor_type(tiny: Path, tmp_path: Path, type_id: int) -> None:
    at = synth.tensor_info_offset(tiny, "blk.0.attn_norm.weight") + 4 + 8
    path = synth.copy_patched(tiny, tmp_path / "t.gguf", at, struct.pack("<I", type_id))
    assert refused(path) == (
        f"invalid GGUF: tensor 'blk.0.attn_norm.weight' has unknown type {type_id}"
    )


def test_row_not_a_multiple_of_the_block_size(tiny: Path, tmp_path: Path) -> None:
    at = synth.tensor_info_offset(tiny, "token_embd.weight") + 4 + 2 * 8
    path = synth.copy_patched(tiny, tmp_path / "b.gguf", at, struct.pack("<I", 12))  # Q4_K
    assert refused(path) == (
        "invalid GGUF: tensor 'token_embd.weight' has first dimension 16, not a multiple "
        "of the Q4_K block size 256"
    )


def test_too_many_dimensions(tiny: Path, tmp_path: Path) -> None:
    at = synth.tensor_info_offset(tiny, "blk.0.attn_norm.weight")
    path = synth.copy_patched(tiny, tmp_path / "d.gguf", at, struct.pack("<I", 5))
    assert refused(path) == (
        "invalid GGUF: tensor 'blk.0.attn_norm.weight' has 5 dimensions (at most 4)"
    )


def test_impossible_shape(tiny: Path, tmp_path: Path) -> None:
    at = synth.tensor_info_offset(tiny, "token_embd.weight") + 4
    path = synth.copy_patched(tiny, tmp_path / "s.gguf", at, struct.pack("<QQ", 2**62, 2**62))
    assert refused(path).startswith("invalid GGUF: tensor 'token_embd.weight' has an impossible")


def test_huge_shape_is_caught_by_the_file_size(tiny: Path, tmp_path: Path) -> None:
    at = synth.tensor_info_offset(tiny, "token_embd.weight") + 4
    path = synth.copy_patched(tiny, tmp_path / "s.gguf", at, struct.pack("<QQ", 16, 2**40))
    assert refused(path).startswith("truncated GGUF: tensor data ends at ")


def _read_all_ways(path: Path) -> None:
    """Read a file; on success every derived view must work too."""
    try:
        info = metadata.read_gguf(path)
    except GGUFError as error:
        assert error.message.startswith(
            ("not a GGUF", "unsupported GGUF", "truncated GGUF", "invalid GGUF")
        )
        return
    metadata.details(info)
    metadata.config_fields(info)
    metadata.model_info(info)
    metadata.model_info(info, verbose=True)
    metadata.tensor_list(info)
    metadata.capabilities(info)
    metadata.layer_kind(info)


def test_fuzz_truncation_at_every_header_byte(tmp_path: Path) -> None:
    source = synth.write_tiny_gguf(tmp_path / "src.gguf", chat_template="{{ x }}", n_tensors=3)
    data = source.read_bytes()
    header_end = metadata.read_gguf(source).data_offset
    target = tmp_path / "cut.gguf"
    for size in range(header_end + 1):
        target.write_bytes(data[:size])
        with pytest.raises(GGUFError):
            metadata.read_gguf(target)
    target.write_bytes(data)
    metadata.read_gguf(target)


def test_fuzz_flipped_bytes(tmp_path: Path) -> None:
    source = synth.write_tiny_gguf(tmp_path / "src.gguf", chat_template="{{ x }}", n_tensors=3)
    data = source.read_bytes()
    header_end = metadata.read_gguf(source).data_offset
    rng = random.Random(20240607)
    target = tmp_path / "flip.gguf"
    for _ in range(800):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(header_end)
            mutated[at] = rng.choice([0x00, 0xFF, rng.randrange(256), mutated[at] ^ 0x80])
        target.write_bytes(bytes(mutated))
        _read_all_ways(target)
