"""The /api/show `parameters` layout: `%-30s %#v` per value (Go's own printing is tested in
tests/go)."""

from __future__ import annotations

from pollama.options import format_show_parameters


def test_show_parameters_layout() -> None:
    params = {
        "num_keep": 24,
        "stop": ["<|start_header_id|>", "<|eot_id|>"],
        "temperature": 0.7,
        "use_mmap": False,
    }
    assert format_show_parameters(params) == (
        "num_keep                       24\n"
        'stop                           "<|start_header_id|>"\n'
        'stop                           "<|eot_id|>"\n'
        "temperature                    0.7\n"
        "use_mmap                       false"
    )


def test_show_parameters_escapes_and_long_keys() -> None:
    text = format_show_parameters({"a_very_long_parameter_name_over_30": 1, "stop": ['x"\n']})
    assert text.split("\n") == [
        "a_very_long_parameter_name_over_30 1",
        'stop                           "x\\"\\n"',
    ]


def test_show_parameters_empty() -> None:
    assert format_show_parameters({}) == ""
    assert format_show_parameters({"stop": []}) == ""
