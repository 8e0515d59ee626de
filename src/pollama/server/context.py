"""The server's shared objects, built once by the app factory and reached from each request."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from pollama.models.create import Creator
from pollama.registry import Registry
from pollama.scheduler import Scheduler
from pollama.settings import Settings
from pollama.store import Store


@dataclass
class ServerContext:
    settings: Settings
    store: Store
    creator: Creator
    scheduler: Scheduler
    registry: Registry


def context_of(request: Request) -> ServerContext:
    context: ServerContext = request.app.state.context
    return context
