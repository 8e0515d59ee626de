"""The app factory and `pollama serve`."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException

from pollama import __version__
from pollama.api import anthropic, embed, inference, models, openai, registry, system
from pollama.api.context import ServerContext
from pollama.api.error_shapes import error_for
from pollama.errors import BadRequest, PollamaError
from pollama.http_guards import allowed_origins
from pollama.middleware import GuardMiddleware
from pollama.models.create import Creator
from pollama.runner.client import RunnerClient, plan_memory
from pollama.runner.memory import available_memory
from pollama.runner.types import RunnerSpec
from pollama.scheduler import Scheduler
from pollama.settings import Settings
from pollama.store import Store

log = logging.getLogger("pollama")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def start_runner(spec: RunnerSpec) -> RunnerClient:
    return await RunnerClient.start(spec)


def memory_fits(spec: RunnerSpec) -> bool:
    """Whether a runner for `spec` fits in the memory free now (the scheduler evicts idle
    runners until it does; `RunnerClient.start` makes the final, refusing check)."""
    available = spec.memory_limit if spec.memory_limit is not None else available_memory()
    return plan_memory(spec).total <= available


def create_app(
    settings: Settings,
    store: Store | None = None,
    scheduler: Scheduler | None = None,
) -> FastAPI:
    """The app with its dependencies; tests pass their own store or scheduler."""
    store = store or Store(settings.models)
    scheduler = scheduler or Scheduler(settings, start_runner, fits=memory_fits)
    context = ServerContext(
        settings=settings,
        store=store,
        creator=Creator(store, prune=not settings.noprune),
        scheduler=scheduler,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store.housekeeping(prune=not settings.noprune)
        try:
            yield
        finally:
            await scheduler.shutdown()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.context = context
    app.include_router(system.router)
    app.include_router(models.router)
    app.include_router(inference.router)
    app.include_router(embed.router)
    app.include_router(registry.router)
    app.include_router(anthropic.router)
    app.include_router(openai.router)

    @app.exception_handler(PollamaError)
    async def pollama_error(request: Request, exc: PollamaError) -> Response:
        if exc.status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc.message)
        response = error_for(request, exc)
        if exc.status == 503:
            response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404:
            return PlainTextResponse("404 page not found", status_code=404)
        if exc.status_code == 405:
            return PlainTextResponse("405 method not allowed", status_code=405)
        return error_for(request, PollamaError(str(exc.detail), exc.status_code))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_for(request, BadRequest(str(exc)))

    app.add_middleware(
        GuardMiddleware,
        origins=allowed_origins(settings),
        loopback=_is_loopback(settings.host.bind_host),
    )
    return app


def serve(settings: Settings) -> None:
    import uvicorn

    app = create_app(settings)
    host, port = settings.host.bind_host, settings.host.bind_port
    level = logging.DEBUG if settings.debug else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log.info("Listening on %s:%d (version %s)", host, port, __version__)
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
