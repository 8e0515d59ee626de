"""Special token ids, add_bos / add_eos and the chat template, from the files of a Hugging Face
directory, in gguf-py SpecialVocab's order."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from gguf import GGUFValueType

from pollama.convert.errors import ConvertError
from pollama.convert.tokenizer import tokenizer_metadata
from tests.convert.test_tokenizer_bpe import minimal_tokenizer_json

# The vocabulary of minimal_tokenizer_json, padded to 10: <|endoftext|> 0, a 1, b 2, ab 3,
# <|im_start|> 5, "hello world" 6.
VOCAB_SIZE = 10
BYTE_LEVEL = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False}
BOS_TEMPLATE = {
    "type": "TemplateProcessing",
    "single": [
        {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}},
        {"Sequence": {"id": "A", "type_id": 0}},
    ],
    "pair": [],
    "special_tokens": {},
}


def directory_with(tmp_path: Path, **files: Any) -> Path:
    """A directory with minimal_tokenizer_json as tokenizer.json (override with the
    `tokenizer` keyword) and the other files given, as JSON (`tokenizer_config` ->
    tokenizer_config.json) or text (names with a dot)."""
    tokenizer = files.pop("tokenizer", minimal_tokenizer_json())
    (tmp_path / "tokenizer.json").write_text(json.dumps(tokenizer))
    for name, content in files.items():
        if "." in name:
            (tmp_path / name).write_text(content)
        else:
            (tmp_path / f"{name}.json").write_text(json.dumps(content))
    return tmp_path


def special(directory: Path) -> dict[str, Any]:
    return {
        kv.key.removeprefix("tokenizer.").removeprefix("ggml."): kv.value
        for kv in tokenizer_metadata(directory, VOCAB_SIZE)
        if kv.key.endswith(("_token_id", "_token")) or kv.key == "tokenizer.chat_template"
    }


def test_nothing_named_writes_no_keys(tmp_path: Path) -> None:
    assert special(directory_with(tmp_path)) == {}


def test_tokenizer_config_names_tokens_as_strings_or_objects(tmp_path: Path) -> None:
    config = {
        "bos_token": {"content": "<|im_start|>", "lstrip": False},
        "eos_token": "<|endoftext|>",
        "pad_token": "ab",  # only in the vocabulary
        "unk_token": None,
        "add_bos_token": True,
        "add_eos_token": False,
    }
    got = special(directory_with(tmp_path, tokenizer_config=config))
    assert got == {
        "bos_token_id": 5,
        "eos_token_id": 0,
        "padding_token_id": 3,
        "add_bos_token": True,
        "add_eos_token": False,
    }


def test_special_tokens_map_fills_in_and_added_tokens_decoder_resolves(tmp_path: Path) -> None:
    config = {"added_tokens_decoder": {"7": {"content": "<sep>", "special": True}}}
    directory = directory_with(
        tmp_path,
        tokenizer_config=config,
        special_tokens_map={"sep_token": {"content": "<sep>"}, "unk_token": "b"},
    )
    # No EOS named: the SEP token stands in, as in SpecialVocab.
    got = special(directory)
    assert got == {"seperator_token_id": 7, "eos_token_id": 7, "unknown_token_id": 2}


def test_config_json_ids_come_after_the_tokenizer_config(tmp_path: Path) -> None:
    directory = directory_with(
        tmp_path,
        tokenizer_config={"eos_token": "<|im_start|>"},
        config={"bos_token_id": 1, "eos_token_id": 0, "pad_token_id": 2},
    )
    assert special(directory) == {"bos_token_id": 1, "eos_token_id": 5, "padding_token_id": 2}


def test_id_lists_give_their_first_and_generation_config_comes_last(tmp_path: Path) -> None:
    directory = directory_with(
        tmp_path,
        config={"eos_token_id": [5, 0], "text_config": {"bos_token_id": 1}},
        generation_config={"bos_token_id": 2, "eos_token_id": 3, "pad_token_id": 6},
    )
    assert special(directory) == {"bos_token_id": 1, "eos_token_id": 5, "padding_token_id": 6}


def test_ids_outside_the_vocabulary_are_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = directory_with(
        tmp_path, config={"bos_token_id": VOCAB_SIZE, "eos_token_id": -1, "pad_token_id": True}
    )
    with caplog.at_level(logging.WARNING):
        assert special(directory) == {}
    assert "bos token id 10 is outside the vocabulary" in caplog.text


def test_byte_level_post_processor_turns_the_flags_off(tmp_path: Path) -> None:
    tokenizer = minimal_tokenizer_json(post_processor=BYTE_LEVEL)
    got = special(directory_with(tmp_path, tokenizer=tokenizer))
    assert got == {"add_bos_token": False, "add_eos_token": False}


def test_a_template_starting_with_bos_sets_add_bos_over_the_config(tmp_path: Path) -> None:
    processor = {"type": "Sequence", "processors": [BYTE_LEVEL, BOS_TEMPLATE]}
    directory = directory_with(
        tmp_path,
        tokenizer=minimal_tokenizer_json(post_processor=processor),
        tokenizer_config={"bos_token": "<|endoftext|>", "add_bos_token": False},
    )
    got = special(directory)
    assert got == {"bos_token_id": 0, "add_bos_token": True, "add_eos_token": False}


def test_a_template_names_the_bos_when_nothing_else_does(tmp_path: Path) -> None:
    tokenizer = minimal_tokenizer_json(post_processor=BOS_TEMPLATE)
    got = special(directory_with(tmp_path, tokenizer=tokenizer))
    assert got == {"bos_token_id": 0, "add_bos_token": True}


def test_cls_stands_in_for_a_missing_bos(tmp_path: Path) -> None:
    directory = directory_with(tmp_path, tokenizer_config={"cls_token": "<|im_start|>"})
    assert special(directory) == {"bos_token_id": 5}


@pytest.mark.parametrize(
    ("files", "template"),
    [
        ({"tokenizer_config": {"chat_template": "{{ messages }}"}}, "{{ messages }}"),
        (
            {
                "tokenizer_config": {
                    "chat_template": [
                        {"name": "tool_use", "template": "tools"},
                        {"name": "default", "template": "plain"},
                    ]
                }
            },
            "plain",
        ),
        ({"tokenizer_config": {"chat_template": [{"name": "rag", "template": "r"}]}}, None),
        ({"chat_template.jinja": "from jinja"}, "from jinja"),
        (
            {"tokenizer_config": {"chat_template": "config"}, "chat_template.jinja": "jinja"},
            "config",
        ),
        ({"chat_template": {"chat_template": "from json"}}, "from json"),
    ],
    ids=["string", "list-default", "list-without-default", "jinja", "config-first", "json"],
)
def test_chat_template_sources(tmp_path: Path, files: dict[str, Any], template: str | None) -> None:
    assert special(directory_with(tmp_path, **files)).get("chat_template") == template


def test_a_chat_template_of_another_type_is_refused(tmp_path: Path) -> None:
    directory = directory_with(tmp_path, tokenizer_config={"chat_template": 7})
    with pytest.raises(ConvertError, match=r'tokenizer_config\.json: "chat_template" must be'):
        tokenizer_metadata(directory, VOCAB_SIZE)


def test_invalid_tokenizer_config_is_refused(tmp_path: Path) -> None:
    directory = directory_with(tmp_path, **{"tokenizer_config.json": "[1, 2"})
    with pytest.raises(ConvertError, match=r"tokenizer_config\.json: invalid JSON"):
        tokenizer_metadata(directory, VOCAB_SIZE)


def test_metadata_value_types(tmp_path: Path) -> None:
    directory = directory_with(
        tmp_path,
        tokenizer_config={
            "eos_token": "<|endoftext|>",
            "add_eos_token": True,
            "chat_template": "t",
        },
    )
    types = {kv.key: (kv.type, kv.sub_type) for kv in tokenizer_metadata(directory, VOCAB_SIZE)}
    array, string = GGUFValueType.ARRAY, GGUFValueType.STRING
    assert types == {
        "tokenizer.ggml.model": (string, None),
        "tokenizer.ggml.pre": (string, None),
        "tokenizer.ggml.tokens": (array, string),
        "tokenizer.ggml.token_type": (array, GGUFValueType.INT32),
        "tokenizer.ggml.merges": (array, string),
        "tokenizer.ggml.eos_token_id": (GGUFValueType.UINT32, None),
        "tokenizer.ggml.add_eos_token": (GGUFValueType.BOOL, None),
        "tokenizer.chat_template": (string, None),
    }
