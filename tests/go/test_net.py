"""net.SplitHostPort / JoinHostPort, ParseIP and the netip classes, as Go answers them."""

from __future__ import annotations

import ipaddress

import pytest

from pollama.go.net import (
    canonical_ip,
    is_loopback_host,
    is_private,
    join_host_port,
    parse_ip,
    split_host_port,
)


@pytest.mark.parametrize(
    ("hostport", "expected"),
    [
        ("h:1", ("h", "1")),
        (":1", ("", "1")),
        ("h:", ("h", "")),
        ("[::1]:1", ("::1", "1")),
        ("[h]:1", ("h", "1")),
        ("h", None),
        ("", None),
        ("::1", None),
        ("[::1]", None),
        ("[::1]x:1", None),
        ("[::1]:1:2", None),
        ("[::1:1", None),
        ("h]:1", None),
        ("a[b:1", None),
    ],
)
def test_split_host_port(hostport: str, expected: tuple[str, str] | None) -> None:
    assert split_host_port(hostport) == expected


def test_join_host_port() -> None:
    assert join_host_port("h", 1) == "h:1"
    assert join_host_port("::1", "2") == "[::1]:2"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("0:0:0:0:0:0:0:1", "::1"),  # net.IP.String() is the canonical spelling
        ("::ffff:10.0.0.1", "10.0.0.1"),  # IPv4-in-IPv6 prints as IPv4
        ("2001:DB8::1", "2001:db8::1"),
        ("fe80::1%eth0", None),  # net.ParseIP accepts no zone
        ("example.com", None),
        ("", None),
        ("1.2.3", None),
    ],
)
def test_canonical_ip(text: str, expected: str | None) -> None:
    assert canonical_ip(text) == expected


def test_parse_ip_takes_a_zone() -> None:
    assert parse_ip("fe80::1%eth0") == ipaddress.ip_address("fe80::1%eth0")
    assert parse_ip("nope") is None


@pytest.mark.parametrize(
    ("text", "private"),
    [("10.1.2.3", True), ("172.16.0.1", True), ("172.32.0.1", False), ("192.168.1.1", True),
     ("fd00::1", True), ("127.0.0.1", False), ("169.254.1.1", False), ("100.64.0.1", False),
     ("8.8.8.8", False), ("::1", False)],
)  # fmt: skip
def test_is_private_is_netip_narrow_rule(text: str, private: bool) -> None:
    ip = parse_ip(text)
    assert ip is not None
    assert is_private(ip) is private


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("localhost", True), ("LocalHost", True), ("127.0.0.1", True), ("127.1.2.3", True),
     ("::1", True), ("0.0.0.0", False), ("10.0.0.1", False), ("example.com", False)],
)  # fmt: skip
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
