"""`RunnerClient`: the server's handle on one runner process (asyncio).

It honours `pollama.runner.contract.Runner`, all the scheduler and the routes see of it.
`start` checks memory BEFORE spawning, spawns the runner, waits until it is ready and
connects; requests are multiplexed over one socket.
If the runner dies, every request in flight fails with a clear PollamaError and `alive`
turns False.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import shutil
import tempfile
import time
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pollama.errors import PollamaError
from pollama.runner import protocol
from pollama.runner.args import spec_to_args
from pollama.runner.contract import Runner
from pollama.runner.memory import MemoryEstimate, check_fits, plan_memory
from pollama.runner.process import RunnerProcess
from pollama.runner.types import EmbedResult, GenerateChunk, GenerateParams, RunnerSpec
from pollama.runner.wire import from_wire, to_wire

STREAM_LIMIT = protocol.MAX_FRAME_BYTES
# Inputs per embed frame: its reply (one vector of n_embd floats each) stays far below
# the frame limit even for the widest models.
EMBED_BATCH = 256


class RunnerClient:
    def __init__(
        self,
        spec: RunnerSpec,
        process: RunnerProcess,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        memory: MemoryEstimate,
        load_duration_ns: int,
        workdir: Path,
    ) -> None:
        self.spec = spec
        self.memory = memory
        self.load_duration_ns = load_duration_ns
        self._process = process
        self._reader = reader
        self._writer = writer
        self._workdir = workdir
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Queue[dict[str, Any] | PollamaError]] = {}
        self._death: PollamaError | None = None
        self._closing = False
        self.on_crash: Callable[[], None] | None = None
        self._read_task = asyncio.create_task(self._read_frames())

    @classmethod
    async def start(cls, spec: RunnerSpec) -> RunnerClient:
        """Plan memory, spawn, wait for health. Raises InsufficientMemory before spawning."""
        started = time.perf_counter_ns()
        memory = await asyncio.to_thread(plan_memory, spec)
        check_fits(memory, spec.memory_limit)
        workdir = Path(tempfile.mkdtemp(prefix="pollama-runner-"))
        socket_path = workdir / "runner.sock"
        process = None
        try:
            process = await RunnerProcess.spawn(
                spec, [*spec_to_args(spec), "--socket", str(socket_path)]
            )
            await process.wait_ready(spec.load_timeout)
            reader, writer = await asyncio.open_unix_connection(
                str(socket_path), limit=STREAM_LIMIT
            )
        except BaseException:
            if process is not None:
                await process.terminate()
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        load_duration = time.perf_counter_ns() - started
        return cls(spec, process, reader, writer, memory, load_duration, workdir)

    # ---- state ---------------------------------------------------------------------------

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def alive(self) -> bool:
        return self._death is None and self._process.returncode is None

    # ---- requests ------------------------------------------------------------------------

    async def generate(self, params: GenerateParams) -> AsyncGenerator[GenerateChunk, None]:
        """Stream chunks; stopping early (break, aclose, task cancel) cancels in the runner."""
        request_id, replies = await self._open({"op": protocol.GENERATE, "params": to_wire(params)})
        finished = False
        try:
            while True:
                chunk = from_wire(GenerateChunk, self._unwrap(await replies.get())["chunk"])
                if chunk.done:
                    finished = True
                yield chunk
                if finished:
                    return
        finally:
            self._pending.pop(request_id, None)
            if not finished and self.alive:
                with contextlib.suppress(Exception):
                    self._write(
                        {"id": next(self._ids), "op": protocol.CANCEL, "target": request_id}
                    )

    async def embed(self, texts: list[str]) -> EmbedResult:
        """Pooled vectors; cancelling the caller cancels the work in the runner. Sent in
        batches of EMBED_BATCH inputs, so no frame grows with the number of inputs."""
        texts = list(texts)
        parts = [
            from_wire(
                EmbedResult,
                await self._call(
                    {"op": protocol.EMBED, "texts": texts[start : start + EMBED_BATCH]}
                ),
            )
            for start in range(0, max(len(texts), 1), EMBED_BATCH)
        ]
        return EmbedResult(
            embeddings=[vector for part in parts for vector in part.embeddings],
            token_counts=[count for part in parts for count in part.token_counts],
            duration=sum(part.duration for part in parts),
        )

    async def tokenize(
        self, text: str, add_special: bool = True, images: list[str] | None = None
    ) -> list[int]:
        frame: dict[str, Any] = {"op": protocol.TOKENIZE, "text": text, "add_special": add_special}
        if images:
            frame["images"] = list(images)
        result = await self._call(frame)
        return list(result["tokens"])

    async def detokenize(self, tokens: list[int]) -> str:
        result = await self._call({"op": protocol.DETOKENIZE, "tokens": list(tokens)})
        return str(result["text"])

    async def health(self) -> dict[str, Any]:
        return await self._call({"op": protocol.HEALTH})

    async def close(self) -> None:
        """End the runner and reap it; requests in flight fail. Safe to call twice."""
        self._closing = True
        self._writer.close()
        await self._process.terminate()
        self._read_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._read_task
        self._die(PollamaError("llama runner was stopped"))
        shutil.rmtree(self._workdir, ignore_errors=True)

    # ---- plumbing ------------------------------------------------------------------------

    async def _open(
        self, frame: dict[str, Any]
    ) -> tuple[int, asyncio.Queue[dict[str, Any] | PollamaError]]:
        if self._death is not None:
            raise self._death
        request_id = next(self._ids)
        data = protocol.encode({**frame, "id": request_id})
        if len(data) > protocol.MAX_FRAME_BYTES:  # refused here: the channel stays whole
            raise PollamaError(protocol.too_large(len(data), "the request"), 413)
        replies: asyncio.Queue[dict[str, Any] | PollamaError] = asyncio.Queue()
        self._pending[request_id] = replies
        try:
            self._writer.write(data)
            await self._writer.drain()
        except (ConnectionError, RuntimeError) as error:
            self._pending.pop(request_id, None)
            raise self._death or PollamaError(f"llama runner connection lost: {error}") from None
        return request_id, replies

    async def _call(self, frame: dict[str, Any]) -> dict[str, Any]:
        request_id, replies = await self._open(frame)
        answered = False
        try:
            reply = await replies.get()
            answered = True
            return dict(self._unwrap(reply)["result"])
        finally:
            self._pending.pop(request_id, None)
            if not answered and self.alive:  # abandoned (the caller was cancelled): stop it
                with contextlib.suppress(Exception):
                    self._write(
                        {"id": next(self._ids), "op": protocol.CANCEL, "target": request_id}
                    )

    def _write(self, frame: dict[str, Any]) -> None:
        self._writer.write(protocol.encode(frame))

    @staticmethod
    def _unwrap(reply: dict[str, Any] | PollamaError) -> dict[str, Any]:
        if isinstance(reply, PollamaError):
            raise reply
        if "error" in reply:
            error = reply["error"]
            raise PollamaError(error["message"], int(error.get("status", 500)))
        return reply

    async def _read_frames(self) -> None:
        try:
            while line := await self._reader.readline():
                frame = protocol.decode(line)
                replies = self._pending.get(frame.get("id", -1))
                if replies is not None:
                    replies.put_nowait(frame)
        except (ConnectionError, ValueError, asyncio.LimitOverrunError):
            pass
        # The channel closed: the runner is dead or dying. Wait for its exit status.
        if not self._closing:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._process.exited.wait(), 5.0)
            if self._process.returncode is None:  # alive but deaf: no use to anyone
                await self._process.terminate()
            self._die(PollamaError(self._process.exit_message()))
            if self.on_crash is not None:
                self.on_crash()

    def _die(self, error: PollamaError) -> None:
        if self._death is None:
            self._death = error
        for replies in self._pending.values():
            replies.put_nowait(self._death)


if TYPE_CHECKING:  # mypy holds the real client to the contract
    _honours_the_contract: type[Runner] = RunnerClient
