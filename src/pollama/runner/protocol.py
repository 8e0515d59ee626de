"""The runner's wire protocol: newline-delimited JSON frames over a local stream socket.

Requests (server -> runner) carry an `id` chosen by the client and an `op`:
  generate   {"params": GenerateParams}      -> many {"id", "chunk": GenerateChunk}, last done
  cancel     {"target": <generate id>}      -> nothing (the stream just ends)
  embed      {"texts": [str]}               -> {"id", "result": EmbedResult}
  tokenize   {"text": str, "add_special", "images"?: [str]}
                                            -> {"id", "result": {"tokens": [int]}}
  detokenize {"tokens": [int]}              -> {"id", "result": {"text": str}}
  health     {}                             -> {"id", "result": {"status": "ok", ...}}
Any request may instead be answered {"id", "error": {"message": str, "status": int}}.
The dataclasses travel in the JSON form `pollama.runner.wire` derives from their fields.
Frames are multiplexed: replies to different ids interleave freely. `cancel` also ends an
embed (its reply then never comes).

Both sides hold frames to `MAX_FRAME_BYTES`: a sender refuses (the server) or replaces (the
runner) a frame over it with an error for that request alone, so one oversized request never
breaks the channel that every other request shares.
"""

from __future__ import annotations

import json
from typing import Any

GENERATE = "generate"
CANCEL = "cancel"
EMBED = "embed"
TOKENIZE = "tokenize"
DETOKENIZE = "detokenize"
HEALTH = "health"
OPS = (GENERATE, CANCEL, EMBED, TOKENIZE, DETOKENIZE, HEALTH)

# Largest frame either side sends or reads, newline included (a long prompt, a batch of
# vectors). Also the StreamReader limit on both ends.
MAX_FRAME_BYTES = 256 * 1024 * 1024

# A line the runner writes to its stderr after answering a request with an error: the lines
# above it belong to that (already reported) failure, so a later crash message quotes only
# what the runner printed after it.
STDERR_REPORTED = "\x1e pollama: stderr lines above were reported"


def encode(frame: dict[str, Any]) -> bytes:
    text = json.dumps(frame, separators=(",", ":"), ensure_ascii=False)
    try:
        data = text.encode()
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in JSON): U+FFFD, as Go decodes it
        data = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode()
    return data + b"\n"


def too_large(size: int, what: str) -> str:
    """The error for a frame over the limit, naming both sizes."""
    return (
        f"{what} is too large for the runner channel: {size} bytes "
        f"(the limit is {MAX_FRAME_BYTES} bytes)"
    )


def decode(line: bytes) -> dict[str, Any]:
    frame = json.loads(line)
    if not isinstance(frame, dict):
        raise ValueError("a frame must be a JSON object")
    return frame


def error_frame(request_id: int, message: str, status: int = 500) -> dict[str, Any]:
    return {"id": request_id, "error": {"message": message, "status": status}}
