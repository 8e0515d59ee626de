"""Options: the table, decode_options (Options.FromMap), parse_parameter (FormatParams), layers."""

from __future__ import annotations

from typing import Any

import pytest

from pollama.errors import BadRequest, PollamaError
from pollama.options import (
    DEPRECATED_OPTIONS,
    LOAD_OPTIONS,
    OPTIONS,
    SAMPLING_OPTIONS,
    DeprecatedParameter,
    OptionKind,
    ParameterError,
    decode_options,
    defaults,
    effective,
    merge,
    parse_parameter,
    split_options,
)

# --- the table -----------------------------------------------------------------------------------


def test_defaults_are_pollamas() -> None:
    assert defaults() == {
        "num_ctx": 4096,
        "num_batch": 512,
        "num_gpu": -1,
        "num_thread": 0,
        "num_keep": 4,
        "seed": -1,
        "num_predict": -1,
        "top_k": 40,
        "top_p": 0.9,
        "min_p": 0.0,
        "typical_p": 1.0,
        "repeat_last_n": 64,
        "temperature": 0.8,
        "repeat_penalty": 1.0,
        "presence_penalty": 0.0,
        "frequency_penalty": 0.0,
    }


def test_defaults_is_a_fresh_copy() -> None:
    first = defaults()
    first["num_ctx"] = 1
    assert defaults()["num_ctx"] == 4096


@pytest.mark.parametrize("name", ["stop", "main_gpu", "use_mmap"])
def test_known_options_without_default_are_unset(name: str) -> None:
    assert name in OPTIONS
    assert name not in defaults()


def test_load_time_options() -> None:
    assert {"num_ctx", "num_batch", "num_gpu", "main_gpu", "use_mmap", "num_thread"} == LOAD_OPTIONS
    assert "temperature" in SAMPLING_OPTIONS and "stop" in SAMPLING_OPTIONS
    assert not LOAD_OPTIONS & SAMPLING_OPTIONS


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("num_ctx", OptionKind.INT),
        ("seed", OptionKind.INT),
        ("temperature", OptionKind.FLOAT),
        ("min_p", OptionKind.FLOAT),
        ("use_mmap", OptionKind.BOOL),
        ("stop", OptionKind.STRINGS),
    ],
)
def test_option_kinds(name: str, kind: OptionKind) -> None:
    assert OPTIONS[name].kind is kind


def test_deprecated_names_are_not_options() -> None:
    expected = {"penalize_newline", "low_vram", "f16_kv", "logits_all", "vocab_only"}
    expected |= {"use_mlock", "mirostat", "mirostat_tau", "mirostat_eta", "tfs_z", "numa"}
    assert expected == DEPRECATED_OPTIONS
    assert not DEPRECATED_OPTIONS & OPTIONS.keys()


def test_split_options() -> None:
    load, sampling = split_options({"num_ctx": 8, "temperature": 0.1, "bogus": 1})
    assert load == {"num_ctx": 8}
    assert sampling == {"temperature": 0.1}


# --- decode_options: the API rule ----------------------------------------------------------------


def test_decode_ignores_unknown_deprecated_and_null() -> None:
    raw = {"bogus": "x", "mirostat": 2, "tfs_z": "junk", "num_ctx": None, "top_k": 5}
    assert decode_options(raw) == {"top_k": 5}


@pytest.mark.parametrize("raw", [None, {}])
def test_decode_empty(raw: dict[str, Any] | None) -> None:
    assert decode_options(raw) == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2048, 2048), (2048.9, 2048), (-1.7, -1), (0.0, 0), (1e3, 1000), (1e30, 2**63 - 1)],
)
def test_decode_int_accepts_any_number_truncated(value: float, expected: int) -> None:
    decoded = decode_options({"num_ctx": value})
    assert decoded == {"num_ctx": expected}
    assert type(decoded["num_ctx"]) is int


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1.0), (0.25, 0.25), (0, 0.0)],
)
def test_decode_float_accepts_numbers(value: float, expected: float) -> None:
    decoded = decode_options({"temperature": value})
    assert decoded == {"temperature": expected}
    assert type(decoded["temperature"]) is float


def test_decode_bool_and_list() -> None:
    assert decode_options({"use_mmap": False, "stop": ["a", "b"]}) == {
        "use_mmap": False,
        "stop": ["a", "b"],
    }
    assert decode_options({"stop": []}) == {"stop": []}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("num_ctx", "2048", 'option "num_ctx" must be of type integer'),
        ("num_ctx", True, 'option "num_ctx" must be of type integer'),
        ("seed", [1], 'option "seed" must be of type integer'),
        ("seed", float("nan"), 'option "seed" must be of type integer'),
        ("temperature", "0.5", 'option "temperature" must be of type float32'),
        ("top_p", False, 'option "top_p" must be of type float32'),
        ("use_mmap", "true", 'option "use_mmap" must be of type boolean'),
        ("use_mmap", 1, 'option "use_mmap" must be of type boolean'),
        ("stop", "</s>", 'option "stop" must be of type array'),
        ("stop", {"a": 1}, 'option "stop" must be of type array'),
        ("stop", ["ok", 3], 'option "stop" must be of an array of strings'),
        ("stop", [None], 'option "stop" must be of an array of strings'),
    ],
)
def test_decode_type_errors_are_500(key: str, value: Any, message: str) -> None:
    with pytest.raises(PollamaError) as caught:
        decode_options({key: value})
    assert caught.value.message == message
    assert caught.value.status == 500
    assert not isinstance(caught.value, BadRequest)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("num_batch", -5, 'option "num_batch" must not be negative'),
        ("num_batch", -0.5e30, 'option "num_batch" must not be negative'),
        ("temperature", 10**400, 'option "temperature" is out of range'),
    ],
)
def test_decode_out_of_range_values_are_400(key: str, value: Any, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        decode_options({key: value})
    assert caught.value.message == message
    assert caught.value.status == 400


def test_decode_num_batch_zero_is_the_default() -> None:
    assert decode_options({"num_batch": 0}) == {"num_batch": 0}


# --- parse_parameter: the Modelfile / /set parameter rule ----------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("temperature", "0.7", 0.7),
        ("temperature", "1", 1.0),
        ("top_p", ".5", 0.5),
        ("top_p", "5.", 5.0),
        ("min_p", "1e-2", 0.01),
        ("min_p", "+2.5E1", 25.0),
        ("repeat_penalty", "1_000.5", 1000.5),
        ("repeat_penalty", "0x1p-2", 0.25),
        ("repeat_penalty", "0X1.8P1", 3.0),
        ("temperature", "0.1234567891", 0.12345679),  # float32 precision, shortest digits
        ("temperature", "-0", -0.0),
        ("num_ctx", "4096", 4096),
        ("num_ctx", "+8", 8),
        ("seed", "-1", -1),
        ("seed", "9223372036854775807", 2**63 - 1),
        ("seed", "-9223372036854775808", -(2**63)),
        ("num_keep", "007", 7),
    ],
)
def test_parse_numbers(name: str, text: str, expected: float) -> None:
    value = parse_parameter(name, [text])
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("text", ["inf", "+Inf", "-infinity", "INFINITY"])
def test_parse_float_infinities(text: str) -> None:
    value = parse_parameter("temperature", [text])
    assert abs(value) == float("inf")
    assert (value < 0) == text.startswith("-")


def test_parse_float_nan() -> None:
    value = parse_parameter("temperature", ["NaN"])
    assert value != value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", True),
        ("t", True),
        ("T", True),
        ("TRUE", True),
        ("true", True),
        ("True", True),
        ("0", False),
        ("f", False),
        ("F", False),
        ("FALSE", False),
        ("false", False),
        ("False", False),
    ],
)
def test_parse_bool_is_go_parsebool(text: str, expected: bool) -> None:
    assert parse_parameter("use_mmap", [text]) is expected


def test_parse_stop_keeps_every_value() -> None:
    assert parse_parameter("stop", ["<|eot_id|>"]) == ["<|eot_id|>"]
    assert parse_parameter("stop", ["a", "b c"]) == ["a", "b c"]


def test_parse_uses_first_value_for_scalars() -> None:
    assert parse_parameter("top_k", ["5", "6"]) == 5


@pytest.mark.parametrize(
    ("name", "values", "message"),
    [
        ("temperature", ["hot"], "invalid float value [hot]"),
        ("temperature", ["1e39"], "invalid float value [1e39]"),  # beyond float32
        ("temperature", ["+nan"], "invalid float value [+nan]"),
        ("temperature", ["1__0"], "invalid float value [1__0]"),
        ("temperature", ["_1"], "invalid float value [_1]"),
        ("temperature", ["1_.5"], "invalid float value [1_.5]"),
        ("temperature", ["0x1.8"], "invalid float value [0x1.8]"),  # hex needs p exponent
        ("temperature", [""], "invalid float value []"),
        ("temperature", [" 1"], "invalid float value [ 1]"),
        ("temperature", ["١"], "invalid float value [١]"),
        ("top_p", ["x", "y"], "invalid float value [x y]"),
        ("num_ctx", ["4k"], "invalid int value [4k]"),
        ("num_ctx", ["1.0"], "invalid int value [1.0]"),
        ("num_ctx", ["1_000"], "invalid int value [1_000]"),
        ("num_ctx", ["0x10"], "invalid int value [0x10]"),
        ("seed", ["9223372036854775808"], "invalid int value [9223372036854775808]"),
        ("num_ctx", ["٣"], "invalid int value [٣]"),
        ("use_mmap", ["yes"], "invalid bool value [yes]"),
        ("use_mmap", ["tRUE"], "invalid bool value [tRUE]"),
        ("bogus", ["1"], "unknown parameter 'bogus'"),
        ("Temperature", ["1"], "unknown parameter 'Temperature'"),
        ("", ["1"], "unknown parameter ''"),
    ],
)
def test_parse_errors(name: str, values: list[str], message: str) -> None:
    with pytest.raises(ParameterError) as caught:
        parse_parameter(name, values)
    assert caught.value.message == message
    assert caught.value.status == 400


@pytest.mark.parametrize("name", sorted(DEPRECATED_OPTIONS))
def test_parse_deprecated_warns(name: str) -> None:
    with pytest.raises(DeprecatedParameter) as caught:
        parse_parameter(name, ["1"])
    assert str(caught.value) == f"warning: parameter {name} is deprecated"
    assert caught.value.name == name


# --- layers --------------------------------------------------------------------------------------


def test_merge_later_wins_and_skips_none() -> None:
    merged = merge({"a": 1, "b": 2}, None, {"b": 3, "c": None}, {"d": [1]})
    assert merged == {"a": 1, "b": 3, "d": [1]}


def test_effective_layers_defaults_model_request() -> None:
    model = {"temperature": 0.2, "stop": ["<end>"], "num_ctx": 8192, "mirostat": 1}
    request = {"temperature": 1, "seed": 42.0, "unknown": True}
    opts = effective(model, request)
    assert opts["temperature"] == 1.0
    assert opts["stop"] == ["<end>"]
    assert opts["num_ctx"] == 8192
    assert opts["seed"] == 42 and type(opts["seed"]) is int
    assert opts["top_k"] == 40
    assert "mirostat" not in opts and "unknown" not in opts


def test_effective_request_stop_replaces_model_stop() -> None:
    assert effective({"stop": ["a"]}, {"stop": ["b"]})["stop"] == ["b"]


def test_effective_with_custom_base() -> None:
    opts = effective(None, {"top_k": 1}, base={"num_ctx": 2048})
    assert opts == {"num_ctx": 2048, "top_k": 1}


def test_effective_type_errors_come_from_either_layer() -> None:
    with pytest.raises(PollamaError, match='option "num_ctx" must be of type integer'):
        effective({"num_ctx": "big"}, None)
    with pytest.raises(PollamaError, match='option "stop" must be of type array'):
        effective(None, {"stop": "x"})
