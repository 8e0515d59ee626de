"""Naming a byte-level BPE tokenizer's pre-tokenizer the way llama.cpp expects.

llama.cpp does not read the pre-tokenizer from the GGUF: it reads a name,
`tokenizer.ggml.pre`, and applies the split regexes it has built in for that name (see
llama.cpp's src/llama-vocab.cpp). Its converter finds the name by hashing how a reference
tokenizer encodes a check text; we have no reference tokenizer at conversion time, so the name
is found from tokenizer.json itself: the pre-tokenizer is reduced to the sequence of regexes
it splits by, and that sequence is looked up in the table below.

Pre-tokenizer parts become regexes as follows: `Split` gives its regex; `ByteLevel` with
`use_regex` gives GPT-2's regex (without it, nothing: it only maps bytes); `Digits` gives
`\\p{N}` (individual digits) or `\\p{N}+`. Anything else makes the sequence unknown.

Regexes are compared after normalizing: Unicode NFC (llama.cpp's copies of some character
ranges are NFC-normalized), literal CR/LF/TAB characters written as `\\r` `\\n` `\\t`, and the
case-insensitive contraction group `(?i:'s|'t|...)` and llama.cpp's expanded
`(?:'[sS]|'[tT]|...)` treated as the same.

Recognized names (the regexes of each are below; llama.cpp has the same ones built in):
- `llama-bpe`: contractions, letters, `\\p{N}{1,3}`, ... (Llama 3, DeepSeek-R1-Llama)
- `qwen2`: as llama-bpe with single digits `\\p{N}` (Qwen2, Qwen2.5, Qwen3)
- `qwen35`: as qwen2 with marks `\\p{M}` joined to letters (Qwen3.5)
- `gpt-2`: GPT-2's regex, from ByteLevel with use_regex (GPT-2 style BPE)
- `smollm`: `\\p{N}` (Digits), then GPT-2's regex (SmolLM, StarCoder style)
- `tekken`: upper/lower-case letter runs, single digits (Mistral Nemo)
- `gpt-4o`: tekken's with contractions and `\\p{N}{1,3}` (o200k style)
- `deepseek-llm`: newlines, Latin/Greek letters, punctuation, CJK, digits (DeepSeek LLM)
- `deepseek-coder`: newlines, letters, punctuation, CJK, single digits (DeepSeek Coder)
- `deepseek-v3`: `\\p{N}{1,3}`, CJK/kana, punctuation-led words (DeepSeek V3)

Anything else is "default" (llama.cpp's generic regexes), with a logged warning: the model
loads, but may tokenize differently from the original.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

log = logging.getLogger(__name__)

DEFAULT = "default"

_CONTRACTIONS_CI = "(?i:'s|'t|'re|'ve|'m|'ll|'d)"
_CONTRACTIONS_EXPANDED = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
_CONTRACTIONS_MARK = "<contractions>"

GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3 = (
    _CONTRACTIONS_CI
    + r"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN2 = (
    _CONTRACTIONS_CI
    + r"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN35 = (
    _CONTRACTIONS_CI
    + r"|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+"
    + r"|\s+(?!\S)|\s+"
)
_UPPER = r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]"
_LOWER = r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]"
_NOT_WORD = r"[^\r\n\p{L}\p{N}]?"
TEKKEN = (
    f"{_NOT_WORD}{_UPPER}*{_LOWER}+|{_NOT_WORD}{_UPPER}+{_LOWER}*"
    + r"|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
GPT4O = (
    f"{_NOT_WORD}{_UPPER}*{_LOWER}+{_CONTRACTIONS_CI}?|{_NOT_WORD}{_UPPER}+{_LOWER}*"
    + f"{_CONTRACTIONS_CI}?"
    + r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_CJK_HANGUL = "[一-龥ࠀ-一가-\ud7ff]+"
DEEPSEEK_LLM = (
    "[\r\n]",
    "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚ"
    "Ḁ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄ"
    "Ⰰ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
    "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
    "\\s+$",
    _CJK_HANGUL,
    r"\p{N}+",
)
DEEPSEEK_CODER = ("[\r\n]", r"\s?\p{L}+", r"\s?\p{P}+", _CJK_HANGUL, r"\p{N}")
DEEPSEEK_V3 = (
    r"\p{N}{1,3}",
    "[一-龥぀-ゟ゠-ヿ]+",
    '[!"#$%&' + r"'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+"
    r"| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
)

KNOWN: dict[str, tuple[str, ...]] = {
    "llama-bpe": (LLAMA3,),
    "qwen2": (QWEN2,),
    "qwen35": (QWEN35,),
    "gpt-2": (GPT2,),
    "smollm": (r"\p{N}", GPT2),
    "tekken": (TEKKEN,),
    "gpt-4o": (GPT4O,),
    "deepseek-llm": DEEPSEEK_LLM,
    "deepseek-coder": DEEPSEEK_CODER,
    "deepseek-v3": DEEPSEEK_V3,
}


def normalize_regex(regex: str) -> str:
    text = unicodedata.normalize("NFC", regex)
    text = text.replace("\r", r"\r").replace("\n", r"\n").replace("\t", r"\t")
    for form in (_CONTRACTIONS_CI, _CONTRACTIONS_EXPANDED):
        text = text.replace(form, _CONTRACTIONS_MARK)
    return text


_BY_REGEXES = {tuple(normalize_regex(r) for r in regexes): name for name, regexes in KNOWN.items()}


def split_regexes(pre_tokenizer: Any) -> tuple[str, ...] | None:
    """The regexes `pre_tokenizer` (tokenizer.json's object) splits by, in order; None when a
    part is not one of Split / ByteLevel / Digits."""
    if pre_tokenizer is None:
        return ()
    if not isinstance(pre_tokenizer, dict):
        return None
    kind = pre_tokenizer.get("type")
    if kind == "Sequence":
        out: list[str] = []
        for part in pre_tokenizer.get("pretokenizers") or []:
            regexes = split_regexes(part)
            if regexes is None:
                return None
            out.extend(regexes)
        return tuple(out)
    if kind == "Split":
        pattern = pre_tokenizer.get("pattern") or {}
        regex = pattern.get("Regex") if isinstance(pattern, dict) else None
        if not isinstance(regex, str) or pre_tokenizer.get("invert"):
            return None
        return (regex,)
    if kind == "ByteLevel":
        if pre_tokenizer.get("add_prefix_space"):
            return None  # llama.cpp's BPE never adds a leading space
        return (GPT2,) if pre_tokenizer.get("use_regex", True) else ()
    if kind == "Digits":
        return (r"\p{N}",) if pre_tokenizer.get("individual_digits") else (r"\p{N}+",)
    return None


def pre_tokenizer_name(pre_tokenizer: Any) -> str:
    """The `tokenizer.ggml.pre` value for tokenizer.json's `pre_tokenizer` object."""
    regexes = split_regexes(pre_tokenizer)
    if regexes is not None:
        name = _BY_REGEXES.get(tuple(normalize_regex(r) for r in regexes))
        if name is not None:
            return name
    log.warning(
        "tokenizer.json: unrecognized pre-tokenizer, using %r; tokenization may differ from "
        "the original model's (split regexes: %r)",
        DEFAULT,
        regexes,
    )
    return DEFAULT
