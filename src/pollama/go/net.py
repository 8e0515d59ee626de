"""Go's `net` / `net/netip` address handling: host:port splitting and joining, IP parsing."""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def split_host_port(hostport: str) -> tuple[str, str] | None:
    """net.SplitHostPort: (`host`, `port`), brackets of `[v6]` removed; None on error."""
    colon = hostport.rfind(":")
    if colon < 0:
        return None
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0 or end + 1 != colon:
            return None
        host, start_open, start_close = hostport[1:end], 1, end + 1
    else:
        host, start_open, start_close = hostport[:colon], 0, 0
        if ":" in host:
            return None
    if "[" in hostport[start_open:] or "]" in hostport[start_close:]:
        return None
    return host, hostport[colon + 1 :]


def join_host_port(host: str, port: int | str) -> str:
    """net.JoinHostPort: brackets around hosts containing `:` (IPv6)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_ip(text: str) -> IPAddress | None:
    """An IPv4 or IPv6 address (a `%zone` allowed, as netip.ParseAddr); None otherwise."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def canonical_ip(text: str) -> str | None:
    """net.ParseIP(text).String(): canonical spelling, IPv4-in-IPv6 shown as IPv4; None when
    `text` is no IP (net.ParseIP accepts no zone)."""
    ip = parse_ip(text)
    if ip is None or (isinstance(ip, ipaddress.IPv6Address) and ip.scope_id):
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)


def is_private(ip: IPAddress) -> bool:
    """netip.Addr.IsPrivate: RFC 1918 and RFC 4193 only (narrower than Python's)."""
    return any(ip.version == net.version and ip in net for net in _PRIVATE_NETWORKS)


def is_loopback_host(host: str) -> bool:
    """`localhost` or a loopback IP: a server listening there accepts only local clients."""
    if host.lower() == "localhost":
        return True
    ip = parse_ip(host)
    return ip is not None and ip.is_loopback
