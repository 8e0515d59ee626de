"""Token pieces are bytes; a character may span tokens. Release only whole characters."""

from __future__ import annotations


def _incomplete_tail_length(data: bytes) -> int:
    """How many bytes at the end of `data` start a character that is not complete yet."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0b1100_0000 != 0b1000_0000:  # not a continuation byte: a lead or ASCII
            if byte >= 0b1111_0000:
                needed = 4
            elif byte >= 0b1110_0000:
                needed = 3
            elif byte >= 0b1100_0000:
                needed = 2
            else:
                needed = 1
            return back if needed > back else 0
    return 0  # only continuation bytes: invalid, let the decoder replace them


class Utf8Holder:
    """Feed byte pieces; get back text that never splits a UTF-8 character."""

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, piece: bytes) -> str:
        data = self._pending + piece
        hold = _incomplete_tail_length(data)
        self._pending = data[len(data) - hold :] if hold else b""
        return data[: len(data) - hold].decode("utf-8", errors="replace")

    def flush(self) -> str:
        """The stream ended: whatever is left, with broken bytes replaced by U+FFFD."""
        data, self._pending = self._pending, b""
        return data.decode("utf-8", errors="replace")
