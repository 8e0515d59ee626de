"""One request's fault stays its own: oversized and invalid frames, abandoned embeddings.

A stream the test ends itself (a grammar that never completes, so it never stops by itself)
runs beside each fault and must keep streaming. Evidence is ordering and runner state, never
wall-clock thresholds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator
from typing import Any

import pytest

from pollama.errors import PollamaError
from pollama.runner import GenerateChunk, GenerateParams, RunnerClient, protocol
from pollama.runner import client as client_module
from tests.engine.harness import LoopThread, collect, greedy

pytestmark = pytest.mark.engine

# No accepting state: the sequence streams "x" until the test closes it.
ENDLESS = GenerateParams(
    prompt="Write the letter x.", options={"temperature": 0}, grammar='root ::= "x" root'
)


async def _open_endless(runner: RunnerClient) -> AsyncGenerator[GenerateChunk, None]:
    stream = runner.generate(ENDLESS)
    first = await anext(stream)
    assert not first.done
    return stream


async def _still_streaming(
    runner: RunnerClient, stream: AsyncGenerator[GenerateChunk, None]
) -> None:
    chunk = await anext(stream)
    assert not chunk.done
    assert (await runner.health())["active"] == 1
    await stream.aclose()


def _socket_path(runner: RunnerClient) -> str:
    return str(runner._workdir / "runner.sock")


async def _huge_prompt_is_prepared_off_the_loop(runner: RunnerClient) -> None:
    """Tokenizing a 2 MB prompt takes the runner seconds; meanwhile it answers and streams."""
    order: list[str] = []

    async def huge() -> None:
        try:
            await collect(runner, GenerateParams(prompt="word " * 400_000, shift=False))
        except PollamaError as error:
            assert error.status == 400 and "longer than the context" in error.message
            order.append("huge prompt refused")

    refused = asyncio.ensure_future(huge())
    await asyncio.sleep(0)  # sent first
    await runner.health()
    order.append("health answered")
    await refused
    assert order == ["health answered", "huge prompt refused"]


async def _oversized_frames(runner: RunnerClient, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = await _open_endless(runner)
    await _huge_prompt_is_prepared_off_the_loop(runner)
    # Over the old 64 MiB reader limit, under the channel's: served like any other frame.
    health = await runner._call({"op": protocol.HEALTH, "padding": "x" * 70_000_000})
    assert health["status"] == "ok"
    # Over the limit: refused before sending, for this request alone.
    with monkeypatch.context() as patch:
        patch.setattr(protocol, "MAX_FRAME_BYTES", 1_000_000)
        with pytest.raises(PollamaError) as refused:
            await runner.tokenize("word " * 400_000)
    assert refused.value.status == 413
    assert "2000" in refused.value.message and "1000000" in refused.value.message
    # Another connection sends a line the runner cannot frame: only that one is dropped.
    reader, writer = await asyncio.open_unix_connection(_socket_path(runner), limit=2**20)
    writer.write(b"not json\n")
    bad = json.loads(await reader.readline())
    assert bad["id"] == -1 and bad["error"]["status"] == 400
    with contextlib.suppress(ConnectionError):
        writer.write(b"x" * (protocol.MAX_FRAME_BYTES + 16) + b"\n")
        await writer.drain()
    dropped = json.loads(await reader.readline())
    assert dropped["error"]["status"] == 413
    assert await reader.read() == b""  # closed
    writer.close()
    await _still_streaming(runner, stream)
    assert runner.alive


def test_oversized_and_invalid_frames_touch_no_other_stream(
    runner: RunnerClient, loop_thread: LoopThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread.run(_oversized_frames(runner, monkeypatch), timeout=300)
    chunks = loop_thread.run(collect(runner, greedy("Hello", 3)))
    assert chunks[-1].done and chunks[-1].eval_count == 3


async def _wait_for_embedding(runner: RunnerClient, count: int) -> None:
    for _ in range(3000):
        if (await runner.health())["embedding"] == count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the runner never had {count} embed request(s)")


# Far more inputs than can be embedded before a short generation ends: while a sequence
# streams, the engine embeds one input per decode step.
LONG_BATCH = [f"Sentence {i} is about the weather." for i in range(400)]


async def _embedding_beside_generation(runner: RunnerClient) -> None:
    embedding = asyncio.ensure_future(runner.embed(LONG_BATCH))
    await _wait_for_embedding(runner, 1)
    chunks = await collect(runner, greedy("Hello", 4))
    assert chunks[-1].done and chunks[-1].eval_count == 4
    assert not embedding.done()  # the generation interleaved with the batch
    assert (await runner.health())["embedding"] == 1
    embedding.cancel()  # the caller gave up: the runner drops the rest of the batch
    with pytest.raises(asyncio.CancelledError):
        await embedding
    chunks = await collect(runner, greedy("Hello", 4))
    assert chunks[-1].done
    # The cancel went before that generation on the channel and through the same queue.
    assert (await runner.health())["embedding"] == 0


def test_abandoned_embedding_stops_and_never_starves_generation(
    runner: RunnerClient, loop_thread: LoopThread
) -> None:
    loop_thread.run(_embedding_beside_generation(runner), timeout=300)
    result = loop_thread.run(runner.embed(["still works"]))
    assert len(result.embeddings) == 1


def test_embedding_batches_are_sent_in_bounded_frames(
    runner: RunnerClient, loop_thread: LoopThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = ["one", "two words", "three more words", "four", "five"]
    whole = loop_thread.run(runner.embed(texts))
    monkeypatch.setattr(client_module, "EMBED_BATCH", 2)
    sent: list[int] = []
    call = runner._call

    async def counting(frame: dict[str, Any]) -> dict[str, Any]:
        sent.append(len(frame["texts"]))
        return await call(frame)

    monkeypatch.setattr(runner, "_call", counting)
    batched = loop_thread.run(runner.embed(texts))
    assert sent == [2, 2, 1]
    assert batched.embeddings == whole.embeddings
    assert batched.token_counts == whole.token_counts
