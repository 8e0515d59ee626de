"""The app factory and `pollama serve`."""

from __future__ import annotations

import logging
import math
import signal
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException

from pollama import __version__
from pollama.api import embed, inference, models, system
from pollama.api import metrics as metrics_routes
from pollama.api import registry as registry_routes
from pollama.api.anthropic.messages import router as anthropic_router
from pollama.api.openai.routes import router as openai_router
from pollama.auth.exposure import exposure_warning
from pollama.auth.keystore import KeyStore
from pollama.auth.middleware import ApiKeyMiddleware
from pollama.errors import BadRequest, PollamaError
from pollama.go.net import join_host_port
from pollama.metrics import HttpMetricsMiddleware, ServerMetrics
from pollama.models.create import Creator
from pollama.registry import Registry, RegistryConfig
from pollama.runner.client import RunnerClient
from pollama.runner.memory import memory_fits
from pollama.runner.types import RunnerSpec
from pollama.scheduler import Scheduler
from pollama.server.connection import protocol_class
from pollama.server.context import ServerContext
from pollama.server.error_shapes import error_for
from pollama.server.guards import allowed_origins
from pollama.server.listen import bind
from pollama.server.middleware import BodyLimitMiddleware, ErrorBoundary, GuardMiddleware
from pollama.server.pidfile import pid_file
from pollama.server.request_log import RequestLogMiddleware
from pollama.server.tls import closing_idle_at_once, tls_files
from pollama.settings import Settings
from pollama.store import Store

log = logging.getLogger("pollama")


async def start_runner(spec: RunnerSpec) -> RunnerClient:
    return await RunnerClient.start(spec)


def create_app(
    settings: Settings,
    store: Store | None = None,
    scheduler: Scheduler | None = None,
    registry: Registry | None = None,
) -> FastAPI:
    """The app with its dependencies, all built here; tests pass their own store, scheduler
    or registry."""
    store = store or Store(settings.models)
    scheduler = scheduler or Scheduler(settings, start_runner, fits=memory_fits)
    home = settings.ollama_home
    context = ServerContext(
        settings=settings,
        store=store,
        creator=Creator(store, prune=not settings.noprune),
        scheduler=scheduler,
        registry=registry
        or Registry(store, config=lambda: RegistryConfig.load(home), prune=not settings.noprune),
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
    app.state.metrics = metrics = ServerMetrics(scheduler)  # now the scheduler's events too
    app.include_router(system.router)
    app.include_router(models.router)
    app.include_router(inference.router)
    app.include_router(embed.router)
    app.include_router(registry_routes.router)
    app.include_router(anthropic_router)
    app.include_router(openai_router)
    app.include_router(metrics_routes.router)

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

    # Outermost last: every request is logged; refused hosts and origins get no further; then,
    # when keys are on, requests without a valid key; an unexpected exception still gets a JSON
    # answer; oversized bodies are never read.
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_request_size)
    app.add_middleware(ErrorBoundary)
    if settings.api_keys_file is not None:
        app.add_middleware(ApiKeyMiddleware, keys=KeyStore(settings.api_keys_file))
    app.add_middleware(
        GuardMiddleware,
        origins=allowed_origins(settings),
        loopback=settings.host.is_loopback,
    )
    app.add_middleware(RequestLogMiddleware)
    app.add_middleware(HttpMetricsMiddleware, metrics=metrics)  # refused requests counted too
    return app


def _configure_logging(settings: Settings) -> None:
    level = logging.DEBUG if settings.debug else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Request lines go bare to stdout, as gin's logger writes them.
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    requests = logging.getLogger("pollama.requests")
    requests.addHandler(handler)
    requests.propagate = False


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(0)


def serve(settings: Settings) -> None:
    """Listen on OLLAMA_HOST until SIGINT/SIGTERM. The socket is bound first, so a busy address
    fails with Ollama's error before anything is announced or written."""
    import uvicorn

    _configure_logging(settings)
    if warning := exposure_warning(settings):
        log.warning("%s", warning)
    tls = tls_files(settings)  # a bad certificate or key fails here, before binding
    host, port = settings.host.bind_host, settings.host.bind_port
    sock = bind(host, port)
    protocol = protocol_class(settings.header_timeout)
    config = uvicorn.Config(
        create_app(settings),
        log_level="warning",
        timeout_graceful_shutdown=5,
        timeout_keep_alive=math.ceil(settings.idle_timeout),
        http=closing_idle_at_once(protocol) if tls else protocol,
        # uvicorn wraps the pre-bound sockets too (`create_server(sock=..., ssl=config.ssl)`)
        ssl_certfile=str(tls.cert) if tls else None,
        ssl_keyfile=str(tls.key) if tls else None,
    )
    if threading.current_thread() is threading.main_thread():
        # uvicorn shuts down on SIGTERM, then raises the signal again with this handler back in
        # place: exit normally (as Ollama does), so the pid file is removed on the way out.
        signal.signal(signal.SIGTERM, _terminated)
    with sock, pid_file(settings):
        address = ("https://" if tls else "") + join_host_port(host, port)
        log.info("Listening on %s (version %s)", address, __version__)
        uvicorn.Server(config).run(sockets=[sock])
