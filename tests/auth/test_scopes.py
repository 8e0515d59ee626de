"""The scope map: every route of the real app has a scope (or is the open `/`), unlisted
requests need admin, admin grants everything."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pollama.auth.scopes import (
    ADMIN,
    INFER,
    OPEN_ROUTES,
    READ,
    ROUTE_SCOPES,
    grants,
    required_scope,
)
from pollama.server.app import create_app
from pollama.settings import Settings


def _flat_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """The app's routes, those of included routers too (FastAPI nests them lazily)."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _flat_routes(route.original_router.routes)
        else:
            yield route


def test_every_route_of_the_app_has_a_scope(tmp_path: Path) -> None:
    app = create_app(Settings.from_env({"HOME": str(tmp_path)}))
    served = {
        (method, route.path) for route in _flat_routes(app.routes) for method in route.methods
    }
    assert len(served) > 20
    unlisted = sorted(served - set(ROUTE_SCOPES) - OPEN_ROUTES)
    assert unlisted == [], "routes without a scope in pollama.auth.scopes"
    assert served >= OPEN_ROUTES


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("GET", "/api/tags", READ),
        ("HEAD", "/api/tags", READ),
        ("POST", "/api/show", READ),
        ("GET", "/api/ps", READ),
        ("GET", "/api/version", READ),
        ("GET", "/v1/models", READ),
        ("GET", "/v1/models/gemma3:270m", READ),
        ("GET", "/metrics", READ),
        ("POST", "/api/generate", INFER),
        ("POST", "/api/chat", INFER),
        ("POST", "/api/embed", INFER),
        ("POST", "/api/embeddings", INFER),
        ("POST", "/v1/chat/completions", INFER),
        ("POST", "/v1/completions", INFER),
        ("POST", "/v1/embeddings", INFER),
        ("POST", "/v1/responses", INFER),
        ("POST", "/v1/messages", INFER),
        ("POST", "/v1/messages/count_tokens", INFER),
        ("POST", "/api/create", ADMIN),
        ("HEAD", "/api/blobs/sha256:" + "a" * 64, ADMIN),
        ("POST", "/api/blobs/sha256:" + "a" * 64, ADMIN),
        ("POST", "/api/copy", ADMIN),
        ("DELETE", "/api/delete", ADMIN),
        ("POST", "/api/pull", ADMIN),
        ("POST", "/api/push", ADMIN),
        # not served, or not with this method: admin, so nothing is open by accident
        ("GET", "/api/future", ADMIN),
        ("POST", "/api/tags", ADMIN),
        ("GET", "/api/generate", ADMIN),
        ("GET", "/v1/models/a/b", ADMIN),
        ("GET", "/api/tags/", ADMIN),
        ("POST", "/", ADMIN),
        ("GET", "/v1/messages", ADMIN),
    ],
)
def test_required_scope(method: str, path: str, scope: str) -> None:
    assert required_scope(method, path) == scope


def test_health_check_is_open() -> None:
    assert required_scope("GET", "/") is None
    assert required_scope("HEAD", "/") is None


def test_grants() -> None:
    assert grants(frozenset({READ}), READ)
    assert not grants(frozenset({READ}), INFER)
    assert not grants(frozenset({READ, INFER}), ADMIN)
    assert all(grants(frozenset({ADMIN}), scope) for scope in (READ, INFER, ADMIN))
