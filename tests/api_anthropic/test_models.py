"""Anthropic model objects and pages (newest first, `limit`, `after_id`, `before_id`)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from pollama.api.anthropic.models import model_info, model_page
from pollama.errors import BadRequest


def stored(name: str, mtime: float) -> Any:
    return SimpleNamespace(
        name=SimpleNamespace(display_shortest=name), stored=SimpleNamespace(mtime=mtime)
    )


MODELS = [stored(f"m{i}:latest", 1_700_000_000 + i) for i in range(5)]  # m4 is the newest


def ids(page: dict[str, Any]) -> list[str]:
    return [info["id"] for info in page["data"]]


def test_model_info() -> None:
    assert model_info(MODELS[0]) == {
        "type": "model",
        "id": "m0:latest",
        "display_name": "m0:latest",
        "created_at": "2023-11-14T22:13:20Z",
        "lifecycle": "active",
    }
    assert model_info(MODELS[0], id="m0")["id"] == "m0"


def test_pages() -> None:
    whole = model_page(MODELS)
    assert ids(whole) == [f"m{i}:latest" for i in (4, 3, 2, 1, 0)]
    assert whole["has_more"] is False and whole["first_id"] == "m4:latest"
    first = model_page(MODELS, limit=2)
    assert ids(first) == ["m4:latest", "m3:latest"] and first["has_more"] is True
    second = model_page(MODELS, limit=2, after_id=first["last_id"])
    assert ids(second) == ["m2:latest", "m1:latest"] and second["has_more"] is True
    last = model_page(MODELS, limit=2, after_id=second["last_id"])
    assert ids(last) == ["m0:latest"] and last["has_more"] is False
    back = model_page(MODELS, limit=2, before_id="m1:latest")
    assert ids(back) == ["m3:latest", "m2:latest"] and back["has_more"] is True
    assert model_page([]) == {"data": [], "has_more": False, "first_id": None, "last_id": None}


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"limit": 0}, "limit: must be between 1 and 1000"),
        ({"after_id": "nope"}, "after_id: no model with id 'nope'"),
        ({"after_id": "m1:latest", "before_id": "m2:latest"}, "cannot both be given"),
    ],
)
def test_bad_pages(fields: dict[str, Any], words: str) -> None:
    with pytest.raises(BadRequest, match=words):
        model_page(MODELS, **fields)
