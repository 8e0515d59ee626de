"""`pollama show` rendering: model data is never rich markup; long arrays are cut as Ollama does."""

from __future__ import annotations

from typing import Any

import pytest

from pollama.cli import show_cmd
from tests.cli.fakes import capture_console, text_of

VOCABULARY = 262_144


def verbose_show() -> dict[str, Any]:
    tokens = ["<pad>", "<eos>", "[/INST]", "[bold]x[/bold]", ":smile:"]
    tokens += [f"tok{i}" for i in range(VOCABULARY - len(tokens))]
    return {
        "details": {"parameter_size": "268.10M", "quantization_level": "Q4_K_M"},
        "capabilities": ["completion"],
        "parameters": 'stop                           "[/INST]"',
        "model_info": {
            "general.architecture": "gemma3",
            "gemma3.context_length": 32768,
            "general.parameter_count": 268098176,
            "general.basename": "gemma [/3]",
            "tokenizer.ggml.add_bos_token": True,
            "tokenizer.ggml.tokens": tokens,
            "tokenizer.ggml.scores": [0.0, -1000.0, 1.5],
            "tokenizer.ggml.token_type": [3] * VOCABULARY,
        },
        "tensors": [{"name": "token_embd.weight", "type": "Q8_0", "shape": [640, VOCABULARY]}],
        "system": "  You are [red]plain[/red].  \n\n second line\nthird",
        "license": ":smile: [/] terms",
    }


def render(show: dict[str, Any], *, verbose: bool) -> list[str]:
    out = capture_console(width=80)
    show_cmd.render(show, verbose=verbose, out=out)
    return text_of(out).splitlines()


def test_verbose_show_prints_markup_like_tokens_and_cuts_long_arrays() -> None:
    lines = render(verbose_show(), verbose=True)
    rows = {
        line.split()[0]: line.split(None, 1)[-1].strip()
        for line in lines
        if line.startswith("    ")
    }
    metadata = lines[lines.index("  Metadata") + 1 : lines.index("  Tensors") - 1]
    keys = [line.split()[0] for line in metadata]
    assert keys == sorted(verbose_show()["model_info"])
    assert rows["tokenizer.ggml.tokens"] == "[<pad> ...+262143 more]"
    assert rows["tokenizer.ggml.token_type"] == "[3 3 3 ...+262141 more]"
    assert rows["tokenizer.ggml.scores"] == "[0 -1000 ...+1 more]"
    assert rows["general.parameter_count"] == "2.68098176e+08"  # Go's %v of a JSON number
    assert rows["gemma3.context_length"] == "32768"
    assert rows["general.basename"] == "gemma [/3]"
    assert rows["tokenizer.ggml.add_bos_token"] == "true"
    assert rows["token_embd.weight"].split() == ["Q8_0", "[640", "262144]"]
    assert rows["stop"] == '"[/INST]"'
    stripped = [line.strip() for line in lines]
    assert "You are [red]plain[/red]." in stripped  # stripped, as Ollama's head()
    assert "second line" in stripped and "..." in stripped and "third" not in stripped
    assert ":smile: [/] terms" in stripped
    assert sum(len(line) for line in lines) < 5_000


def test_plain_show_has_no_metadata() -> None:
    lines = render(verbose_show(), verbose=False)
    assert "  Model" in lines and "  Metadata" not in lines and "  Tensors" not in lines


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        ([], "[]"),
        (["a", "b"], "[a b]"),
        (["a-very-long-token"], "[a-very-long-token]"),
        (["a-very-long-token", "b"], "[a-very-long-token ...+1 more]"),
        ([1, 2, 3, 4], "[1 2 3 ...+1 more]"),
        ([True, False], "[true ...+1 more]"),
    ],
)
def test_array_preview(values: list[Any], shown: str) -> None:
    assert show_cmd.array_preview(values) == shown
