"""Whether a draft model's vocabulary may stand in for the target's: the rules and the
messages naming the first difference (pure: the facts are given, no model is loaded)."""

from __future__ import annotations

import pytest

from pollama.runner.vocab_match import Vocabulary, vocabulary_mismatch


def _vocabulary(base: list[str], **changes: object) -> Vocabulary:
    facts: dict[str, object] = {
        "kind": "llama",
        "add_bos": True,
        "bos": 2,
        "add_eos": False,
        "eos": 1,
        "texts": base,
    }
    facts.update(changes)
    return Vocabulary(**facts)  # type: ignore[arg-type]


TEXTS = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>", *(f"t{i}" for i in range(300))]


def test_equal_vocabularies_match() -> None:
    assert vocabulary_mismatch(_vocabulary(TEXTS), _vocabulary(list(TEXTS))) is None
    # Control ids below 5 are not compared; a few padding ids more are allowed.
    other = ["[PAD]", *TEXTS[1:], "<pad1>", "<pad2>"]
    assert vocabulary_mismatch(_vocabulary(other), _vocabulary(TEXTS)) is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "gpt2"}, 'tokenizer "gpt2" differs from the model\'s "llama"'),
        ({"bos": 3}, "beginning-of-sequence token: token 3, the model's: token 2"),
        ({"add_bos": False}, "beginning-of-sequence token: none added, the model's: token 2"),
        ({"add_eos": True}, "end-of-sequence token: token 1, the model's: none added"),
        ({"texts": TEXTS[:100]}, "vocabulary of 100 tokens, the model has 305"),
        ({"texts": [*TEXTS[:42], "x", *TEXTS[43:]]}, "token 42 is 'x', the model's is 't37'"),
    ],
)
def test_vocabulary_differences_are_named(changes: dict[str, object], message: str) -> None:
    assert vocabulary_mismatch(_vocabulary(TEXTS, **changes), _vocabulary(TEXTS)) == message
