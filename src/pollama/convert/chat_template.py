"""The chat template a Hugging Face directory ships, for `tokenizer.chat_template`.

Where it is looked for, in order (as gguf-py's SpecialVocab does): tokenizer_config.json's
`chat_template` (a string, or a list of {"name", "template"} of which "default" is taken),
then a `chat_template.jinja` file, then `chat_template.json`'s `chat_template`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pollama.convert.errors import ConvertError
from pollama.convert.special_tokens import read_json


def chat_template(directory: Path, tokenizer_config: dict[str, Any] | None) -> str | None:
    if tokenizer_config is not None and tokenizer_config.get("chat_template") is not None:
        return _template(tokenizer_config["chat_template"], "tokenizer_config.json")
    jinja = directory / "chat_template.jinja"
    if jinja.is_file():
        try:
            return jinja.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise ConvertError(f"chat_template.jinja: {err}") from err
    template_json = read_json(directory, "chat_template.json")
    if template_json is not None and template_json.get("chat_template") is not None:
        return _template(template_json["chat_template"], "chat_template.json")
    return None


def _template(value: Any, source: str) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(entry, dict) for entry in value):
        for entry in value:
            if entry.get("name") == "default" and isinstance(entry.get("template"), str):
                return str(entry["template"])
        return None
    raise ConvertError(
        f'{source}: "chat_template" must be a string or a list of {{"name", "template"}}'
    )
