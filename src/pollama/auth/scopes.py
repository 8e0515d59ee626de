"""Which scope each route needs. `read` looks (model lists, details, versions, metrics),
`infer` runs models, `admin` changes the store; `admin` grants the other two as well.

Every route the app serves is listed here (a test checks it against the app). A method and path
not listed need `admin`, so a route added later is never open by accident; only `GET /` and
`HEAD /`, the health check, need no key.
"""

from __future__ import annotations

import re
from functools import cache

READ = "read"
INFER = "infer"
ADMIN = "admin"
SCOPES = (READ, INFER, ADMIN)
DEFAULT_SCOPES = (READ, INFER)

OPEN_ROUTES = frozenset({("GET", "/"), ("HEAD", "/")})


def _looks(*paths: str) -> dict[tuple[str, str], str]:
    return {(method, path): READ for path in paths for method in ("GET", "HEAD")}


def _posts(scope: str, *paths: str) -> dict[tuple[str, str], str]:
    return {("POST", path): scope for path in paths}


# (method, path template as the routers spell it) -> scope
ROUTE_SCOPES: dict[tuple[str, str], str] = {
    **_looks("/api/tags", "/api/ps", "/api/version", "/v1/models", "/v1/models/{model}"),
    **_looks("/metrics"),
    **_posts(READ, "/api/show"),
    **_posts(INFER, "/api/generate", "/api/chat", "/api/embed", "/api/embeddings"),
    **_posts(INFER, "/v1/chat/completions", "/v1/completions", "/v1/embeddings"),
    **_posts(INFER, "/v1/responses", "/v1/messages", "/v1/messages/count_tokens"),
    **_posts(ADMIN, "/api/create", "/api/blobs/{digest}", "/api/copy", "/api/pull", "/api/push"),
    ("HEAD", "/api/blobs/{digest}"): ADMIN,
    ("DELETE", "/api/delete"): ADMIN,
}


@cache
def _patterns() -> list[tuple[str, re.Pattern[str], str]]:
    compiled = []
    for (method, template), scope in ROUTE_SCOPES.items():
        pattern = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template))
        compiled.append((method, re.compile(pattern), scope))
    return compiled


def listed_scope(method: str, path: str) -> str | None:
    """The scope the table gives this request, or None when it is not listed."""
    for listed_method, pattern, scope in _patterns():
        if listed_method == method and pattern.fullmatch(path):
            return scope
    return None


def required_scope(method: str, path: str) -> str | None:
    """The scope a request needs; None for the open health check."""
    if (method, path) in OPEN_ROUTES:
        return None
    return listed_scope(method, path) or ADMIN


def grants(scopes: frozenset[str], needed: str) -> bool:
    return needed in scopes or ADMIN in scopes
