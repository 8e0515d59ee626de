"""Admission, loading, sharing, keep-alive and eviction of runners."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from pollama.errors import ServiceUnavailable
from pollama.runner.contract import Runner, RunnerFactory
from pollama.runner.memory import InsufficientMemory
from pollama.runner.types import RunnerSpec
from pollama.scheduler import policy
from pollama.scheduler.events import NO_EVENTS, SchedulerEvents
from pollama.scheduler.loaded import LoadedRunner, ModelRef, RunnerKey
from pollama.settings import Settings

log = logging.getLogger(__name__)

Fits = Callable[[RunnerSpec], bool]

QUEUE_FULL = "server busy, please try again.  maximum pending requests exceeded"


class QueueFull(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__(QUEUE_FULL)


class Lease:
    """A request's hold on one slot of a loaded runner, released exactly once.

    Its owner releases it: `async with lease:` releases it when the block ends, however it
    ends, unless the block passed it on with `hand_over()` (a `Generation` takes it for the
    length of its stream and releases it when the stream ends or is closed). Releasing again
    does nothing.
    """

    def __init__(
        self, scheduler: Scheduler, loaded: LoadedRunner, load_duration_ns: int, model: ModelRef
    ) -> None:
        self._scheduler = scheduler
        self.loaded = loaded
        self.model = model  # the model asked for (the runner may be its base's)
        self.load_duration_ns = load_duration_ns
        self.released = False
        self._handed_over = False

    @property
    def runner(self) -> Runner:
        return self.loaded.runner

    @property
    def spec(self) -> RunnerSpec:
        """What the runner was loaded with (memory may have cut it from what was asked)."""
        return self.loaded.spec

    def hand_over(self) -> Lease:
        """Pass the duty to release to whoever takes the returned lease: the `async with`
        block that holds it no longer releases it."""
        self._handed_over = True
        return self

    async def release(self) -> None:
        if not self.released:
            self.released = True
            await self._scheduler._release(self.loaded)

    async def __aenter__(self) -> Lease:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._handed_over:
            await self.release()


class Scheduler:
    def __init__(
        self,
        settings: Settings,
        start_runner: RunnerFactory,
        *,
        fits: Fits | None = None,
        gpu_count: int = 0,
        events: SchedulerEvents = NO_EVENTS,
    ) -> None:
        self.settings = settings
        self.events = events  # told of loads, unloads and crashes (the server's metrics)
        self.start_runner = start_runner
        self.fits = fits
        self.max_loaded = policy.max_loaded(settings.max_loaded_models, gpu_count)
        self.loaded: dict[RunnerKey, LoadedRunner] = {}
        self.pending = 0
        self._load_lock = asyncio.Lock()

    def spec_for(self, model: ModelRef, options: dict[str, Any]) -> RunnerSpec:
        return policy.runner_spec(
            model.model_path,
            options,
            default_ctx=self.settings.context_length,
            trained_ctx=model.trained_ctx,
            num_parallel=1 if model.embedding_only else self.settings.num_parallel,
            kv_cache_type=self.settings.kv_cache_type,
            flash_attention=self.settings.flash_attention,
            debug=self.settings.debug > 0,
            memory_limit=self.settings.memory_limit,
            load_timeout=self.settings.load_timeout,
            projector=model.projector,
            draft=model.draft,
            batch_invariant=self.settings.batch_invariant,
        )

    def _usable(
        self, model: ModelRef, spec: RunnerSpec, options: dict[str, Any]
    ) -> LoadedRunner | None:
        loaded = self.loaded.get(model.key)
        if loaded is None or loaded.unloading or not loaded.runner.alive:
            return None
        # An automatic context is compared with what was asked for, not with what memory
        # allowed, so a runner loaded with a reduced context is not reloaded by every request.
        automatic = not self._ctx_explicit(options)
        if policy.needs_reload(loaded.asked if automatic else loaded.spec, spec, options):
            return None
        return loaded

    def _ctx_explicit(self, options: dict[str, Any]) -> bool:
        return bool(options.get("num_ctx")) or self.settings.context_length > 0

    async def acquire(
        self, model: ModelRef, options: dict[str, Any], keep_alive: float | None
    ) -> Lease:
        """Wait for a slot on a runner for `model`, loading it if needed. Raises QueueFull when
        `OLLAMA_MAX_QUEUE` requests already wait. The caller owns the lease (see `Lease`)."""
        if self.pending >= self.settings.max_queue:
            raise QueueFull()
        self.pending += 1
        started = time.monotonic_ns()
        try:
            spec = self.spec_for(model, options)
            loaded = self._usable(model, spec, options)
            if loaded is None:
                async with self._load_lock:
                    loaded = self._usable(model, spec, options) or await self._load(
                        model, spec, options, keep_alive
                    )
            loaded.attach(keep_alive)
            loaded.serve(model)
            # As Ollama: load_duration ends once the runner is ours; waiting for one of its
            # slots is part of total_duration only.
            load_duration_ns = time.monotonic_ns() - started
            try:
                await loaded.slots.acquire()
            except BaseException:
                await self._after_detach(loaded)
                raise
        finally:
            self.pending -= 1
        return Lease(self, loaded, load_duration_ns, model)

    async def _load(
        self,
        model: ModelRef,
        requested: RunnerSpec,
        options: dict[str, Any],
        keep_alive: float | None,
    ) -> LoadedRunner:
        previous = self.loaded.get(model.key)
        if previous is not None:
            await self._unload(previous, wait=True)
        while len(self.loaded) >= self.max_loaded:
            await self._evict_one()
        asked = policy.oversized_context(
            options.get("num_ctx"), self.settings.context_length, model.trained_ctx
        )
        if asked is not None:
            log.warning(
                "requested context size too large for model num_ctx=%d n_ctx_train=%d",
                asked,
                model.trained_ctx,
            )
        spec = requested
        if self.fits is not None:
            while self.loaded and not self.fits(requested):
                await self._evict_one()
            spec = self._fitted(model, requested, options, self.fits)
        started = time.monotonic_ns()
        try:
            runner = await self.start_runner(spec)
        except InsufficientMemory as refused:
            raise InsufficientMemory(f"{refused.message}{self._advice(spec)}") from None
        duration = keep_alive if keep_alive is not None else self.settings.keep_alive
        loaded = LoadedRunner(
            model, spec, runner, duration, time.monotonic_ns() - started, requested=requested
        )
        self.loaded[model.key] = loaded
        runner.on_crash = lambda: self.events.runner_crashed(model.name)
        self.events.model_loaded(model.name, loaded.load_duration_ns / 1e9)
        log.info("loaded %s (ctx %d x %d slots)", model.name, spec.num_ctx, spec.num_parallel)
        return loaded

    def _fitted(
        self, model: ModelRef, spec: RunnerSpec, options: dict[str, Any], fits: Fits
    ) -> RunnerSpec:
        """`spec`, or fewer slots / a smaller context when it does not fit (only values nobody
        set explicitly shrink); the smallest allowed spec when nothing fits, for the runner to
        refuse with the numbers."""
        explicit = {
            "ctx_explicit": self._ctx_explicit(options),
            "parallel_explicit": self.settings.num_parallel_explicit or model.embedding_only,
        }
        fitted = policy.fit_spec(spec, fits, **explicit)
        if fitted is None:
            return policy.smallest_spec(spec, **explicit)
        if fitted != spec:
            log.warning(
                "%s does not fit in memory with %s: loading it with %s "
                "(set num_ctx or OLLAMA_NUM_PARALLEL to choose)",
                model.name,
                policy.describe(spec),
                policy.describe(fitted),
            )
        return fitted

    @staticmethod
    def _advice(spec: RunnerSpec) -> str:
        return f", with {policy.describe(spec)}; lower num_ctx or OLLAMA_NUM_PARALLEL"

    async def _evict_one(self) -> None:
        victim = policy.choose_eviction(list(self.loaded.values()))
        if victim is not None:
            victim.evicted = True
            await self._unload(victim, wait=True)

    async def _release(self, loaded: LoadedRunner) -> None:
        loaded.slots.release()
        await self._after_detach(loaded)

    async def _after_detach(self, loaded: LoadedRunner) -> None:
        if not loaded.detach():
            return
        if loaded.unloading or loaded.session_duration <= 0 or not loaded.runner.alive:
            await self._unload(loaded, wait=False)
            return
        loaded.set_expiry()
        if math.isfinite(loaded.session_duration):
            loop = asyncio.get_running_loop()
            loaded.timer = loop.call_later(
                loaded.session_duration, lambda: asyncio.ensure_future(self._expire(loaded))
            )

    async def _expire(self, loaded: LoadedRunner) -> None:
        loaded.timer = None
        if loaded.in_flight == 0 and self.loaded.get(loaded.model.key) is loaded:
            await self._unload(loaded, wait=False)

    async def _unload(self, loaded: LoadedRunner, *, wait: bool) -> None:
        """Unload now if idle; otherwise mark it and (when `wait`) wait for its requests."""
        loaded.unloading = True
        if loaded.timer is not None:
            loaded.timer.cancel()
            loaded.timer = None
        if loaded.in_flight > 0:
            if not wait:
                return
            await loaded.idle.wait()
        if self.loaded.get(loaded.model.key) is loaded:
            del self.loaded[loaded.model.key]
            self.events.model_unloaded(loaded.model.name, evicted=loaded.evicted)
        log.info("unloading %s", loaded.model.name)
        await loaded.runner.close()

    async def stop(self, model: ModelRef) -> bool:
        """Unload `model` once idle (`keep_alive: 0` with no prompt, `pollama stop`). On a
        runner other adapter models share, only `model` leaves (its adapters stay loaded)."""
        loaded = self.loaded.get(model.key)
        if loaded is None or model.adapters not in loaded.users:
            return False
        if len(loaded.users) > 1:
            del loaded.users[model.adapters]
            return True
        loaded.session_duration = 0
        loaded.expires_at = time.time()
        await self._unload(loaded, wait=False)
        return True

    def running(self) -> list[LoadedRunner]:
        return sorted(self.loaded.values(), key=lambda r: r.expires_at, reverse=True)

    async def shutdown(self) -> None:
        for loaded in list(self.loaded.values()):
            if loaded.timer is not None:
                loaded.timer.cancel()
            await loaded.runner.close()
        self.loaded.clear()
