"""`WWW-Authenticate` challenges and the token request URL built from one
(Ollama's server/auth.go, getAuthorizationToken)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote_plus, urlsplit, urlunsplit

_PARAM = re.compile(r'([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')


@dataclass(frozen=True)
class Challenge:
    """One parsed challenge: `scheme` lower-cased (`bearer`, `basic`) and its parameters."""

    scheme: str
    params: dict[str, str]

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")

    @property
    def service(self) -> str:
        return self.params.get("service", "")

    @property
    def scope(self) -> str:
        return self.params.get("scope", "")


def parse_challenge(header: str) -> Challenge | None:
    """`Bearer realm="…",service="…",scope="…"` -> Challenge; None for an empty header."""
    header = header.strip()
    if not header:
        return None
    scheme, _, rest = header.partition(" ")
    params: dict[str, str] = {}
    for match in _PARAM.finditer(rest):
        quoted, bare = match.group(2), match.group(3)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
        params[match.group(1).lower()] = value
    return Challenge(scheme.lower(), params)


def go_query_encode(pairs: list[tuple[str, str]]) -> str:
    """Go's `url.Values.Encode`: keys sorted (stable), each part `QueryEscape`d."""
    ordered = sorted(pairs, key=lambda pair: pair[0])
    return "&".join(f"{quote_plus(key)}={quote_plus(value)}" for key, value in ordered)


def token_url(challenge: Challenge, extra: list[tuple[str, str]] | None = None) -> str:
    """The realm with `service`, every space-separated `scope`, and `extra` added to its query
    (re-encoded as Go does, because the signed URL must be the one sent byte for byte)."""
    parts = urlsplit(challenge.realm)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    pairs.append(("service", challenge.service))
    pairs.extend(("scope", scope) for scope in challenge.scope.split(" ") if scope)
    pairs.extend(extra or [])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, go_query_encode(pairs), ""))
