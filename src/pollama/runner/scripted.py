"""`ScriptedRunner`: a runner with no weights, for tests of everything above the runner.

It honours `pollama.runner.contract.Runner` as `RunnerClient` does, the way httpx ships
`MockTransport` beside its real transports: the scheduler, the routes and the serving layer run
unchanged over it, in process, in milliseconds.

- Tokens are whitespace-separated words, each with a stable id (the same word always gets the
  same id, across the runners of one factory); `add_special` puts BOS (id 1) first, and
  `detokenize` joins the words back with single spaces. With images (a spec with a
  projector), each `[img-N]` tag is `IMAGE_TOKENS` negative ids, in `tokenize` and in the
  counts of `generate` alike; the images themselves are not looked at.
- `generate` replies with the script: a list of text pieces (one token each), or a callable
  from the request's `GenerateParams` to pieces. `num_predict` (clamped as the engine clamps
  it) ends the reply with `length`, a `stop` string ends it with `stop` and is never sent, as
  the real engine does; the final chunk carries `done_reason`, the prompt and eval counts,
  non-zero durations (a millisecond a token) and the `context` (the prompt's tokens, then the
  reply's words as tokens). With `draft_num_predict` k > 0 it reports the draft counts of a
  drafter that is always right: each step makes k + 1 tokens (k drafts, all accepted, and the
  model's own), the last step's drafts beyond the reply's end are not accepted.
- `embed` returns deterministic vectors (from a hash of each text) and token counts.
- `fail(...)` scripts a failure: an error after some pieces, or the runner's death (it turns
  not alive, as a crashed process does, and every later call fails with the same error).
- `requests`, `embedded`, `cancelled` and `health()` let a test see what the server asked;
  Like one slot, a runner keeps its last generation's tokens (the prompt and the reply's
  words): `health()` reports them as the KV cells used, and with `prefix_cache` the next
  prompt's common prefix with them is its `cached_count` (one token is always evaluated).
- A death that is not `close()` (`kill`, `fail(die=True)`) calls `on_crash`, as a crashed
  process makes `RunnerClient` do.

`ScriptedRunners` is a `RunnerFactory` for `Scheduler`: it starts a `ScriptedRunner` per spec
and keeps them in `started`. Importing this module never imports `llama_cpp`.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncGenerator, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from pollama.errors import PollamaError
from pollama.runner.contract import Runner, RunnerFactory
from pollama.runner.memory import MemoryEstimate
from pollama.runner.request_options import RequestOptions
from pollama.runner.stops import StopMatcher
from pollama.runner.types import EmbedResult, GenerateChunk, GenerateParams, RunnerSpec

BOS = 1
IMAGE_TOKENS = 4  # the positions a scripted image takes
_IMAGE_TAG = re.compile(r"(\[img-\d+\])")
FIRST_WORD_ID = 100  # ids below are left for special tokens
DEFAULT_REPLY = ("Hello", " world", "!")
CRASH = "llama runner process has terminated: signal: killed"
NS_PER_TOKEN = 1_000_000  # the scripted durations: one millisecond per token

# The reply to a generation: text pieces (one token each), or how to make them from the request.
Reply = Iterable[str] | Callable[[GenerateParams], Iterable[str]]


class WordTokenizer:
    """Whitespace tokens with stable ids, shared by the runners of one factory."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._words: dict[int, str] = {}

    def encode(self, text: str, add_special: bool = True) -> list[int]:
        tokens = [BOS] if add_special else []
        for word in text.split():
            if word not in self._ids:
                token = FIRST_WORD_ID + len(self._ids)
                self._ids[word] = token
                self._words[token] = word
            tokens.append(self._ids[word])
        return tokens

    def decode(self, tokens: list[int]) -> str:
        return " ".join(self._words[t] for t in tokens if t in self._words)


@dataclass
class Failure:
    """A scripted failure of the next generation (or embedding)."""

    error: PollamaError
    after: int = 0  # pieces sent before it fails
    die: bool = False  # the runner dies with it: not alive any more, every call fails


class ScriptedRunner:
    """A fake runner that follows a script (see the module's description)."""

    def __init__(
        self,
        spec: RunnerSpec,
        *,
        reply: Reply = DEFAULT_REPLY,
        tokenizer: WordTokenizer | None = None,
        memory: MemoryEstimate | None = None,
        embedding_length: int = 8,
        piece_delay: float = 0.0,
        prefix_cache: bool = False,
    ) -> None:
        self.spec = spec
        self.memory = memory or MemoryEstimate(weights=1 << 20, kv_cache=1 << 20, compute=1 << 20)
        self.load_duration_ns = 0
        self.reply = reply
        self.tokenizer = tokenizer or WordTokenizer()
        self.embedding_length = embedding_length
        self.piece_delay = piece_delay  # seconds between pieces (to test disconnects, queues)
        self.prefix_cache = prefix_cache  # report cached_count (see the module's description)
        self.failure: Failure | None = None
        self.requests: list[GenerateParams] = []  # every generation asked, in order
        self.embedded: list[list[str]] = []  # every embed call's texts
        self.cancelled = 0  # generations that ended before their final chunk (closed, failed)
        self.closed = False
        self.on_crash: Callable[[], None] | None = None
        self._death: PollamaError | None = None
        self._active = 0
        self._held: list[int] = []  # the last generation's tokens, as one slot's KV holds them

    # ---- scripting -----------------------------------------------------------------------

    def fail(self, message: str = CRASH, *, after: int = 0, die: bool = False) -> None:
        """Make the next generation (or embedding) fail with `message` after `after` pieces;
        with `die`, the runner dies then, as a crashed process does."""
        self.failure = Failure(PollamaError(message), after=after, die=die)

    def kill(self, message: str = CRASH) -> None:
        """The runner dies now: every request in flight and every later call fails."""
        if self._death is None:
            self._death = PollamaError(message)
            if not self.closed and self.on_crash is not None:
                self.on_crash()

    def _positions(self, text: str, add_special: bool, images: list[str]) -> list[int]:
        """The words' ids; with images, each `[img-N]` tag as IMAGE_TOKENS negative ids."""
        if not images:
            return self.tokenizer.encode(text, add_special)
        if self.spec.projector is None:
            raise PollamaError("this model does not support images", 400)
        tokens = [BOS] if add_special else []
        for part in _IMAGE_TAG.split(text):
            if _IMAGE_TAG.fullmatch(part):
                index = int(part[5:-1])
                if index >= len(images):
                    raise PollamaError(f"invalid image index: {index}", 400)
                tokens.extend(-1 - index * IMAGE_TOKENS - k for k in range(IMAGE_TOKENS))
            else:
                tokens.extend(self.tokenizer.encode(part, add_special=False))
        return tokens

    # ---- the contract --------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self._death is None and not self.closed

    async def generate(self, params: GenerateParams) -> AsyncGenerator[GenerateChunk, None]:
        self._check_alive()
        self.requests.append(params)
        prompt = (
            list(params.prompt)
            if isinstance(params.prompt, list)
            else self._positions(params.prompt, True, params.images)
        )
        options = RequestOptions.from_dict(params.options)
        limit = options.max_new_tokens(self.spec.num_ctx)
        stops = StopMatcher(options.stop)
        failure, self.failure = self.failure, None
        sent: list[str] = []  # the pieces generated (one token each)
        reason = "length" if limit <= 0 else "stop"
        finished = False
        self._active += 1
        try:
            for piece in [] if limit <= 0 else self._pieces(params):
                if failure is not None and len(sent) >= failure.after:
                    self._raise(failure)
                if self.piece_delay:
                    await asyncio.sleep(self.piece_delay)
                self._check_alive()
                sent.append(piece)
                text = stops.feed(piece)
                if text:
                    yield GenerateChunk(text=text, eval_count=len(sent))
                if stops.stopped:
                    break
                if len(sent) >= limit:  # as the engine: the limit wins over the next token
                    reason = "length"
                    break
            if failure is not None:  # scripted to fail after the last piece
                self._raise(failure)
            if tail := stops.flush():
                yield GenerateChunk(text=tail, eval_count=len(sent))
            finished = True
            generated = self.tokenizer.encode("".join(sent), add_special=False)
            cached = _cached_prefix(self._held, prompt) if self.prefix_cache else 0
            self._held = (prompt + generated)[: self.spec.num_ctx]
            drafted, accepted = _draft_counts(params.draft_num_predict, len(sent))
            yield GenerateChunk(
                done=True,
                done_reason=reason,
                prompt_eval_count=len(prompt),
                cached_count=cached,
                prompt_eval_duration=NS_PER_TOKEN * len(prompt),
                eval_count=len(sent),
                eval_duration=NS_PER_TOKEN * len(sent),
                context=prompt + generated,
                draft_tokens=drafted,
                draft_accepted_tokens=accepted,
            )
        finally:
            self._active -= 1
            if not finished:
                self.cancelled += 1

    async def embed(self, texts: list[str]) -> EmbedResult:
        self._check_alive()
        failure, self.failure = self.failure, None
        if failure is not None:
            self._raise(failure)
        self.embedded.append(list(texts))
        return EmbedResult(
            embeddings=[self._vector(text) for text in texts],
            token_counts=[len(self.tokenizer.encode(text)) for text in texts],
            duration=NS_PER_TOKEN * len(texts),
        )

    async def tokenize(
        self, text: str, add_special: bool = True, images: list[str] | None = None
    ) -> list[int]:
        self._check_alive()
        return self._positions(text, add_special, images or [])

    async def detokenize(self, tokens: list[int]) -> str:
        self._check_alive()
        return self.tokenizer.decode(tokens)

    async def health(self) -> dict[str, Any]:
        self._check_alive()
        return {
            "active": self._active,
            "waiting": 0,
            "embedding": 0,
            "kv_used": len(self._held),
            "kv_total": self.spec.num_ctx * self.spec.num_parallel,
        }

    async def close(self) -> None:
        self.closed = True
        self.kill("llama runner was stopped")

    # ---- plumbing ------------------------------------------------------------------------

    def _pieces(self, params: GenerateParams) -> Iterable[str]:
        return self.reply(params) if callable(self.reply) else self.reply

    def _vector(self, text: str) -> list[float]:
        digest = hashlib.sha256(text.encode()).digest()
        return [(digest[i % len(digest)] - 127.5) / 127.5 for i in range(self.embedding_length)]

    def _check_alive(self) -> None:
        if self._death is not None:
            raise self._death

    def _raise(self, failure: Failure) -> NoReturn:
        if failure.die:
            self.kill(failure.error.message)
            raise self._death or failure.error
        raise failure.error


def _cached_prefix(held: list[int], prompt: list[int]) -> int:
    shared = 0
    for mine, theirs in zip(held, prompt, strict=False):
        if mine != theirs:
            break
        shared += 1
    return max(0, min(shared, len(prompt) - 1))


def _draft_counts(per_step: int, generated: int) -> tuple[int, int]:
    """(drafted, accepted) for `generated` tokens (see the module's description)."""
    if per_step <= 0 or generated <= 0:
        return 0, 0
    steps = -(-generated // (per_step + 1))
    return per_step * steps, generated - steps


class ScriptedRunners:
    """A `RunnerFactory` of `ScriptedRunner`s: what a test passes to `Scheduler`.

    `reply` is the script of every runner (set it between requests: it applies to the runners
    already started too); `started` lists the runners in the order they were loaded, `latest`
    is the last one. `refuse` makes the next load fail with that error (a failed load).
    """

    def __init__(self, reply: Reply = DEFAULT_REPLY, **runner_options: Any) -> None:
        self._reply = reply
        self.runner_options = runner_options
        self.tokenizer = WordTokenizer()
        self.started: list[ScriptedRunner] = []
        self.refusal: PollamaError | None = None

    @property
    def reply(self) -> Reply:
        return self._reply

    @reply.setter
    def reply(self, reply: Reply) -> None:
        self._reply = reply
        for runner in self.started:
            runner.reply = reply

    @property
    def latest(self) -> ScriptedRunner:
        if not self.started:
            raise LookupError("no scripted runner was started")
        return self.started[-1]

    def refuse(self, error: PollamaError) -> None:
        self.refusal = error

    async def __call__(self, spec: RunnerSpec) -> ScriptedRunner:
        refusal, self.refusal = self.refusal, None
        if refusal is not None:
            raise refusal
        runner = ScriptedRunner(
            spec, reply=self._reply, tokenizer=self.tokenizer, **self.runner_options
        )
        self.started.append(runner)
        return runner


if TYPE_CHECKING:  # mypy holds the fake to the same contract as the real client
    _honours_the_contract: type[Runner] = ScriptedRunner
    _is_a_factory: RunnerFactory = ScriptedRunners()
