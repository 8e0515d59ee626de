"""What a generation or an embedding tells an observer (the server's metrics): tokens, timing.

Every generate, chat, OpenAI and Anthropic completion runs as one `Generation`, and every
embedding through `api.embed`: they report here, once per request, whatever the route.
`model` is the scheduler's name of the model asked for (`ModelRef.name`, e.g. `gemma3:270m`).
The app keeps its observer as `app.state.metrics`; `NO_USAGE` (an app without one) does
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from starlette.requests import Request

_NS_PER_SECOND = 1e9


class UsageObserver(Protocol):
    def first_token(self, model: str, seconds: float) -> None:
        """A generation's first token came `seconds` after its request arrived."""
        ...

    def token_gaps(self, model: str, seconds: float, count: int) -> None:
        """`count` more tokens came, each `seconds` after the one before it."""
        ...

    def completed(self, model: str, *, prompt: int, generated: int, cached: int) -> None:
        """A request finished: `prompt` tokens evaluated or taken from the cache (`cached`
        of them), `generated` tokens generated (0 for an embedding)."""
        ...


class NoUsage:
    def first_token(self, model: str, seconds: float) -> None:
        pass

    def token_gaps(self, model: str, seconds: float, count: int) -> None:
        pass

    def completed(self, model: str, *, prompt: int, generated: int, cached: int) -> None:
        pass


NO_USAGE: UsageObserver = NoUsage()


def usage_of(request: Request) -> UsageObserver:
    observer: UsageObserver = getattr(request.app.state, "metrics", None) or NO_USAGE
    return observer


@dataclass
class TokenClock:
    """Times a stream's tokens by the chunks that bring them. A chunk's `eval_count` is the
    tokens generated so far: the first token's time is its chunk's arrival; a later chunk
    bringing k tokens after a gap spreads the gap evenly over them (k gaps of gap/k), and
    tokens that come with the first one count gaps of zero. So a generation of n tokens
    reports one first token and n - 1 gaps, however the runner grouped them."""

    model: str
    started_ns: int  # time.monotonic_ns() when the request arrived
    observer: UsageObserver
    seen: int = 0
    last_ns: int = 0

    def chunk(self, eval_count: int, now_ns: int) -> None:
        new = eval_count - self.seen
        if new <= 0:
            return
        if self.seen == 0:
            self.observer.first_token(self.model, (now_ns - self.started_ns) / _NS_PER_SECOND)
            if new > 1:
                self.observer.token_gaps(self.model, 0.0, new - 1)
        else:
            gap = (now_ns - self.last_ns) / _NS_PER_SECOND
            self.observer.token_gaps(self.model, gap / new, new)
        self.seen, self.last_ns = eval_count, now_ns
