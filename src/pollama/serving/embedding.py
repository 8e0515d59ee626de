"""Embedding inputs on a leased runner: truncation, L2 normalisation, dimensions."""

from __future__ import annotations

import math
from typing import Any

from pollama.errors import BadRequest, PollamaError
from pollama.runner.contract import Runner


def normalize(vector: list[float]) -> list[float]:
    if not all(math.isfinite(x) for x in vector):
        raise PollamaError("embedding contains NaN or Inf values")
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm > 0 else vector


def shape(vector: list[float], dimensions: int | None) -> list[float]:
    """Normalise; with `0 < dimensions < len`, truncate and normalise again."""
    vector = normalize(vector)
    if dimensions and 0 < dimensions < len(vector):
        vector = normalize(vector[:dimensions])
    return vector


def inputs_of(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return list(value)
    raise BadRequest("invalid input type")


async def fit_inputs(runner: Runner, texts: list[str], limit: int, truncate: bool) -> list[str]:
    """Cut inputs longer than `limit` tokens (or refuse them when `truncate` is false)."""
    fitted = []
    for text in texts:
        tokens = await runner.tokenize(text, add_special=False)
        if len(tokens) <= limit:
            fitted.append(text)
        elif not truncate:
            raise BadRequest("the input length exceeds the context length")
        else:
            fitted.append(await runner.detokenize(tokens[:limit]))
    return fitted
