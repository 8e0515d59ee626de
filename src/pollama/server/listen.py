"""The server's listening socket, bound before anything is announced.

`serve` binds it itself and hands it to uvicorn, so `Listening on ...` is printed only once the
address is really ours, and a busy port fails as Ollama's does:
`Error: listen tcp 127.0.0.1:11434: bind: address already in use`.
"""

from __future__ import annotations

import socket

from pollama.errors import PollamaError
from pollama.go.net import join_host_port

BACKLOG = 2048  # uvicorn's default


class ListenError(PollamaError):
    """The address cannot be listened on; worded as Go's net.Listen error."""


def _go_text(error: OSError) -> str:
    text = error.strerror or str(error)
    return text[:1].lower() + text[1:]


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (the first address `host` resolves to, as Go)."""
    address = join_host_port(host, port)
    try:
        found = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror:
        raise ListenError(f"listen tcp: lookup {host}: no such host") from None
    family, kind, proto, _, sockaddr = found[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Go and uvicorn do
        try:
            sock.bind(sockaddr)
        except OSError as error:
            raise ListenError(f"listen tcp {address}: bind: {_go_text(error)}") from None
        try:
            sock.listen(BACKLOG)
        except OSError as error:
            raise ListenError(f"listen tcp {address}: listen: {_go_text(error)}") from None
    except BaseException:
        sock.close()
        raise
    return sock
