"""A Hugging Face `config.json`, with typed getters that name the missing or malformed key.

JSON `null` counts as absent (Hugging Face writes `"head_dim": null`, `"rope_scaling": null`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pollama.convert.errors import ConvertError
from pollama.convert.jsonfiles import required_json_object

CONFIG_FILE = "config.json"
_T = TypeVar("_T")


class HFConfig:
    """The values of one config (or of a merged text config), read-only."""

    def __init__(self, values: dict[str, Any], source: str = CONFIG_FILE) -> None:
        self._values = values
        self.source = source  # the file named in errors

    @classmethod
    def load(cls, directory: Path) -> HFConfig:
        path = directory / CONFIG_FILE
        values = required_json_object(path, "no such file in the model directory")
        return cls(values)

    @property
    def values(self) -> dict[str, Any]:
        return dict(self._values)

    def has(self, key: str) -> bool:
        return self._values.get(key) is not None

    def is_null(self, key: str) -> bool:
        """Present and explicitly `null` (e.g. a disabled softcapping)."""
        return key in self._values and self._values[key] is None

    def get(self, key: str) -> Any:
        return self._values.get(key)

    def with_values(self, **values: Any) -> HFConfig:
        return HFConfig({**self._values, **values}, self.source)

    def text_config(self) -> HFConfig | None:
        """The top level overlaid with a nested `text_config` (multimodal checkpoints), as
        llama.cpp's converter reads it; None when there is none."""
        nested = self._values.get("text_config")
        if nested is None:
            return None
        if not isinstance(nested, dict):
            raise ConvertError(f'{self.source}: "text_config" is not an object')
        merged = {k: v for k, v in self._values.items() if k != "text_config"}
        merged.update(nested)
        return HFConfig(merged, self.source)

    def integer(self, key: str, default: int | None = None) -> int:
        value = self.optional_integer(key)
        return self._required(key, value, default)

    def optional_integer(self, key: str) -> int | None:
        value = self._values.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            raise self._wrong(key, value, "an integer")
        return int(value)

    def number(self, key: str, default: float | None = None) -> float:
        value = self.optional_number(key)
        return self._required(key, value, default)

    def optional_number(self, key: str) -> float | None:
        value = self._values.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._wrong(key, value, "a number")
        return float(value)

    def string(self, key: str, default: str | None = None) -> str:
        value = self.optional_string(key)
        return self._required(key, value, default)

    def optional_string(self, key: str) -> str | None:
        value = self._values.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._wrong(key, value, "a string")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self._values.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self._wrong(key, value, "true or false")
        return value

    def mapping(self, key: str) -> dict[str, Any]:
        """An object value; {} when absent."""
        value = self._values.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self._wrong(key, value, "an object")
        return value

    def items(self, key: str) -> list[Any] | None:
        value = self._values.get(key)
        if value is None:
            return None
        if not isinstance(value, list):
            raise self._wrong(key, value, "a list")
        return value

    def _required(self, key: str, value: _T | None, default: _T | None) -> _T:
        if value is not None:
            return value
        if default is not None:
            return default
        raise ConvertError(f'{self.source}: missing "{key}"')

    def _wrong(self, key: str, value: Any, expected: str) -> ConvertError:
        return ConvertError(f'{self.source}: "{key}" is {json.dumps(value)}, expected {expected}')
