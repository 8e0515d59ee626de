"""A SentencePiece `tokenizer.model` writer for tests: the ModelProto in protobuf wire format,
written by hand (no sentencepiece or protobuf package is installed).

Only the fields pollama and llama.cpp read are written: `pieces` (field 1, repeated
{1: piece, 2: score, 3: type}), `trainer_spec` (field 2: model_type 3, vocab_size 4,
byte_fallback 35) and `normalizer_spec` (field 3: name 1, add_dummy_prefix 3,
remove_extra_whitespaces 4, escape_whitespaces 5).
"""

from __future__ import annotations

import struct
from pathlib import Path

# SentencePiece piece types; the same numbers as GGUF token types.
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6

# TrainerSpec.model_type values.
UNIGRAM, BPE = 1, 2

_VARINT, _FIXED32, _LENGTH_DELIMITED = 0, 5, 2


def write_sentencepiece_model(
    path: Path,
    pieces: list[tuple[str, float, int]],
    *,
    add_dummy_prefix: bool,
    remove_extra_whitespaces: bool = False,
    model_type: int = BPE,
) -> None:
    """Write `pieces` as (text, score, type) in id order, with the given normalizer flags."""
    byte_fallback = any(piece_type == BYTE for _, _, piece_type in pieces)
    out = bytearray()
    for text, score, piece_type in pieces:
        piece = _string(1, text) + _fixed32(2, score) + _varint_field(3, piece_type)
        out += _message(1, piece)
    trainer = _varint_field(3, model_type) + _varint_field(4, len(pieces))
    trainer += _varint_field(35, int(byte_fallback))
    out += _message(2, trainer)
    normalizer = _string(1, "identity")
    normalizer += _varint_field(3, int(add_dummy_prefix))
    normalizer += _varint_field(4, int(remove_extra_whitespaces))
    normalizer += _varint_field(5, 1)
    out += _message(3, normalizer)
    Path(path).write_bytes(bytes(out))


def byte_pieces() -> list[tuple[str, float, int]]:
    """The 256 byte-fallback pieces `<0x00>`..`<0xFF>`, as SentencePiece names them."""
    return [(f"<0x{value:02X}>", 0.0, BYTE) for value in range(256)]


def _varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64  # protobuf encodes negative int32/int64 as 10-byte two's complement
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _tag(field: int, wire_type: int) -> bytes:
    return _varint(field << 3 | wire_type)


def _varint_field(field: int, value: int) -> bytes:
    return _tag(field, _VARINT) + _varint(value)


def _fixed32(field: int, value: float) -> bytes:
    return _tag(field, _FIXED32) + struct.pack("<f", value)


def _string(field: int, text: str) -> bytes:
    return _message(field, text.encode("utf-8"))


def _message(field: int, payload: bytes) -> bytes:
    return _tag(field, _LENGTH_DELIMITED) + _varint(len(payload)) + payload
