"""Synthetic GGUF files: classification, capabilities, model_info shaping, formatting."""

from __future__ import annotations

from pathlib import Path

import pytest
from gguf import GGUFValueType

from pollama.errors import BadRequest
from pollama.gguf import metadata
from tests.fixtures.synthetic_gguf import VOCAB, tiny_parameter_count, write_tiny_gguf


def read(tmp_path: Path, **kwargs: object) -> metadata.GGUFInfo:
    return metadata.read_gguf(write_tiny_gguf(tmp_path / "tiny.gguf", **kwargs))  # type: ignore[arg-type]


def test_tiny_file_basics(tmp_path: Path) -> None:
    path = write_tiny_gguf(tmp_path / "tiny.gguf")
    assert path.stat().st_size < 4096
    info = metadata.read_gguf(path)
    assert info.path == path
    assert info.architecture == "llama"
    assert info.general_type == ""
    assert info.file_type == "F16"
    assert info.parameter_count == tiny_parameter_count() == 8 * 16 + 16
    assert info.tensor_data_bytes == 2 * info.parameter_count
    assert (info.context_length, info.embedding_length, info.block_count) == (2048, 16, 1)
    assert info.chat_template is None
    assert metadata.layer_kind(info) == "model"
    assert metadata.capabilities(info) == ["completion"]
    assert metadata.details(info)["parameter_size"] == "144"
    assert metadata.tensor_list(info) == [
        {"name": "token_embd.weight", "type": "F16", "shape": [16, 8]},
        {"name": "blk.0.attn_norm.weight", "type": "F16", "shape": [16]},
    ]


def test_error_is_a_bad_request(tmp_path: Path) -> None:
    path = tmp_path / "x.gguf"
    path.write_bytes(b"not a model at all")
    with pytest.raises(BadRequest) as caught:
        metadata.read_gguf(path)
    assert isinstance(caught.value, metadata.GGUFError)
    assert caught.value.status == 400


def test_chat_template(tmp_path: Path) -> None:
    info = read(tmp_path, chat_template="{% for m in messages %}{{ m.content }}{% endfor %}")
    assert info.chat_template == "{% for m in messages %}{{ m.content }}{% endfor %}"
    assert "tokenizer.chat_template" not in metadata.model_info(info)
    assert "general.name" not in metadata.model_info(info)
    assert info.kv["general.name"] == "tiny test model"


def test_adapter(tmp_path: Path) -> None:
    info = read(tmp_path, general_type="adapter", extra_kv={"adapter.type": "lora"})
    assert info.is_adapter and not info.is_projector
    assert metadata.layer_kind(info) == "adapter"


@pytest.mark.parametrize("general_type", ["projector", "mmproj"])
def test_projector_by_type(tmp_path: Path, general_type: str) -> None:
    info = read(tmp_path, general_type=general_type)
    assert info.is_projector
    assert metadata.layer_kind(info) == "projector"


def test_vision_tower_without_text_blocks_is_a_projector(tmp_path: Path) -> None:
    info = read(tmp_path, extra_kv={"llama.block_count": None, "llama.vision.block_count": 4})
    assert info.has_vision and info.is_projector
    assert metadata.layer_kind(info) == "projector"


def test_clip_file_is_a_projector(tmp_path: Path) -> None:
    info = read(
        tmp_path,
        arch="clip",
        extra_kv={"clip.block_count": None, "clip.has_vision_encoder": True},
    )
    assert info.is_projector
    assert metadata.details(info)["family"] == "clip"


def test_adapter_wins_over_projector(tmp_path: Path) -> None:
    info = read(
        tmp_path,
        general_type="adapter",
        extra_kv={"llama.block_count": None, "llama.vision.block_count": 2},
    )
    assert metadata.layer_kind(info) == "adapter"


def test_vision_model(tmp_path: Path) -> None:
    info = read(tmp_path, arch="gemma3", extra_kv={"gemma3.vision.block_count": 27})
    assert info.has_vision and not info.is_projector
    assert metadata.layer_kind(info) == "model"
    assert metadata.capabilities(info) == ["completion", "vision"]


def test_embedding_model(tmp_path: Path) -> None:
    info = read(tmp_path, arch="bert", pooling_type=1)
    assert info.pooling_type == 1
    assert metadata.capabilities(info) == ["embedding"]
    assert metadata.model_info(info)["bert.pooling_type"] == 1


def test_pooling_type_zero_still_means_embedding(tmp_path: Path) -> None:
    info = read(tmp_path, arch="bert", pooling_type=0)
    assert info.pooling_type == 0
    assert metadata.capabilities(info) == ["embedding"]


def test_arrays_longer_than_five_are_emptied_unless_verbose(tmp_path: Path) -> None:
    info = read(tmp_path, extra_kv={"x.five": [1, 2, 3, 4, 5], "x.six": ["a"] * 6})
    plain = metadata.model_info(info)
    assert plain["tokenizer.ggml.tokens"] == []
    assert plain["tokenizer.ggml.scores"] == []
    assert plain["x.six"] == []
    assert plain["x.five"] == [1, 2, 3, 4, 5]
    verbose = metadata.model_info(info, verbose=True)
    assert verbose["tokenizer.ggml.tokens"] == VOCAB
    assert verbose["tokenizer.ggml.scores"] == [0.0, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0]
    assert verbose["tokenizer.ggml.token_type"] == [3, 3, 3, 1, 1, 1, 1, 1]
    assert verbose["x.six"] == ["a"] * 6


def test_model_info_parameter_count_is_computed(tmp_path: Path) -> None:
    info = read(tmp_path, n_tensors=4, extra_kv={"general.parameter_count": 999})
    model_info = metadata.model_info(info)
    assert model_info["general.parameter_count"] == tiny_parameter_count(4) == 144 + 2 * 256
    assert list(model_info) == sorted(model_info)


def test_value_types_become_plain_python(tmp_path: Path) -> None:
    info = read(
        tmp_path,
        extra_kv={
            "t.u8": (200, GGUFValueType.UINT8),
            "t.i8": (-100, GGUFValueType.INT8),
            "t.u16": (60000, GGUFValueType.UINT16),
            "t.i16": (-30000, GGUFValueType.INT16),
            "t.i32": (-5, GGUFValueType.INT32),
            "t.u64": (2**40, GGUFValueType.UINT64),
            "t.i64": (-(2**40), GGUFValueType.INT64),
            "t.f32": 0.1,
            "t.f64": (0.1, GGUFValueType.FLOAT64),
            "t.bool": False,
            "t.str": "héllo",
            "t.bools": [True, False],
            "t.floats": ([0.5, 1.5], GGUFValueType.ARRAY),
            "t.i64s": [-(2**40), 1],
        },
    )
    kv = info.kv
    assert (kv["t.u8"], kv["t.i8"], kv["t.u16"], kv["t.i16"]) == (200, -100, 60000, -30000)
    assert (kv["t.i32"], kv["t.u64"], kv["t.i64"]) == (-5, 2**40, -(2**40))
    assert kv["t.f32"] == 0.1  # the float32 printed as its shortest decimal
    assert kv["t.f64"] == 0.1
    assert kv["t.bool"] is False
    assert kv["t.str"] == "héllo"
    assert kv["t.bools"] == [True, False]
    assert kv["t.floats"] == [0.5, 1.5]
    assert kv["t.i64s"] == [-(2**40), 1]
    for value in kv.values():
        assert type(value) in (str, int, float, bool, list)


def test_big_endian_file(tmp_path: Path) -> None:
    info = read(tmp_path, big_endian=True, extra_kv={"x.arr": [1, 2, 3]})
    assert info.architecture == "llama"
    assert info.kv["x.arr"] == [1, 2, 3]
    assert info.kv["tokenizer.ggml.tokens"] == VOCAB
    assert info.parameter_count == tiny_parameter_count()


def test_custom_alignment(tmp_path: Path) -> None:
    info = read(tmp_path, extra_kv={"general.alignment": 64})
    assert info.alignment == 64
    assert info.data_offset % 64 == 0


def test_missing_architecture_reads_as_unknown(tmp_path: Path) -> None:
    info = read(tmp_path, extra_kv={"general.architecture": None, "general.file_type": None})
    assert info.architecture == "unknown"
    assert info.file_type == "unknown"
    assert metadata.details(info)["family"] == "unknown"
    assert metadata.config_fields(info)["model_family"] == "unknown"


def test_config_fields_omit_missing_lengths(tmp_path: Path) -> None:
    fields = metadata.config_fields(
        read(tmp_path, extra_kv={"llama.context_length": None, "llama.embedding_length": None})
    )
    assert "context_length" not in fields and "embedding_length" not in fields
    assert fields["model_type"] == "144"


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0"),
        (999, "999"),
        (1000, "1K"),
        (135_000, "135K"),
        (999_999, "1000K"),
        (1_000_000, "1M"),
        (268_098_176, "268.10M"),
        (134_515_008, "134.52M"),
        (1_999_999, "2.00M"),
        (7_000_000_000, "7B"),
        (8_030_261_248, "8.0B"),
        (1_500_000_000, "1.5B"),
        (70_553_706_496, "70.6B"),
    ],
)
def test_human_number(n: int, text: str) -> None:
    assert metadata.human_number(n) == text


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (0, "F32"),
        (1, "F16"),
        (2, "Q4_0"),
        (4, "MXFP4"),
        (7, "Q8_0"),
        (15, "Q4_K_M"),
        (18, "Q6_K"),
        (32, "BF16"),
        (1024, "unknown"),
        (5, "unknown"),
        (99999, "unknown"),
        (None, "unknown"),
        ("Q4_K_M", "unknown"),
        (True, "unknown"),
    ],
)
def test_file_type_names(value: object, name: str) -> None:
    assert metadata.file_type_name(value) == name
