"""A generation on a leased runner, shaped as `/api/generate` or `/api/chat` chunks (§1.1–1.3)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

from pollama import timefmt
from pollama.runner.types import GenerateChunk, GenerateParams
from pollama.scheduler import Lease

Kind = Literal["generate", "chat"]
_METRICS = (
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
)


@dataclass
class Generation:
    kind: Kind
    model: str  # echoed verbatim
    params: GenerateParams
    lease: Lease
    started_ns: int  # time.monotonic_ns() when the request arrived
    return_context: bool = False

    def _chunk(self, text: str) -> dict[str, Any]:
        head: dict[str, Any] = {"model": self.model, "created_at": timefmt.utc_now()}
        if self.kind == "generate":
            head["response"] = text
        else:
            head["message"] = {"role": "assistant", "content": text}
        head["done"] = False
        return head

    def _final(self, chunk: GenerateChunk) -> dict[str, Any]:
        out = self._chunk("")
        out["done"] = True
        out["done_reason"] = chunk.done_reason or "stop"
        if self.return_context and chunk.context is not None:
            out["context"] = chunk.context
        metrics = {
            "total_duration": time.monotonic_ns() - self.started_ns,
            "load_duration": self.lease.load_duration_ns,
            "prompt_eval_count": chunk.prompt_eval_count,
            "prompt_eval_duration": chunk.prompt_eval_duration,
            "eval_count": chunk.eval_count,
            "eval_duration": chunk.eval_duration,
        }
        out.update({k: v for k, v in metrics.items() if v})
        if chunk.cached_count:
            out["prompt_cache_count"] = chunk.cached_count  # pollama's addition
        return out

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """The response chunks; the lease is released however the stream ends."""
        stream = self.lease.runner.generate(self.params)
        try:
            async for chunk in stream:
                if chunk.done:
                    if chunk.text:
                        yield self._with_logprobs(self._chunk(chunk.text), chunk)
                    yield self._final(chunk)
                    return
                if chunk.text or chunk.logprobs:
                    yield self._with_logprobs(self._chunk(chunk.text), chunk)
        finally:
            await stream.aclose()
            await self.lease.release()

    @staticmethod
    def _with_logprobs(event: dict[str, Any], chunk: GenerateChunk) -> dict[str, Any]:
        if chunk.logprobs:
            event["logprobs"] = [
                {
                    "token": lp.token,
                    "logprob": lp.logprob,
                    "bytes": lp.bytes,
                    **(
                        {"top_logprobs": [vars(t) for t in lp.top_logprobs]}
                        if lp.top_logprobs
                        else {}
                    ),
                }
                for lp in chunk.logprobs
            ]
        return event


def collect(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The non-streamed response: the final chunk with all text concatenated (§0 `stream`)."""
    if not events:
        return {}
    final = dict(events[-1])
    logprobs = [lp for e in events for lp in e.get("logprobs", [])]
    if "message" in final:
        text = "".join(e["message"].get("content", "") for e in events)
        final["message"] = {**final["message"], "content": text}
    else:
        final["response"] = "".join(e.get("response", "") for e in events)
    if logprobs:
        final["logprobs"] = logprobs
    return final


def load_only(kind: Kind, model: str, reason: Literal["load", "unload"]) -> dict[str, Any]:
    """The single answer to an empty prompt / empty messages (§1.1 steps 2 and 6)."""
    out: dict[str, Any] = {"model": model, "created_at": timefmt.utc_now()}
    if kind == "generate":
        out["response"] = ""
    else:
        out["message"] = {"role": "assistant", "content": ""}
    out["done"] = True
    out["done_reason"] = reason
    return out
