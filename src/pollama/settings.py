"""Every `OLLAMA_*` variable pollama honours, read once into a frozen `Settings`.

Parsing follows Ollama's `envconfig` package: values are trimmed of spaces and quotes, booleans
use Go's `ParseBool` with any other non-empty text meaning true, numbers that do not parse fall
back to their default (with a warning in the log), durations take Go syntax or bare seconds.
Also here: the `OLLAMA_HOST` address forms. The CORS and Host-header guards are in
`http_guards.py`, the documented table (`serve --help`) in `settings_table.py`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pollama.errors import BadRequest
from pollama.go.net import canonical_ip, is_loopback_host, join_host_port, split_host_port
from pollama.go.strconv import parse_bool
from pollama.go.time import FOREVER, parse_env_duration
from pollama.runner.types import KV_CACHE_TYPES

logger = logging.getLogger(__name__)

DEFAULT_PORT = 11434
DEFAULT_BIND_HOST = "127.0.0.1"
DEFAULT_KEEP_ALIVE = 5 * 60.0
DEFAULT_LOAD_TIMEOUT = 5 * 60.0
DEFAULT_MAX_QUEUE = 512
DEFAULT_MAX_TRANSFER_STREAMS = 4
# Ollama defaults to 1 slot per model, the setting its users most often have to discover and
# raise. pollama batches all slots of a model into one decode step, so extra slots cost almost
# nothing until they are used: 4 is the default (and what 0, "automatic", means).
DEFAULT_NUM_PARALLEL = 4
# Connection guards (pollama's own settings; Ollama has none): a client gets this long to send a
# request's headers, an idle connection is closed after this long, and a request body (other
# than a blob upload, which is streamed to disk) may be at most this large.
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_IDLE_TIMEOUT = 30.0
DEFAULT_MAX_REQUEST_SIZE = 64 * 1024 * 1024
DEFAULT_KV_CACHE_TYPE = "f16"
TRACE = 5
"""The Python logging level for `OLLAMA_DEBUG=2` (Ollama's TRACE)."""

_SIGNED = re.compile(r"[+-]?[0-9]+")
_UNSIGNED = re.compile(r"[0-9]+")


def clean(value: str | None) -> str:
    """Ollama's `envconfig.Var`: surrounding spaces, then surrounding quotes, removed."""
    return (value or "").strip().strip("\"'")


@dataclass(frozen=True)
class HostAddress:
    """A parsed `OLLAMA_HOST`: where the server listens and where clients connect."""

    scheme: str = "http"
    host: str = DEFAULT_BIND_HOST
    port: int = DEFAULT_PORT
    path: str = ""

    @classmethod
    def parse(cls, text: str) -> HostAddress:
        """Ollama's `envconfig.Host` rules; never raises (bad ports fall back to the default).

        `host`, `host:port`, `:port`, `[v6]:port`, `v6`, `scheme://host[:port][/path]`. No scheme
        means http on 11434; `http://` defaults to port 80, `https://` to 443; bare `ollama.com`
        is `https://ollama.com:443`; an empty host is 127.0.0.1.
        """
        text = clean(text).strip()
        default_port = DEFAULT_PORT
        scheme, found, hostport = text.partition("://")
        if not found:
            scheme, hostport = "http", text
            if text == "ollama.com":
                scheme, hostport = "https", "ollama.com:443"
        elif scheme == "http":
            default_port = 80
        elif scheme == "https":
            default_port = 443
        hostport, _, path = hostport.partition("/")
        split = split_host_port(hostport)
        if split is None:
            host, port_text = DEFAULT_BIND_HOST, str(default_port)
            canonical = canonical_ip(hostport.strip("[]"))
            if canonical is not None:
                host = canonical
            elif hostport:
                host = hostport
        else:
            host, port_text = split
        port = int(port_text) if _SIGNED.fullmatch(port_text) else -1
        if not 0 <= port <= 65535:
            logger.warning("invalid port %r in OLLAMA_HOST, using %d", port_text, default_port)
            port = default_port
        return cls(scheme, host or DEFAULT_BIND_HOST, port, path)

    @property
    def url(self) -> str:
        """`scheme://host:port[/path]`, the base URL clients use."""
        base = f"{self.scheme}://{join_host_port(self.host, self.port)}"
        return f"{base}/{self.path}" if self.path else base

    @property
    def bind_host(self) -> str:
        """The address to listen on (`0.0.0.0` / `::` for all interfaces)."""
        return self.host

    @property
    def bind_port(self) -> int:
        return self.port

    @property
    def is_loopback(self) -> bool:
        """Whether listening here only accepts local connections (turns on the Host guard)."""
        return is_loopback_host(self.host)


def _bool(env: Mapping[str, str], key: str) -> bool:
    value = clean(env.get(key))
    if not value:
        return False
    parsed = parse_bool(value)
    return True if parsed is None else parsed


def _uint(env: Mapping[str, str], key: str, default: int) -> int:
    value = clean(env.get(key))
    if not value:
        return default
    if _UNSIGNED.fullmatch(value) and int(value) < 2**64:
        return int(value)
    logger.warning("invalid %s=%r, using default %d", key, value, default)
    return default


def _duration(env: Mapping[str, str], key: str, default: float) -> float:
    value = clean(env.get(key))
    if not value:
        return default
    try:
        return parse_env_duration(value)
    except BadRequest as error:
        logger.warning("invalid %s=%r (%s), using default", key, value, error)
        return default


def _timeout(env: Mapping[str, str], key: str, default: float) -> float:
    """A positive duration (Go syntax or seconds); anything else is the default."""
    value = _duration(env, key, default)
    return value if 0 < value < FOREVER else default


_SIZE = re.compile(r"([0-9]+)\s*([kmg]i?b|b)?", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3}
_SIZE_UNITS.update({"kib": 1024, "mib": 1024**2, "gib": 1024**3})


def parse_size(text: str) -> int | None:
    """Bytes, optionally with a unit: `1048576`, `64MiB`, `100MB`, `1 GiB`; None if invalid."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        return None
    return int(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()]


def _size(env: Mapping[str, str], key: str, default: int) -> int:
    value = clean(env.get(key))
    if not value:
        return default
    size = parse_size(value)
    if size is None:
        logger.warning("invalid %s=%r, using default %d", key, value, default)
        return default
    return size


def _optional_size(env: Mapping[str, str], key: str) -> int | None:
    """A size that is unset (None) unless the variable holds one."""
    value = clean(env.get(key))
    size = parse_size(value) if value else None
    if value and size is None:
        logger.warning("invalid %s=%r, ignored", key, value)
    return size


def _optional_path(env: Mapping[str, str], key: str) -> Path | None:
    value = clean(env.get(key))
    return Path(value).expanduser() if value else None


def _debug_level(value: str) -> int:
    """`OLLAMA_DEBUG`: true -> 1 (DEBUG), an integer n -> n (2 = TRACE), anything else 0."""
    if parse_bool(value):
        return 1
    if _SIGNED.fullmatch(value) and -(2**63) <= int(value) < 2**63:
        return int(value)
    return 0


def _kv_cache_type(value: str) -> str:
    lowered = value.lower()
    if not lowered:
        return DEFAULT_KV_CACHE_TYPE
    if lowered not in KV_CACHE_TYPES:
        logger.warning("unsupported OLLAMA_KV_CACHE_TYPE=%r, using f16", value)
        return DEFAULT_KV_CACHE_TYPE
    return lowered


@dataclass(frozen=True)
class Settings:
    """Server and client configuration; build with `Settings.from_env()`."""

    host: HostAddress = field(default_factory=HostAddress)
    models: Path = field(default_factory=lambda: Path.home() / ".ollama" / "models")
    ollama_home: Path = field(default_factory=lambda: Path.home() / ".ollama")
    keep_alive: float = DEFAULT_KEEP_ALIVE  # seconds; math.inf = forever, 0 = unload at once
    load_timeout: float = DEFAULT_LOAD_TIMEOUT  # seconds; math.inf = no limit
    num_parallel: int = DEFAULT_NUM_PARALLEL
    num_parallel_explicit: bool = False  # set by OLLAMA_NUM_PARALLEL: never cut to fit memory
    max_loaded_models: int = 0  # 0 = automatic (3 per GPU, 3 on CPU)
    max_queue: int = DEFAULT_MAX_QUEUE
    max_transfer_streams: int = DEFAULT_MAX_TRANSFER_STREAMS
    origins: tuple[str, ...] = ()  # extra CORS origins; see `allowed_origins`
    flash_attention: bool | None = None  # None = automatic
    kv_cache_type: str = DEFAULT_KV_CACHE_TYPE
    context_length: int = 0  # 0 = automatic
    debug: int = 0  # 0 INFO, 1 DEBUG, 2 TRACE (Ollama's slog level is -4 * debug)
    noprune: bool = False
    gpu_overhead: int = 0  # bytes reserved per GPU
    sched_spread: bool = False
    llm_library: str = ""
    nohistory: bool = False
    no_cloud: bool = False
    editor: str = ""
    header_timeout: float = DEFAULT_HEADER_TIMEOUT  # seconds to send a request's headers
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT  # seconds an idle connection stays open
    max_request_size: int = DEFAULT_MAX_REQUEST_SIZE  # bytes; 0 = no limit
    memory_limit: int | None = None  # bytes a new runner may use; None = MemAvailable
    # POLLAMA_BATCH_INVARIANT: outputs identical token for token whatever runs beside them and
    # whether their prefix came from the cache (slower: no repacked weights, aligned prompt chunks)
    batch_invariant: bool = False
    # POLLAMA_API_KEYS_FILE: requests need a key from this file (see pollama.auth); None = off
    api_keys_file: Path | None = None
    # OLLAMA_API_KEY: the key the CLI sends as a Bearer token (kept out of the repr)
    api_key: str = field(default="", repr=False)
    # where a server the CLI starts in the background writes its log
    server_log: Path = field(
        default_factory=lambda: Path.home() / ".ollama" / "logs" / "server.log"
    )
    # POLLAMA_TLS_CERT / POLLAMA_TLS_KEY: PEM files to serve HTTPS with (checked by
    # server/tls.py when the server starts: both or neither)
    tls_cert: Path | None = None
    tls_key: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every variable from `env` (default: `os.environ`)."""
        env = os.environ if env is None else env
        home = Path(env["HOME"]) if env.get("HOME") else Path.home()
        models = clean(env.get("OLLAMA_MODELS"))
        origins = clean(env.get("OLLAMA_ORIGINS"))
        flash = clean(env.get("OLLAMA_FLASH_ATTENTION"))
        load_timeout = _duration(env, "OLLAMA_LOAD_TIMEOUT", DEFAULT_LOAD_TIMEOUT)
        parallel = _uint(env, "OLLAMA_NUM_PARALLEL", 0)
        log = clean(env.get("POLLAMA_LOG"))
        return cls(
            host=HostAddress.parse(env.get("OLLAMA_HOST", "")),
            models=Path(models).expanduser() if models else home / ".ollama" / "models",
            ollama_home=home / ".ollama",
            keep_alive=_duration(env, "OLLAMA_KEEP_ALIVE", DEFAULT_KEEP_ALIVE),
            load_timeout=FOREVER if load_timeout <= 0 else load_timeout,
            num_parallel=parallel or DEFAULT_NUM_PARALLEL,
            num_parallel_explicit=parallel > 0,
            max_loaded_models=_uint(env, "OLLAMA_MAX_LOADED_MODELS", 0),
            max_queue=_uint(env, "OLLAMA_MAX_QUEUE", DEFAULT_MAX_QUEUE),
            max_transfer_streams=_uint(env, "OLLAMA_MAX_TRANSFER_STREAMS", 0)
            or DEFAULT_MAX_TRANSFER_STREAMS,
            origins=tuple(o.strip() for o in origins.split(",") if o.strip()) if origins else (),
            flash_attention=(parse_bool(flash) is not False) if flash else None,
            kv_cache_type=_kv_cache_type(clean(env.get("OLLAMA_KV_CACHE_TYPE"))),
            context_length=_uint(env, "OLLAMA_CONTEXT_LENGTH", 0),
            debug=_debug_level(clean(env.get("OLLAMA_DEBUG"))),
            noprune=_bool(env, "OLLAMA_NOPRUNE"),
            gpu_overhead=_uint(env, "OLLAMA_GPU_OVERHEAD", 0),
            sched_spread=_bool(env, "OLLAMA_SCHED_SPREAD"),
            llm_library=clean(env.get("OLLAMA_LLM_LIBRARY")),
            nohistory=_bool(env, "OLLAMA_NOHISTORY"),
            no_cloud=_bool(env, "OLLAMA_NO_CLOUD"),
            editor=clean(env.get("OLLAMA_EDITOR")),
            header_timeout=_timeout(env, "POLLAMA_HEADER_TIMEOUT", DEFAULT_HEADER_TIMEOUT),
            idle_timeout=_timeout(env, "POLLAMA_IDLE_TIMEOUT", DEFAULT_IDLE_TIMEOUT),
            max_request_size=_size(env, "POLLAMA_MAX_REQUEST_SIZE", DEFAULT_MAX_REQUEST_SIZE),
            memory_limit=_optional_size(env, "POLLAMA_MEMORY_LIMIT"),
            batch_invariant=_bool(env, "POLLAMA_BATCH_INVARIANT"),
            api_keys_file=_optional_path(env, "POLLAMA_API_KEYS_FILE"),
            api_key=client_api_key(env),
            server_log=Path(log).expanduser() if log else home / ".ollama" / "logs" / "server.log",
            tls_cert=_optional_path(env, "POLLAMA_TLS_CERT"),
            tls_key=_optional_path(env, "POLLAMA_TLS_KEY"),
        )

    @property
    def log_level(self) -> int:
        """The Python `logging` level for `debug` (TRACE = 5 for 2 and above)."""
        if self.debug >= 2:
            return TRACE
        return min(logging.CRITICAL, logging.INFO - 10 * self.debug)


def client_host(env: Mapping[str, str] | None = None) -> str:
    """The base URL a client talks to, from `OLLAMA_HOST` (`0.0.0.0` is used as is)."""
    env = os.environ if env is None else env
    return HostAddress.parse(env.get("OLLAMA_HOST", "")).url


def client_api_key(env: Mapping[str, str] | None = None) -> str:
    """`OLLAMA_API_KEY`, the key a client sends as `Authorization: Bearer`; empty when unset."""
    env = os.environ if env is None else env
    return clean(env.get("OLLAMA_API_KEY"))
