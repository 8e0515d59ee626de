"""uvicorn's h11 connection, with the two timeouts it lacks, so that a client that stalls before
its request is complete cannot hold a connection open forever.

- A client has `header_timeout` seconds from the first byte of a request to the end of its
  headers; a half-sent request (slowloris) is then dropped.
- A new connection that sends nothing is closed after the keep-alive timeout, as uvicorn
  already closes one that is idle after a response.

Bodies are not timed here: a request's body is read by the route, which decides how long to
wait (and the body limit bounds how much).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)


class TimedH11Protocol(H11Protocol):
    header_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # uvicorn arms its keep-alive timer only after a response: arm it for the first request
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        cycle = self.cycle
        super().data_received(data)
        if self.cycle is not cycle:  # a request's headers are complete
            self._stop_header_timer()
        elif self._between_requests() and self._header_timer is None:
            self._header_timer = self.loop.call_later(
                self.header_timeout, self._headers_too_slow, cycle
            )

    def _between_requests(self) -> bool:
        return (self.cycle is None or self.cycle.response_complete) and not (
            self.transport.is_closing()
        )

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self, cycle: object) -> None:
        self._header_timer = None
        if self.cycle is cycle and not self.transport.is_closing():
            log.debug(
                "closing a connection whose request headers took over %gs", self.header_timeout
            )
            self.transport.close()


def protocol_class(header_timeout: float) -> type[TimedH11Protocol]:
    """The protocol class for uvicorn's `http=` setting, with this header timeout."""
    return type("TimedH11Protocol", (TimedH11Protocol,), {"header_timeout": header_timeout})
