"""Every `/v1` route of the OpenAI-compatible API in one router."""

from __future__ import annotations

from fastapi import APIRouter

from pollama.api.openai import chat, completions, embeddings, models, responses

router = APIRouter()
router.include_router(chat.router)
router.include_router(completions.router)
router.include_router(embeddings.router)
router.include_router(models.router)
router.include_router(responses.router)
