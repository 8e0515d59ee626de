"""`python -m pollama.runner`: load one GGUF and serve it over a local socket.

Prints one JSON line on stdout once it is ready ({"ready": true, "address": ...}); exits when
its stdin closes (the parent went away), on SIGTERM/SIGINT, or with status 1 if loading fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys

from pollama.errors import PollamaError
from pollama.runner import protocol
from pollama.runner.args import parse_args
from pollama.runner.types import RunnerSpec


async def serve(spec: RunnerSpec, args: argparse.Namespace) -> None:
    # Imported here so `--help` and argument errors do not pay for loading llama.cpp.
    from pollama.runner.model import Model, configure_logging
    from pollama.runner.server import RunnerServer, note_reported, watch_stdin_closed

    configure_logging(spec.debug)
    model = await asyncio.to_thread(Model, spec)
    runner = RunnerServer(model)
    runner.start()
    if args.socket is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(args.socket)
        server = await asyncio.start_unix_server(
            runner.handle, path=str(args.socket), limit=protocol.MAX_FRAME_BYTES
        )
        address = str(args.socket)
    else:
        server = await asyncio.start_server(
            runner.handle, host="127.0.0.1", port=args.port, limit=protocol.MAX_FRAME_BYTES
        )
        address = f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, runner.stopped.set)
    watch_stdin_closed(runner.stopped)
    note_reported()  # what loading printed is no crash report of a later run
    print(json.dumps({"ready": True, "address": address, "pid": os.getpid()}), flush=True)
    async with server:
        await runner.stopped.wait()
    await runner.close()
    if args.socket is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(args.socket)


def main(argv: list[str] | None = None) -> int:
    spec, args = parse_args(argv)
    try:
        asyncio.run(serve(spec, args))
    except PollamaError as error:
        print(f"error: {error.message}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    # The stdin watcher thread may still be blocked reading; do not wait for it.
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
