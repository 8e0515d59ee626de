"""The runner's side of the channel: an asyncio socket server in front of the engine thread.

The event loop owns the sockets; the engine thread owns the llama context. Requests go to
the engine through its thread-safe methods; its frames come back via
`call_soon_threadsafe` and are routed to the connection that asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sys
import threading
from typing import Any

from pollama.errors import PollamaError
from pollama.runner import protocol
from pollama.runner.engine import Engine, Frame
from pollama.runner.model import Model
from pollama.runner.types import GenerateParams


class _Connection:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.generating: dict[int, int] = {}  # client id -> engine id

    def send(self, frame: Frame) -> None:
        if not self.writer.is_closing():
            self.writer.write(protocol.encode(frame))


class RunnerServer:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.loop = asyncio.get_running_loop()
        self.engine = Engine(model, model.spec, self._from_engine)
        self._routes: dict[int, tuple[_Connection, int]] = {}  # engine id -> (conn, client id)
        self._ids = itertools.count(1)
        self._thread = threading.Thread(target=self.engine.run, name="engine", daemon=True)
        self.stopped = asyncio.Event()

    def start(self) -> None:
        self._thread.start()

    async def close(self) -> None:
        self.engine.stop()
        await asyncio.to_thread(self._thread.join)

    # ---- frames from the engine thread ---------------------------------------------------

    def _from_engine(self, frames: list[Frame]) -> None:
        self.loop.call_soon_threadsafe(self._deliver, frames)

    def _deliver(self, frames: list[Frame]) -> None:
        for frame in frames:
            route = self._routes.get(frame["id"])
            if route is None:
                continue  # cancelled meanwhile
            connection, client_id = route
            finished = "error" in frame or "result" in frame or frame["chunk"].get("done")
            if finished:
                del self._routes[frame["id"]]
                connection.generating.pop(client_id, None)
            connection.send({**frame, "id": client_id})

    # ---- requests from a connection ------------------------------------------------------

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = _Connection(writer)
        try:
            while line := await reader.readline():
                try:
                    frame = protocol.decode(line)
                except ValueError as error:
                    connection.send(protocol.error_frame(-1, f"bad frame: {error}", 400))
                    continue
                await self._dispatch(connection, frame)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client left, or the runner is shutting down
        finally:
            for engine_id in connection.generating.values():  # the client is gone
                self._routes.pop(engine_id, None)
                self.engine.cancel(engine_id)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _dispatch(self, connection: _Connection, frame: dict[str, Any]) -> None:
        client_id = frame.get("id", -1)
        op = frame.get("op")
        try:
            if op == protocol.GENERATE:
                self._generate(connection, client_id, GenerateParams.from_wire(frame["params"]))
            elif op == protocol.CANCEL:
                engine_id = connection.generating.pop(frame["target"], None)
                if engine_id is not None:
                    self._routes.pop(engine_id, None)
                    self.engine.cancel(engine_id)
            elif op == protocol.EMBED:
                engine_id = next(self._ids)
                self._routes[engine_id] = (connection, client_id)
                self.engine.embed(engine_id, [str(t) for t in frame["texts"]])
            elif op == protocol.TOKENIZE:
                tokens = await asyncio.to_thread(
                    self.model.tokenize, frame["text"], bool(frame.get("add_special", True))
                )
                connection.send({"id": client_id, "result": {"tokens": tokens}})
            elif op == protocol.DETOKENIZE:
                text = await asyncio.to_thread(self.model.detokenize, list(frame["tokens"]))
                connection.send({"id": client_id, "result": {"text": text}})
            elif op == protocol.HEALTH:
                result = {"status": "ok", "slots": len(self.engine.slots), **self.engine.counts()}
                connection.send({"id": client_id, "result": result})
            else:
                raise PollamaError(f"unknown op {op!r}", 400)
        except PollamaError as error:
            connection.send(protocol.error_frame(client_id, error.message, error.status))
        except (KeyError, TypeError, ValueError) as error:
            connection.send(protocol.error_frame(client_id, f"bad request: {error}", 400))

    def _generate(self, connection: _Connection, client_id: int, params: GenerateParams) -> None:
        engine_id = next(self._ids)
        sequence = self.engine.prepare(engine_id, params)  # raises on a bad request
        self._routes[engine_id] = (connection, client_id)
        connection.generating[client_id] = engine_id
        self.engine.submit(sequence)


def watch_stdin_closed(stopped: asyncio.Event) -> None:
    """The parent holds our stdin open; EOF means it is gone, and so should we be.

    A daemon thread (not the loop's executor, which asyncio.run would wait for).
    """
    loop = asyncio.get_running_loop()

    def wait_for_eof() -> None:
        with contextlib.suppress(Exception):
            while sys.stdin.buffer.read(65536):
                pass
        with contextlib.suppress(RuntimeError):  # the loop may be gone already
            loop.call_soon_threadsafe(stopped.set)

    threading.Thread(target=wait_for_eof, name="stdin-watch", daemon=True).start()
