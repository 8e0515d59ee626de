"""The runner's wire protocol: newline-delimited JSON frames over a local stream socket.

Requests (server -> runner) carry an `id` chosen by the client and an `op`:
  generate   {"params": GenerateParams}      -> many {"id", "chunk": GenerateChunk}, last done
  cancel     {"target": <generate id>}      -> nothing (the stream just ends)
  embed      {"texts": [str]}               -> {"id", "result": EmbedResult}
  tokenize   {"text": str, "add_special"}   -> {"id", "result": {"tokens": [int]}}
  detokenize {"tokens": [int]}              -> {"id", "result": {"text": str}}
  health     {}                             -> {"id", "result": {"status": "ok", ...}}
Any request may instead be answered {"id", "error": {"message": str, "status": int}}.
Frames are multiplexed: replies to different ids interleave freely.
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

# Largest frame either side accepts (a long prompt as token ids, a batch of vectors).
MAX_FRAME_BYTES = 256 * 1024 * 1024


def encode(frame: dict[str, Any]) -> bytes:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    frame = json.loads(line)
    if not isinstance(frame, dict):
        raise ValueError("a frame must be a JSON object")
    return frame


def error_frame(request_id: int, message: str, status: int = 500) -> dict[str, Any]:
    return {"id": request_id, "error": {"message": message, "status": status}}
