"""Ollama's execution wrapper: collation, legacy / messages / suffix modes, tools, thinking."""

# ruff: noqa: E501 - templates and expected prompts read best unwrapped

from __future__ import annotations

from typing import Any

import pytest

from pollama.templates import DEFAULT_TEMPLATE, TemplateError, render, render_suffix
from tests.templates import samples

USER_ASSISTANT_USER = [
    {"role": "user", "content": "Hello friend!"},
    {"role": "assistant", "content": "Hello human!"},
    {"role": "user", "content": "What is your name?"},
]

WEATHER_CALL = {"function": {"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}}
TOOL_CONVERSATION = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [WEATHER_CALL]},
    {"role": "tool", "content": '{"temp": 21}', "tool_name": "get_weather"},
]

TOOLS_JSON = (
    '[{"type":"function","function":{"name":"get_weather",'
    '"description":"Current weather for a city \\u003cmetric\\u003e \\u0026 imperial",'
    '"parameters":{"type":"object","required":["city"],"properties":{'
    '"city":{"type":"string","description":"The city"},'
    '"days":{"type":"integer","description":"Days ahead"},'
    '"unit":{"type":["string","null"],"enum":["celsius","fahrenheit"]}}}}}]'
)


def user(content: str) -> dict[str, Any]:
    return {"role": "user", "content": content}


# --- legacy (per-turn) mode -----------------------------------------------------------------


def test_legacy_inst_example_from_the_spec() -> None:
    expected = "[INST] Hello friend![/INST] Hello human![INST] What is your name?[/INST] "
    assert render(samples.LLAMA2_LEGACY, USER_ASSISTANT_USER) == expected


def test_legacy_system_goes_into_its_turn() -> None:
    messages = [{"role": "system", "content": "Be nice."}, user("Hi")]
    assert render(samples.LLAMA2_LEGACY, messages) == "[INST] Be nice.\n\nHi[/INST] "


def test_legacy_system_after_a_turn_starts_a_new_turn() -> None:
    messages = [
        user("a"),
        {"role": "assistant", "content": "b"},
        {"role": "system", "content": "S"},
        user("c"),
    ]
    assert render(samples.LLAMA2_LEGACY, messages) == "[INST] a[/INST] b[INST] S\n\nc[/INST] "


def test_legacy_cut_drops_trailing_text_after_response() -> None:
    expected = (
        "<|user|>\nHello friend!<|end|>\n<|assistant|>\nHello human!<|end|>\n"
        "<|user|>\nWhat is your name?<|end|>\n<|assistant|>\n"
    )
    assert render(samples.PHI3_LEGACY, USER_ASSISTANT_USER) == expected


def test_legacy_final_assistant_message_is_a_prefill() -> None:
    messages = [user("Write a haiku"), {"role": "assistant", "content": "Autumn"}]
    assert (
        render(samples.PHI3_LEGACY, messages)
        == "<|user|>\nWrite a haiku<|end|>\n<|assistant|>\nAutumn"
    )


def test_legacy_ignores_tool_messages_and_joined_system() -> None:
    messages = [*TOOL_CONVERSATION, user("Thanks")]
    assert render(samples.LLAMA2_LEGACY, messages) == "[INST] Be brief.\n\nThanks[/INST] "


def test_default_template_appends_response() -> None:
    assert DEFAULT_TEMPLATE == "{{ .Prompt }}"
    assert render(DEFAULT_TEMPLATE, [user("hi")]) == "hi"
    assert render(DEFAULT_TEMPLATE, USER_ASSISTANT_USER) == (
        "Hello friend!Hello human!What is your name?"
    )


def test_empty_conversation_renders_the_empty_turn() -> None:
    assert render(samples.LLAMA2_LEGACY, []) == "[INST] [/INST] "


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        # the whole pipeline goes once a later command loses all its arguments
        ('A{{ .Prompt }}B{{ .Response | printf "%s" }}C', "AxB"),
        # arguments after .Response are dropped, earlier ones kept
        ('A{{ print "<" .Response ">" }}C', "A<"),
        # the if condition is not a cut point; the body is
        ("{{ if .Response }}R{{ end }}[{{ .Prompt }}]{{ .Response }}!", "[x]"),
        ("{{ if .Prompt }}{{ .Prompt }}={{ .Response }}; {{ else }}none{{ end }}end", "x="),
        # $.Response is a variable, not a field: it does not cut
        ("{{ .Prompt }}{{ $.Response }}|{{ .Response }}|", "x|"),
    ],
)
def test_legacy_cut_follows_ollamas_node_deletion(template: str, expected: str) -> None:
    assert render(template, [user("x")]) == expected


# --- messages mode and collation ------------------------------------------------------------


def test_chatml_messages_mode() -> None:
    messages = [{"role": "system", "content": "You are terse."}, *USER_ASSISTANT_USER]
    expected = (
        "<|im_start|>system\nYou are terse.<|im_end|>\n"
        "<|im_start|>user\nHello friend!<|im_end|>\n"
        "<|im_start|>assistant\nHello human!<|im_end|>\n"
        "<|im_start|>user\nWhat is your name?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    assert render(samples.CHATML, messages) == expected


def test_consecutive_same_role_messages_are_merged() -> None:
    messages = [user("one"), user("two"), {"role": "ASSISTANT", "content": "x"}]
    expected = (
        "<|im_start|>user\none\n\ntwo<|im_end|>\n<|im_start|>assistant\nx<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    assert render(samples.CHATML, messages) == expected


def test_tool_messages_are_never_merged() -> None:
    template = "{{ range .Messages }}{{ .Role }}({{ .ToolName }}):{{ .Content }};{{ end }}"
    messages = [
        {"role": "tool", "content": "1", "tool_name": "a"},
        {"role": "tool", "content": "2", "tool_name": "b"},
    ]
    assert render(template, messages) == "tool(a):1;tool(b):2;"


def test_system_is_every_system_message_joined() -> None:
    template = "{{ .System }}|{{ range .Messages }}{{ .Role }}={{ .Content }};{{ end }}"
    messages = [
        {"role": "system", "content": "s1"},
        user("u"),
        {"role": "system", "content": "s2"},
        {"role": "system", "content": "s3"},
    ]
    assert render(template, messages) == "s1\n\ns2\n\ns3|system=s1;user=u;system=s2\n\ns3;"


def test_merged_message_keeps_the_first_messages_fields() -> None:
    template = "{{ range .Messages }}{{ .Content }}:{{ len .ToolCalls }}{{ end }}"
    messages = [
        {"role": "assistant", "content": "a", "tool_calls": [WEATHER_CALL]},
        {"role": "assistant", "content": "b", "tool_calls": [WEATHER_CALL, WEATHER_CALL]},
    ]
    assert render(template, messages) == "a\n\nb:1"


def test_gemma_style_template() -> None:
    messages = [{"role": "system", "content": "Be kind."}, *USER_ASSISTANT_USER]
    expected = (
        "<start_of_turn>user\nBe kind.<end_of_turn>\n"
        "<start_of_turn>user\nHello friend!<end_of_turn>\n"
        "<start_of_turn>model\nHello human!<end_of_turn>\n"
        "<start_of_turn>user\nWhat is your name?<end_of_turn>\n"
        "<start_of_turn>model\n"
    )
    assert render(samples.GEMMA, messages) == expected


def test_message_fields() -> None:
    template = (
        "{{ range .Messages }}{{ .Role }}|{{ .Thinking }}|{{ if .Images }}{{ len .Images }} img{{ end }}"
        "|{{ .ToolCallID }}|{{ range .ToolCalls }}{{ .ID }}#{{ .Function.Index }}"
        " {{ .Function.Name }}{{ .Function.Arguments }}{{ end }};{{ end }}"
    )
    messages = [
        {"role": "user", "content": "look", "images": ["aGVsbG8="]},
        {
            "role": "assistant",
            "content": "",
            "thinking": "hmm",
            "tool_calls": [
                {"id": "call_1", "function": {"index": 3, "name": "f", "arguments": {}}}
            ],
        },
        {"role": "tool", "content": "ok", "tool_call_id": "call_1"},
    ]
    assert (
        render(template, messages) == "user||1 img||;assistant|hmm|||call_1#3 f{};tool|||call_1|;"
    )


def test_tool_call_arguments_print_as_sorted_html_safe_json() -> None:
    template = (
        "{{ range .Messages }}{{ range .ToolCalls }}{{ .Function.Arguments }}{{ end }}{{ end }}"
    )
    call = {
        "function": {
            "name": "f",
            "arguments": {"z": "<b>", "a": [1, 2.5], "m": {"y": True, "x": None}},
        }
    }
    messages = [{"role": "assistant", "content": "", "tool_calls": [call]}]
    expected = '{"a":[1,2.5],"m":{"x":null,"y":true},"z":"\\u003cb\\u003e"}'
    assert render(template, messages) == expected


def test_arguments_fields_and_range() -> None:
    template = (
        "{{ range .Messages }}{{ range .ToolCalls }}{{ .Function.Arguments.city }}/"
        "{{ .Function.Arguments.days }}/{{ range $k, $v := .Function.Arguments }}{{ $k }}={{ $v }},"
        "{{ end }}/{{ json .Function.Arguments }}{{ end }}{{ end }}"
    )
    messages = [{"role": "assistant", "content": "", "tool_calls": [WEATHER_CALL]}]
    assert render(template, messages) == 'Paris/2/city=Paris,days=2,/{"city":"Paris","days":2}'


def test_missing_arguments_print_as_empty_object() -> None:
    template = "{{ range .Messages }}{{ range .ToolCalls }}{{ .Function.Arguments }}|{{ json .Function.Arguments }}{{ end }}{{ end }}"
    messages = [{"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "f"}}]}]
    assert render(template, messages) == "{}|null"


# --- tools ----------------------------------------------------------------------------------


def test_llama3_style_tools_template() -> None:
    expected = (
        "<|start_header_id|>system<|end_header_id|>\n\nBe brief.\n\n"
        'Call a tool by answering with JSON {"name": function name, "parameters": arguments}.\n'
        f"Tools: {TOOLS_JSON}<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nWeather in Paris?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n"
        '{"name": "get_weather", "parameters": {"city":"Paris","days":2}}<|eot_id|>'
        '<|start_header_id|>ipython<|end_header_id|>\n\n{"temp": 21}<|eot_id|>'
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    )
    assert render(samples.LLAMA3_TOOLS, TOOL_CONVERSATION, tools=[samples.WEATHER_TOOL]) == expected


def test_llama3_style_without_tools_or_system() -> None:
    expected = (
        "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    )
    assert render(samples.LLAMA3_TOOLS, [user("hi")]) == expected


def test_mistral_style_tools_template() -> None:
    messages = [*TOOL_CONVERSATION[1:], {"role": "assistant", "content": "It is 21C."}]
    expected = (
        f"[AVAILABLE_TOOLS]{TOOLS_JSON}[/AVAILABLE_TOOLS][INST]Weather in Paris?[/INST]"
        '[TOOL_CALLS][{"name": "get_weather", "arguments": {"city":"Paris","days":2}}]</s>'
        '[TOOL_RESULTS]{"content": {"temp": 21}}[/TOOL_RESULTS]It is 21C.'
    )
    assert render(samples.MISTRAL_TOOLS, messages, tools=[samples.WEATHER_TOOL]) == expected


def test_typescript_tools_template() -> None:
    expected = (
        "namespace functions {\n\n"
        "// Current weather for a city <metric> & imperial\n"
        "type get_weather = (_: {\n"
        "// The city\ncity: string,\n"
        "// Days ahead\ndays: number,\n"
        "// \nunit: string | null,\n"
        "}) => any;\n\n"
        "} // namespace functions\n"
        "<|user|>hi<|end|>\n<|assistant|>"
    )
    assert render(samples.TYPESCRIPT_TOOLS, [user("hi")], tools=[samples.WEATHER_TOOL]) == expected


def test_single_tool_and_function_print_as_json() -> None:
    template = (
        "{{ .Messages }}{{ range .Tools }}{{ . }}\n{{ .Function }}\n{{ .Function.Parameters }}\n"
        "{{ .Function.Parameters.Properties }}\n{{ .Function.Parameters.Required }}\n"
        "{{ .Function.Parameters.Properties.unit.Type }}\n{{ .Function.Parameters.Properties.city.Type }}\n"
        "{{ .Function.Parameters.Properties.unit.Enum }}{{ end }}"
    )
    tool_json = TOOLS_JSON[1:-1]
    function_json = tool_json[len('{"type":"function","function":') : -1]
    parameters_json = function_json[function_json.index('{"type":"object"') : -1]
    properties_json = parameters_json[parameters_json.index('{"city"') : -1]
    rendered = render(template, [], tools=[samples.WEATHER_TOOL])
    lines = rendered.removeprefix("[]").split("\n")
    assert lines == [
        tool_json,
        function_json,
        parameters_json,
        properties_json,
        "[city]",
        "[string null]",
        "string",
        "[celsius fahrenheit]",
    ]


def test_string_methods_and_struct_printing() -> None:
    template = (
        "{{ .Tools.String }}|{{ range .Messages }}{{ range .ToolCalls }}{{ .Function.Arguments.String }}"
        "{{ end }}{{ end }}|{{ range .Tools }}{{ .Function.Parameters.Properties.city }}{{ end }}"
    )
    messages = [{"role": "assistant", "content": "", "tool_calls": [WEATHER_CALL]}]
    expected = f'{TOOLS_JSON}|{{"city":"Paris","days":2}}|{{[] string <nil> The city [] <nil> []}}'
    assert render(template, messages, tools=[samples.WEATHER_TOOL]) == expected


def test_tools_absent_empty_and_present() -> None:
    template = (
        "{{ .Messages }}{{ if .Tools }}yes{{ else }}no{{ end }} {{ .Tools }} {{ len .Tools }}"
    )
    assert render(template, []) == "[]no null 0"
    assert render(template, [], tools=[]) == "[]no [] 0"
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    expected = '[]yes [{"type":"function","function":{"name":"f","description":"","parameters":{"type":"object","properties":null}}}] 1'
    assert render(template, [], tools=[tool]) == expected


def test_eq_on_a_property_type_is_a_go_error() -> None:
    template = '{{ .Messages }}{{ range .Tools }}{{ range .Function.Parameters.Properties }}{{ eq .Type "string" }}{{ end }}{{ end }}'
    with pytest.raises(TemplateError, match=r"uncomparable type api\.PropertyType"):
        render(template, [], tools=[samples.WEATHER_TOOL])


# --- thinking -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("think", "level", "expected"),
    [
        (None, None, "false false "),
        (True, None, "true true "),
        (False, None, "false true "),
        (True, "high", "true true high"),
    ],
)
def test_think_values(think: bool | None, level: str | None, expected: str) -> None:
    template = "{{ .Messages }}{{ .Think }} {{ .IsThinkSet }} {{ .ThinkLevel }}"
    assert render(template, [], think=think, think_level=level) == "[]" + expected
    legacy = "{{ .Think }} {{ .IsThinkSet }} {{ .ThinkLevel }}{{ .Prompt }}"
    assert render(legacy, [user("")], think=think, think_level=level) == expected


def test_qwen_style_thinking_and_tools() -> None:
    messages = [
        user("2+2?"),
        {"role": "assistant", "content": "4", "thinking": "easy"},
        user("And 3+3?"),
    ]
    expected = (
        "<|im_start|>user\n2+2?<|im_end|>\n"
        "<|im_start|>assistant\n<think>easy</think>\n\n4<|im_end|>\n"
        "<|im_start|>user\nAnd 3+3?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    assert render(samples.QWEN_THINKING, messages) == expected
    assert render(samples.QWEN_THINKING, messages, think=True) == expected
    assert (
        render(samples.QWEN_THINKING, messages, think=False) == expected + "<think>\n\n</think>\n\n"
    )


def test_qwen_style_tools_block_prints_each_function_as_json() -> None:
    function_json = TOOLS_JSON[len('[{"type":"function","function":') : -2]
    rendered = render(samples.QWEN_THINKING, [user("hi")], tools=[samples.WEATHER_TOOL])
    assert rendered.startswith(
        "<|im_start|>system\n# Tools\n\n<tools>\n"
        f'{{"type": "function", "function": {function_json}}}\n</tools>\n'
    )
    assert rendered.endswith("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")


# --- suffix (fill-in-the-middle) mode -------------------------------------------------------


def test_suffix_mode() -> None:
    assert render_suffix(samples.CODE_FIM, "def add(a, b):", "    return c") == (
        "<PRE> def add(a, b): <SUF>    return c <MID>"
    )


def test_suffix_mode_data() -> None:
    template = "{{ .Prompt }}|{{ .Suffix }}|{{ .Response }}|{{ .System }}|{{ .Think }}"
    assert render_suffix(template, "p", "s") == "p|s||<no value>|false"


def test_empty_suffix_or_prompt_falls_back_to_a_plain_prompt() -> None:
    assert render_suffix(samples.CODE_FIM, "def f(", "") == "def f("
    assert render_suffix(samples.CODE_FIM, "", "tail") == ""


def test_execution_errors_surface_as_template_errors() -> None:
    with pytest.raises(TemplateError) as caught:
        render("{{ .Messages }}{{ index .Messages 3 }}", [user("x")])
    assert caught.value.status == 500
    assert "index out of range: 3" in caught.value.message
