"""The comparison's workloads, sent over HTTP to pollama or to llama-server.

Both engines get the same prompt text (pollama's `/api/generate` with `raw`, llama-server's
`/completion`), greedy sampling, the model's stop strings and the same token limit. The model
is a pretrained (not instruction-tuned) gemma, which keeps writing, so a limit of N tokens
gives N tokens on both sides; token counts come from each server's own final message.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

POLLAMA, LLAMA = "pollama", "llama-server"  # the table's columns
DRAFT = 16  # pollama's draft_num_predict in the prompt-lookup rows (its most per step)
TURN = "<start_of_turn>user\n{}<end_of_turn>\n<start_of_turn>model\n"
STOPS = ["<end_of_turn>", "<start_of_turn>"]  # the packaged Modelfile's
STORY_TOPICS = ["a lighthouse", "a desert", "a violin", "a glacier"]
STORY_TOPICS += ["a bakery", "a comet", "a forest fire", "a submarine"]
NOTE_TOPICS = ["apples", "rivers", "castles", "engines"]
PARAGRAPH = (
    "The old harbour town wakes slowly. Fishing boats return before dawn, their decks "
    "stacked with crates of silver mackerel, while gulls circle above the market hall. "
    "By seven the bakers have opened their shutters, the smell of bread drifts along the "
    "quay, and the first ferry sounds its horn as it leaves for the islands. Children run "
    "past the chandlery on their way to school, and the harbour master, a patient woman "
    "with a red scarf, writes the tides on the chalkboard by the slipway."
)


class Unsupported(Exception):
    """The server refused a request option (a feature it does not have yet)."""


@dataclass
class StreamResult:
    """One streamed request, timed at the client (perf_counter seconds)."""

    started: float
    first: float  # first generated text arrived
    last: float  # final message arrived
    tokens: int  # generated tokens, as the server counts them
    prompt_tokens: int  # prompt tokens the server evaluated (cache hits excluded where known)
    drafted: int = 0
    accepted: int = 0

    @property
    def ttft(self) -> float:
        return self.first - self.started

    @property
    def total(self) -> float:
        return self.last - self.started

    @property
    def overall_rate(self) -> float:
        """Generated tokens per second from sending the request to its final message."""
        return self.tokens / self.total if self.last > self.started else 0.0


class Endpoint(Protocol):
    name: str

    async def stream(
        self, prompt: str, tokens: int, extra: dict[str, Any] | None = None
    ) -> StreamResult: ...


async def _lines(response: httpx.Response) -> Any:
    async for line in response.aiter_lines():
        line = line.strip()
        if line.startswith("data:"):
            line = line[5:].strip()
        if line and line != "[DONE]":
            yield json.loads(line)


class PollamaEndpoint:
    """`/api/generate`, raw prompt, fixed load options (so every request fits one runner)."""

    def __init__(self, name: str, url: str, model: str, num_ctx: int, threads: int) -> None:
        self.name = name
        self.url = url
        self.model = model
        self.load_options = {"num_ctx": num_ctx, "num_thread": threads}
        self.client = httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(600))

    async def stream(
        self, prompt: str, tokens: int, extra: dict[str, Any] | None = None
    ) -> StreamResult:
        options = {**self.load_options, "temperature": 0, "num_predict": tokens, "stop": STOPS}
        body = {
            "model": self.model, "prompt": prompt, "raw": True, "stream": True,
            "keep_alive": -1, "options": {**options, **(extra or {})},
        }  # fmt: skip
        started = time.perf_counter()
        first = 0.0
        async with self.client.stream("POST", "/api/generate", json=body) as response:
            if response.status_code == 400:
                raise Unsupported((await response.aread()).decode(errors="replace"))
            response.raise_for_status()
            async for chunk in _lines(response):
                if "error" in chunk:
                    raise RuntimeError(f"{self.name}: {chunk['error']}")
                now = time.perf_counter()
                if chunk.get("response") or chunk.get("done"):
                    first = first or now
                if chunk.get("done"):
                    return StreamResult(
                        started, first, now, int(chunk.get("eval_count", 0)),
                        int(chunk.get("prompt_eval_count", 0)),
                        int(chunk.get("draft_count", 0)), int(chunk.get("draft_accepted_count", 0)),
                    )  # fmt: skip
        raise RuntimeError(f"{self.name}: the stream ended without a final chunk")

    async def close(self) -> None:
        await self.client.aclose()


class LlamaServerEndpoint:
    """llama-server's `/completion`, streamed, with its prompt cache on (its default)."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = url
        self.client = httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(600))

    async def stream(
        self, prompt: str, tokens: int, extra: dict[str, Any] | None = None
    ) -> StreamResult:
        body = {
            "prompt": prompt, "n_predict": tokens, "temperature": 0, "stream": True,
            "cache_prompt": True, "stop": STOPS, **(extra or {}),
        }  # fmt: skip
        started = time.perf_counter()
        first = 0.0
        async with self.client.stream("POST", "/completion", json=body) as response:
            response.raise_for_status()
            async for event in _lines(response):
                now = time.perf_counter()
                if event.get("content") or event.get("stop"):
                    first = first or now
                if event.get("stop"):
                    timings = event.get("timings", {})
                    return StreamResult(
                        started, first, now, int(timings.get("predicted_n", 0)),
                        int(timings.get("prompt_n", 0)), int(timings.get("draft_n", 0)),
                        int(timings.get("draft_n_accepted", 0)),
                    )  # fmt: skip
        raise RuntimeError(f"{self.name}: the stream ended without a final event")

    async def close(self) -> None:
        await self.client.aclose()


# ---- prompts ---------------------------------------------------------------------------------


def story_prompt(index: int) -> str:
    return TURN.format(f"Tell a long story about {STORY_TOPICS[index % len(STORY_TOPICS)]}.")


def notes_prompt(topic: str, lines: int, question: str, nonce: str) -> str:
    """A long, distinct prefix (~15 tokens a line); `nonce` first, so it is never cached."""
    notes = "\n".join(
        f"Note {i} about {topic}: item {i} weighs {i * 7 % 13} units and costs {i * 3 % 11}."
        for i in range(lines)
    )
    return TURN.format(f"Notebook {nonce}.\n{notes}\n\nQuestion: {question}")


def copy_prompt() -> str:
    """Output that copies its input: the paragraph again, one word changed."""
    ask = "Repeat this paragraph exactly, with the word 'red' changed to 'blue':"
    return TURN.format(f"{ask}\n\n{PARAGRAPH}") + PARAGRAPH.split(". ")[0] + "."


def fresh_prompt() -> str:
    """Output with nothing to copy: drafts from the prompt should not match."""
    return TURN.format("Invent ten new words and explain what each one means.")


# ---- measurements ----------------------------------------------------------------------------


async def aggregate_rate(endpoint: Endpoint, streams: int, tokens: int) -> tuple[float, int]:
    """(aggregate tok/s of `streams` concurrent requests, prompt evaluation included, fewest
    tokens any of them produced)."""
    started = time.perf_counter()
    runs = await asyncio.gather(*(endpoint.stream(story_prompt(i), tokens) for i in range(streams)))
    wall = time.perf_counter() - started
    return sum(r.tokens for r in runs) / wall, min(r.tokens for r in runs)


async def prefill(endpoint: Endpoint, lines: int, nonce: str) -> StreamResult:
    """One cold long prompt, one token out: its prompt time is its time to first token."""
    return await endpoint.stream(notes_prompt("lanterns", lines, "Which note is last?", nonce), 1)


async def conversations(endpoint: Endpoint, lines: int, nonce: str) -> tuple[float, float]:
    """Mean time to first token of 4 interleaved conversations' cold first turns, then of their
    second turns (same long prefix, a new question)."""
    cold, warm = [], []
    for topic in NOTE_TOPICS:
        cold.append((await endpoint.stream(notes_prompt(topic, lines, "Q1?", nonce), 1)).ttft)
    for topic in NOTE_TOPICS:
        turn = notes_prompt(topic, lines, "Q1?", nonce) + "Answer one.<end_of_turn>\n"
        turn += TURN.format("And what does note 9 say?")
        warm.append((await endpoint.stream(turn, 1)).ttft)
    return sum(cold) / len(cold), sum(warm) / len(warm)


async def short_behind_long(
    endpoint: Endpoint, lines: int, nonce: str, delay: float = 0.3
) -> tuple[float, float]:
    """(time to first token of a short request sent `delay` s after 3 long cold prompts,
    time until the 3 long ones have finished)."""
    started = time.perf_counter()
    longs = [
        asyncio.create_task(endpoint.stream(notes_prompt(t, lines, "Q?", nonce), 8))
        for t in NOTE_TOPICS[:3]
    ]
    await asyncio.sleep(delay)
    short = await endpoint.stream(TURN.format(f"Say hello {nonce}."), 8)
    await asyncio.gather(*longs)
    return short.ttft, time.perf_counter() - started


# ---- rounds ----------------------------------------------------------------------------------

Record = Callable[[str, str, float], None]  # (metric key, column, value)


@dataclass
class Settings:
    repeats: int
    tokens: int  # generated per stream
    lines: int  # of the long prompts' notes (~21 tokens each)
    notes: list[str] = field(default_factory=list)
    prompt_tokens: int = 0

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


@dataclass
class Engines:
    pollama: PollamaEndpoint
    llama: LlamaServerEndpoint
    invariant: PollamaEndpoint | None  # started with POLLAMA_BATCH_INVARIANT=1
    ngram: LlamaServerEndpoint | None  # started with --spec-type ngram-simple

    def all(self) -> list[PollamaEndpoint | LlamaServerEndpoint]:
        return [e for e in (self.pollama, self.llama, self.invariant, self.ngram) if e]


async def measure(engines: Engines, run: Settings, record: Record) -> None:
    """A warm-up request to each server, then `run.repeats` rounds; the servers' clients are
    closed at the end."""
    try:
        for endpoint in engines.all():
            await endpoint.stream(TURN.format("Hello."), 4)
        for round_ in range(run.repeats):
            print(f"round {round_ + 1} of {run.repeats}", file=sys.stderr, flush=True)
            await measure_round(engines, run, record, round_)
    finally:
        for endpoint in engines.all():
            await endpoint.close()


async def measure_round(engines: Engines, run: Settings, record: Record, round_: int) -> None:
    """Each workload on pollama and llama-server in turn; who goes first alternates."""
    pair: list[tuple[str, Endpoint]] = [(POLLAMA, engines.pollama), (LLAMA, engines.llama)]
    order = pair if round_ % 2 == 0 else pair[::-1]
    nonce = f"{round_}-{time.time_ns() % 100_000}"  # new long prompts: cold in every round
    for streams in (1, 3, 4, 8):
        for column, endpoint in order:
            rate, fewest = await aggregate_rate(endpoint, streams, run.tokens)
            record(f"decode {streams}", column, rate)
            if fewest < run.tokens:
                run.note(f"{endpoint.name}: a stream stopped at {fewest} of {run.tokens} tokens.")
        if streams == 4 and engines.invariant:
            rate, _ = await aggregate_rate(engines.invariant, 4, run.tokens)
            record("invariant 4", POLLAMA, rate)
    for column, endpoint in order:
        cold = await prefill(endpoint, run.lines, f"{nonce}{column}")
        record("prefill", column, cold.prompt_tokens / cold.ttft)
        run.prompt_tokens = max(run.prompt_tokens, cold.prompt_tokens)
    for column, endpoint in order:
        cold_ttft, warm_ttft = await conversations(endpoint, run.lines, f"{nonce}{column}c")
        record("prefix cold", column, cold_ttft)
        record("prefix warm", column, warm_ttft)
    for column, endpoint in order:
        short, longs = await short_behind_long(endpoint, run.lines, f"{nonce}{column}s")
        record("short ttft", column, short)
        record("long total", column, longs)
    await measure_speculation(engines, run, record)


async def measure_speculation(engines: Engines, run: Settings, record: Record) -> None:
    """Single streams, each drafting run beside the same request without drafting.

    Rates run from request to final message (prompt included, the same on both sides):
    drafted tokens arrive in bursts, so a first-to-last-token rate would flatter them."""
    pollama_drafts = True
    for prompt, task in ((copy_prompt(), "copy"), (fresh_prompt(), "fresh")):
        if pollama_drafts:
            plain = await engines.pollama.stream(prompt, run.tokens)
            try:
                extra = {"draft_num_predict": DRAFT}
                drafted = await engines.pollama.stream(prompt, run.tokens, extra)
            except Unsupported as refused:
                run.note(f"pollama refused draft_num_predict ({refused}): its lookup rows are n/a.")
                pollama_drafts = False
            else:
                pollama_drafts = drafted.drafted > 0 or task != "copy"
                if pollama_drafts:
                    record_speculation(record, POLLAMA, task, plain, drafted)
                else:
                    run.note("pollama reported no drafts on the copy task: lookup rows n/a.")
        if engines.ngram:
            plain = await engines.llama.stream(prompt, run.tokens)
            drafted = await engines.ngram.stream(prompt, run.tokens)
            record_speculation(record, LLAMA, task, plain, drafted)


def record_speculation(
    record: Record, column: str, task: str, plain: StreamResult, drafted: StreamResult
) -> None:
    record(f"{task} plain", column, plain.overall_rate)
    record(f"{task} drafted", column, drafted.overall_rate)
    if task == "copy" and drafted.drafted:
        record("copy acceptance", column, drafted.accepted / drafted.drafted)
