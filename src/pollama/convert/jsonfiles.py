"""The JSON files of a checkpoint (config.json, tokenizer_config.json, adapter_config.json, ...)
read as JSON objects, every failure a ConvertError naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pollama.convert.errors import ConvertError


def json_object(path: Path, missing: str | None = None) -> dict[str, Any] | None:
    """`path` as a JSON object. A file that does not exist is None, or, when `missing` says
    why it is needed, the ConvertError `<name>: <missing>`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if missing is None:
            return None
        raise ConvertError(f"{path.name}: {missing}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConvertError(f"{path.name}: {exc}") from exc
    try:
        values = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConvertError(f"{path.name}: invalid JSON: {exc}") from exc
    if not isinstance(values, dict):
        raise ConvertError(f"{path.name}: not a JSON object")
    return values


def required_json_object(path: Path, missing: str) -> dict[str, Any]:
    values = json_object(path, missing)
    assert values is not None  # a missing file raised
    return values
