"""Stop strings matched across token boundaries, never leaked into the output.

Text arrives a token at a time. Anything that could still become a stop string is held back
until the next piece shows whether it does; a stop string itself, and everything after it,
is never released.
"""

from __future__ import annotations


class StopMatcher:
    """Feed text pieces; get back the text that is safe to emit."""

    def __init__(self, stops: list[str] | tuple[str, ...] = ()) -> None:
        self.stops = [s for s in stops if s]
        self._longest = max((len(s) for s in self.stops), default=0)
        self._held = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        """Return the text safe to emit now; sets `stopped` when a stop string is complete."""
        if self.stopped:
            return ""
        if not self.stops:
            return text
        buffer = self._held + text
        cut = self._earliest_stop(buffer)
        if cut is not None:
            self.stopped = True
            self._held = ""
            return buffer[:cut]
        keep = self._partial_suffix_length(buffer)
        self._held = buffer[len(buffer) - keep :]
        return buffer[: len(buffer) - keep]

    def flush(self) -> str:
        """Generation ended for another reason: what was held back is plain text after all."""
        held, self._held = self._held, ""
        return "" if self.stopped else held

    def _earliest_stop(self, buffer: str) -> int | None:
        found = [i for i in (buffer.find(s) for s in self.stops) if i >= 0]
        return min(found) if found else None

    def _partial_suffix_length(self, buffer: str) -> int:
        """Length of the longest end of `buffer` that begins some stop string."""
        for size in range(min(len(buffer), self._longest - 1), 0, -1):
            tail = buffer[len(buffer) - size :]
            if any(stop.startswith(tail) for stop in self.stops):
                return size
        return 0
