"""Reading a SentencePiece `tokenizer.model`: the ModelProto protobuf, decoded by hand.

Only what a GGUF vocabulary needs is kept: each piece's text, score and type (ModelProto field
1: {1: piece, 2: score, 3: type}), the trainer's model type (field 2, TrainerSpec.model_type)
and the normalizer's add_dummy_prefix / remove_extra_whitespaces (field 3, NormalizerSpec
fields 3 and 4). Every other field is skipped by its wire type.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pollama.convert.errors import ConvertError

FILE_NAME = "tokenizer.model"

# SentencePiece piece types: the same numbers GGUF uses for token types.
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
MODEL_TYPES = {1: "unigram", 2: "bpe", 3: "word", 4: "char"}

_VARINT, _FIXED64, _LENGTH_DELIMITED, _FIXED32 = 0, 1, 2, 5


@dataclass(frozen=True)
class SentencePieceModel:
    pieces: list[str]
    scores: list[float]
    types: list[int]
    model_type: str  # "unigram", "bpe", "word" or "char"
    add_dummy_prefix: bool
    remove_extra_whitespaces: bool


def read_sentencepiece(path: Path) -> SentencePieceModel:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ConvertError(f"{FILE_NAME}: {err.strerror or err}") from err
    return parse_sentencepiece(data)


def parse_sentencepiece(data: bytes) -> SentencePieceModel:
    pieces: list[str] = []
    scores: list[float] = []
    types: list[int] = []
    model_type = 1  # the proto default: unigram
    # NormalizerSpec defaults, for a model that leaves them out.
    add_dummy_prefix = True
    remove_extra_whitespaces = True
    for field, wire_type, value in _fields(data):
        if field == 1 and isinstance(value, bytes):
            text, score, piece_type = _piece(value, len(pieces))
            pieces.append(text)
            scores.append(score)
            types.append(piece_type)
        elif field == 2 and isinstance(value, bytes):
            for sub_field, _, sub_value in _fields(value):
                if sub_field == 3 and isinstance(sub_value, int):
                    model_type = sub_value
        elif field == 3 and isinstance(value, bytes):
            for sub_field, _, sub_value in _fields(value):
                if sub_field == 3 and isinstance(sub_value, int):
                    add_dummy_prefix = bool(sub_value)
                elif sub_field == 4 and isinstance(sub_value, int):
                    remove_extra_whitespaces = bool(sub_value)
        elif field in (1, 2, 3):
            raise ConvertError(f"{FILE_NAME}: field {field} has wire type {wire_type}")
    if not pieces:
        raise ConvertError(f"{FILE_NAME}: no pieces (not a SentencePiece model?)")
    if model_type not in MODEL_TYPES:
        raise ConvertError(f"{FILE_NAME}: unknown model type {model_type}")
    return SentencePieceModel(
        pieces=pieces,
        scores=scores,
        types=types,
        model_type=MODEL_TYPES[model_type],
        add_dummy_prefix=add_dummy_prefix,
        remove_extra_whitespaces=remove_extra_whitespaces,
    )


def _piece(data: bytes, index: int) -> tuple[str, float, int]:
    text: str | None = None
    score = 0.0
    piece_type = NORMAL
    for field, _, value in _fields(data):
        if field == 1 and isinstance(value, bytes):
            try:
                text = value.decode("utf-8")
            except UnicodeDecodeError as err:
                raise ConvertError(f"{FILE_NAME}: piece {index} is not valid UTF-8") from err
        elif field == 2 and isinstance(value, float):
            score = value
        elif field == 3 and isinstance(value, int):
            piece_type = value
    if text is None:
        raise ConvertError(f"{FILE_NAME}: piece {index} has no text")
    if not NORMAL <= piece_type <= BYTE:
        raise ConvertError(f"{FILE_NAME}: piece {index} ({text!r}) has unknown type {piece_type}")
    return text, score, piece_type


def _fields(data: bytes) -> Iterator[tuple[int, int, int | float | bytes]]:
    """(field number, wire type, value): varints as int, fixed32 as float (the only fixed32
    fields read are scores), fixed64 as raw bytes, length-delimited as bytes."""
    pos = 0
    end = len(data)
    while pos < end:
        key, pos = _varint(data, pos)
        field, wire_type = key >> 3, key & 7
        if field == 0:
            raise ConvertError(f"{FILE_NAME}: invalid field number 0 at byte {pos}")
        value: int | float | bytes
        if wire_type == _VARINT:
            value, pos = _varint(data, pos)
        elif wire_type == _FIXED32:
            _need(data, pos, 4)
            value = struct.unpack_from("<f", data, pos)[0]
            pos += 4
        elif wire_type == _FIXED64:
            _need(data, pos, 8)
            value = data[pos : pos + 8]
            pos += 8
        elif wire_type == _LENGTH_DELIMITED:
            length, pos = _varint(data, pos)
            _need(data, pos, length)
            value = data[pos : pos + length]
            pos += length
        else:
            raise ConvertError(f"{FILE_NAME}: unsupported wire type {wire_type} at byte {pos}")
        yield field, wire_type, value


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = 0
    for shift in range(0, 70, 7):
        if pos >= len(data):
            raise ConvertError(f"{FILE_NAME}: truncated at byte {pos}")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
    raise ConvertError(f"{FILE_NAME}: varint too long at byte {pos}")


def _need(data: bytes, pos: int, length: int) -> None:
    if pos + length > len(data):
        raise ConvertError(f"{FILE_NAME}: truncated at byte {len(data)} ({length} bytes expected)")
