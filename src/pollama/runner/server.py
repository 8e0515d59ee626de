"""The runner's side of the channel: an asyncio socket server in front of the engine thread.

The event loop owns the sockets; the engine thread owns the llama context. Requests go to
the engine through its thread-safe methods; its frames come back through a Handoff (which
never holds up the engine thread) and are routed to the connection that asked. Tokenizing (a prompt
may be megabytes) runs in worker threads, so it never holds up other requests' frames.

A connection that sends a line over the frame limit has lost its framing: it gets one error
frame and is closed, and only its own requests are cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from pollama.errors import PollamaError
from pollama.runner import protocol
from pollama.runner.engine import Engine, Frame
from pollama.runner.handoff import Handoff
from pollama.runner.model import Model
from pollama.runner.requests import prompt_positions
from pollama.runner.types import GenerateParams
from pollama.runner.wire import from_wire


class _Connection:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.requests: dict[int, int] = {}  # client id -> engine id (generate, embed)
        self.tasks: set[asyncio.Task[None]] = set()  # requests being worked on off the loop

    def send(self, frame: Frame) -> None:
        if self.writer.is_closing():
            return
        data = protocol.encode(frame)
        failed = "error" in frame
        if len(data) > protocol.MAX_FRAME_BYTES:  # the reader would drop the whole channel
            message = protocol.too_large(len(data), "the reply")
            data = protocol.encode(protocol.error_frame(frame.get("id", -1), message, 413))
            failed = True
        if failed:
            note_reported()
        self.writer.write(data)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


def note_reported() -> None:
    """Mark stderr: what the runner printed so far belongs to a failure already answered."""
    with contextlib.suppress(Exception):
        print(protocol.STDERR_REPORTED, file=sys.stderr, flush=True)


class RunnerServer:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.loop = asyncio.get_running_loop()
        self._handoff: Handoff[list[Frame]] = Handoff(self.loop, self._deliver)
        self.engine = Engine(model, model.spec, self._handoff.put)
        self._routes: dict[int, tuple[_Connection, int]] = {}  # engine id -> (conn, client id)
        self._ids = itertools.count(1)
        self._thread = threading.Thread(target=self.engine.run, name="engine", daemon=True)
        self.stopped = asyncio.Event()

    def start(self) -> None:
        self._thread.start()

    async def close(self) -> None:
        self.engine.stop()
        await asyncio.to_thread(self._thread.join)
        self._handoff.close()

    # ---- frames from the engine thread ---------------------------------------------------

    def _deliver(self, frames: list[Frame]) -> None:
        for frame in frames:
            route = self._routes.get(frame["id"])
            if route is None:
                continue  # cancelled meanwhile
            connection, client_id = route
            finished = "error" in frame or "result" in frame or frame["chunk"].get("done")
            if finished:
                del self._routes[frame["id"]]
                connection.requests.pop(client_id, None)
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
                self._dispatch(connection, frame)
        except ValueError:  # a line over the limit: this connection's framing is lost
            message = f"a frame over {protocol.MAX_FRAME_BYTES} bytes: connection closed"
            connection.send(protocol.error_frame(-1, message, 413))
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client left, or the runner is shutting down
        finally:
            # Requests still being prepared find themselves unregistered and drop their work.
            for engine_id in connection.requests.values():  # the client is gone
                self._routes.pop(engine_id, None)
                self.engine.cancel(engine_id)
            connection.requests.clear()
            with contextlib.suppress(Exception):
                writer.close()
                await writer.wait_closed()

    def _dispatch(self, connection: _Connection, frame: dict[str, Any]) -> None:
        """Cheap requests are answered here, in order; tokenizing ones go to a thread (a huge
        prompt must not stall the loop that streams everyone's tokens)."""
        client_id = frame.get("id", -1)
        op = frame.get("op")
        try:
            if op == protocol.GENERATE:
                params = from_wire(GenerateParams, frame["params"])
                engine_id = next(self._ids)
                connection.requests[client_id] = engine_id  # a cancel may now come for it
                connection.spawn(self._generate(connection, client_id, engine_id, params))
            elif op == protocol.CANCEL:
                target = connection.requests.pop(frame["target"], None)
                if target is not None:
                    self._routes.pop(target, None)
                    self.engine.cancel(target)
            elif op == protocol.EMBED:
                texts = [str(t) for t in frame["texts"]]
                engine_id = next(self._ids)
                self._routes[engine_id] = (connection, client_id)
                connection.requests[client_id] = engine_id
                self.engine.embed(engine_id, texts)
            elif op == protocol.TOKENIZE:
                text, add_special = str(frame["text"]), bool(frame.get("add_special", True))
                images = [str(image) for image in frame.get("images") or []]
                connection.spawn(
                    self._answer(connection, client_id, self._tokenize, text, add_special, images)
                )
            elif op == protocol.DETOKENIZE:
                tokens = [int(t) for t in frame["tokens"]]
                connection.spawn(self._answer(connection, client_id, self._detokenize, tokens))
            elif op == protocol.HEALTH:
                engine = self.engine
                result = {
                    "status": "ok",
                    "slots": len(engine.slots),
                    **engine.counts(),
                    **engine.kv_cells(),
                }
                connection.send({"id": client_id, "result": result})
            else:
                raise PollamaError(f"unknown op {op!r}", 400)
        except PollamaError as error:
            connection.send(protocol.error_frame(client_id, error.message, error.status))
        except (KeyError, TypeError, ValueError) as error:
            connection.send(protocol.error_frame(client_id, f"bad request: {error}", 400))

    def _tokenize(self, text: str, add_special: bool, images: list[str]) -> dict[str, Any]:
        projector = self.engine.projector
        return {"tokens": prompt_positions(self.model, projector, text, images, add_special)}

    def _detokenize(self, tokens: list[int]) -> dict[str, Any]:
        return {"text": self.model.detokenize(tokens)}

    async def _answer(
        self, connection: _Connection, client_id: int, work: Callable[..., Frame], *args: Any
    ) -> None:
        try:
            result = await asyncio.to_thread(work, *args)
        except PollamaError as error:
            connection.send(protocol.error_frame(client_id, error.message, error.status))
        except (KeyError, TypeError, ValueError) as error:
            connection.send(protocol.error_frame(client_id, f"bad request: {error}", 400))
        else:
            connection.send({"id": client_id, "result": result})

    async def _generate(
        self, connection: _Connection, client_id: int, engine_id: int, params: GenerateParams
    ) -> None:
        try:
            sequence = await asyncio.to_thread(self.engine.prepare, engine_id, params)
        except (PollamaError, KeyError, TypeError, ValueError) as error:
            connection.requests.pop(client_id, None)
            if isinstance(error, PollamaError):
                connection.send(protocol.error_frame(client_id, error.message, error.status))
            else:
                connection.send(protocol.error_frame(client_id, f"bad request: {error}", 400))
            return
        if connection.requests.get(client_id) != engine_id:  # cancelled while preparing
            sequence.free()
            return
        self._routes[engine_id] = (connection, client_id)
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
