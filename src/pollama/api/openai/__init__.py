"""The OpenAI-compatible `/v1` API: a translator into the native handlers
(Ollama's openai/openai.go and middleware/openai.go)."""

from __future__ import annotations

from fastapi import APIRouter

from pollama.api.openai import chat, completions, embeddings, models, responses

router = APIRouter()
router.include_router(chat.router)
router.include_router(completions.router)
router.include_router(embeddings.router)
router.include_router(models.router)
router.include_router(responses.router)
