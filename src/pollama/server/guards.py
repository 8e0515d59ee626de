"""HTTP guards from Ollama's server (server/routes.go, allowedHostsMiddleware; envconfig's
AllowedOrigins): the CORS origin list and matching, and the Host-header check against DNS
rebinding."""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
from collections.abc import Collection

from pollama.go.net import is_private, parse_ip, split_host_port
from pollama.settings import Settings

_LOCAL_ORIGIN_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0")
_APP_ORIGINS = ("app://*", "file://*", "tauri://*", "vscode-webview://*", "vscode-file://*")


def allowed_origins(settings: Settings) -> list[str]:
    """`OLLAMA_ORIGINS` followed by Ollama's defaults (local hosts on any port, app schemes)."""
    origins = list(settings.origins)
    for host in _LOCAL_ORIGIN_HOSTS:
        origins += [f"http://{host}", f"https://{host}", f"http://{host}:*", f"https://{host}:*"]
    origins += _APP_ORIGINS
    return origins


@functools.lru_cache(maxsize=256)
def _origin_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(piece) for piece in pattern.split("*")), re.IGNORECASE)


def origin_allowed(origin: str, patterns: Collection[str]) -> bool:
    """Whether `origin` matches one of `patterns` (exact, `*` alone = any, `*` = wildcard)."""
    for pattern in patterns:
        if pattern == "*" or pattern.lower() == origin.lower():
            return True
        if "*" in pattern and _origin_pattern(pattern).fullmatch(origin):
            return True
    return False


# --- Host-header guard (DNS rebinding) -----------------------------------------------------

_LOCAL_SUFFIXES = (".localhost", ".local", ".internal")


@functools.lru_cache(maxsize=1)
def _machine_addresses() -> frozenset[str]:
    """Best-effort addresses of this machine (those its hostname resolves to)."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None)
    except OSError:
        return frozenset()
    return frozenset(str(info[4][0]).split("%")[0] for info in infos)


def host_header_allowed(
    host_header: str,
    bind_is_loopback: bool,
    *,
    hostname: str | None = None,
    local_addresses: Collection[str] | None = None,
) -> bool:
    """Ollama's DNS-rebinding guard: may a request with this `Host` header be served?

    Only a server listening on loopback checks. Allowed: empty, `localhost`, this machine's
    hostname, `*.localhost`, `*.local`, `*.internal`, and IPs that are loopback, private,
    unspecified or one of this machine's. `hostname` / `local_addresses` override detection.
    """
    if not bind_is_loopback:
        return True
    split = split_host_port(host_header)
    host = (split[0] if split is not None else host_header.strip("[]")).lower()
    ip = parse_ip(host)
    if ip is not None:
        # Go's netip checks see through IPv4-mapped IPv6 addresses (::ffff:10.0.0.1).
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        plain = mapped or ip
        if plain.is_loopback or is_private(plain) or ip.is_unspecified:
            return True
        addresses = _machine_addresses() if local_addresses is None else local_addresses
        return str(ip).split("%")[0] in {str(parse_ip(a) or a) for a in addresses}
    if host in ("", "localhost"):
        return True
    if host == (socket.gethostname() if hostname is None else hostname).lower():
        return True
    return host.endswith(_LOCAL_SUFFIXES)
