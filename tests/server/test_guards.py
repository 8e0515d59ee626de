"""CORS origins (defaults and `*` wildcards) and the Host-header guard against DNS rebinding."""

from __future__ import annotations

import socket

import pytest

from pollama.server.guards import allowed_origins, host_header_allowed, origin_allowed
from pollama.settings import Settings

DEFAULTS = allowed_origins(Settings())


def test_default_origins() -> None:
    for host in ("localhost", "127.0.0.1", "0.0.0.0"):
        for scheme in ("http", "https"):
            assert f"{scheme}://{host}" in DEFAULTS
            assert f"{scheme}://{host}:*" in DEFAULTS
    for app in ("app://*", "file://*", "tauri://*", "vscode-webview://*", "vscode-file://*"):
        assert app in DEFAULTS


def test_configured_origins_come_first() -> None:
    origins = allowed_origins(Settings(origins=("https://app.test", "chrome-extension://*")))
    assert origins[:2] == ["https://app.test", "chrome-extension://*"]
    assert origins[2:] == DEFAULTS


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://localhost", True),
        ("https://localhost", True),
        ("http://localhost:3000", True),
        ("https://127.0.0.1:8443", True),
        ("http://0.0.0.0:80", True),
        ("HTTP://LOCALHOST:3000", True),
        ("app://obsidian.md", True),
        ("file://", True),
        ("tauri://localhost", True),
        ("vscode-webview://1234abcd", True),
        ("vscode-file://vscode-app", True),
        ("https://evil.test", False),
        ("http://localhost.evil.test", False),
        ("http://127.0.0.1.evil.test", False),
        ("http://evil.test/http://localhost", False),
        ("null", False),
        ("", False),
        ("chrome-extension://abcdef", False),
        ("http://[::1]:3000", False),
    ],
)
def test_default_origin_matching(origin: str, allowed: bool) -> None:
    assert origin_allowed(origin, DEFAULTS) is allowed


@pytest.mark.parametrize(
    ("patterns", "origin", "allowed"),
    [
        (["*"], "https://anything.test", True),
        (["*"], "null", True),
        (["https://*.example.test"], "https://app.example.test", True),
        (["https://*.example.test"], "https://a.b.example.test", True),
        (["https://*.example.test"], "https://example.test", False),
        (["https://*.example.test"], "http://app.example.test", False),
        (["https://*.example.test"], "https://app.example.test.evil", False),
        (["chrome-extension://*"], "chrome-extension://abcdef", True),
        (["https://App.Test"], "https://app.test", True),
        (["https://app.test"], "https://app.test.evil", False),
        (["https://app.test"], "https://app.test:8443", False),
        (["http://*.local:*"], "http://printer.local:8080", True),
        (["http://*.local:*"], "http://printer.local", False),
        (["*.example.test"], "https://x.example.test", True),
        (["https://app.test*"], "https://app.test:1", True),
        (["https://a.test", "https://b.test"], "https://b.test", True),
        ([], "http://localhost", False),
        (["https://a+b.test"], "https://aab.test", False),
        (["https://a.b"], "https://aXb", False),
    ],
)
def test_origin_patterns(patterns: list[str], origin: str, allowed: bool) -> None:
    assert origin_allowed(origin, patterns) is allowed


@pytest.mark.parametrize(
    "host",
    [
        "",
        "localhost",
        "localhost:11434",
        "LOCALHOST:11434",
        "127.0.0.1",
        "127.0.0.1:11434",
        "127.1.2.3:80",
        "[::1]:11434",
        "[::1]",
        "::1",
        "[::ffff:127.0.0.1]:11434",
        "10.0.0.5:11434",
        "172.16.3.4",
        "172.31.255.255",
        "192.168.1.1:8080",
        "[fd00::1]:11434",
        "[fc12::9]",
        "0.0.0.0:11434",
        "[::]:11434",
        "devbox",
        "DevBox:11434",
        "app.localhost:11434",
        "printer.local",
        "svc.cluster.internal:80",
        "203.0.113.7:11434",  # one of this machine's addresses (see local_addresses below)
    ],
)
def test_host_header_allowed(host: str) -> None:
    assert host_header_allowed(host, True, hostname="devbox", local_addresses={"203.0.113.7"})


@pytest.mark.parametrize(
    "host",
    [
        "evil.test",
        "evil.test:11434",
        "localhost.evil.test",
        "devbox.evil.test",
        "xlocalhost",
        "local",
        "internal",
        "8.8.8.8",
        "8.8.8.8:11434",
        "172.32.0.1",
        "169.254.1.1",
        "100.64.0.1",
        "203.0.113.8",
        "[2001:db8::1]:11434",
        "[fe80::1]:11434",
    ],
)
def test_host_header_rejected(host: str) -> None:
    assert not host_header_allowed(host, True, hostname="devbox", local_addresses={"203.0.113.7"})
    # a server listening beyond loopback does not check at all
    assert host_header_allowed(host, False, hostname="devbox", local_addresses=set())


def test_host_header_uses_this_machine_by_default() -> None:
    assert host_header_allowed(socket.gethostname(), True)
    assert host_header_allowed(f"{socket.gethostname()}:11434", True)
    assert not host_header_allowed("rebind.evil.test", True)
