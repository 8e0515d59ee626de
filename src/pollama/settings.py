"""Every `OLLAMA_*` variable pollama honours, read once into a frozen `Settings`.

Parsing follows Ollama's `envconfig` package: values are trimmed of spaces and quotes, booleans
use Go's `ParseBool` with any other non-empty text meaning true, numbers that do not parse fall
back to their default (with a warning in the log), durations take Go syntax or bare seconds.
Also here: the `OLLAMA_HOST` address forms (the CORS and Host-header guards are in
`http_guards.py`).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pollama.durations import FOREVER, format_seconds, parse_env_duration
from pollama.errors import BadRequest

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
KV_CACHE_TYPES = ("f16", "q8_0", "q4_0")
DEFAULT_KV_CACHE_TYPE = "f16"
TRACE = 5
"""The Python logging level for `OLLAMA_DEBUG=2` (Ollama's TRACE)."""

_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
_SIGNED = re.compile(r"[+-]?[0-9]+")
_UNSIGNED = re.compile(r"[0-9]+")


def clean(value: str | None) -> str:
    """Ollama's `envconfig.Var`: surrounding spaces, then surrounding quotes, removed."""
    return (value or "").strip().strip("\"'")


def parse_go_bool(text: str) -> bool | None:
    """Go's `strconv.ParseBool`; None where Go returns an error."""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def split_host_port(hostport: str) -> tuple[str, str] | None:
    """Go's `net.SplitHostPort`: (`host`, `port`), brackets of `[v6]` removed; None on error."""
    colon = hostport.rfind(":")
    if colon < 0:
        return None
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0 or end + 1 != colon:
            return None
        host, start_open, start_close = hostport[1:end], 1, end + 1
    else:
        host, start_open, start_close = hostport[:colon], 0, 0
        if ":" in host:
            return None
    if "[" in hostport[start_open:] or "]" in hostport[start_close:]:
        return None
    return host, hostport[colon + 1 :]


def join_host_port(host: str, port: int | str) -> str:
    """Go's `net.JoinHostPort`: brackets around hosts containing `:` (IPv6)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _canonical_ip(text: str) -> str | None:
    """Go's `net.ParseIP(text).String()`: canonical spelling, IPv4-in-IPv6 shown as IPv4."""
    ip = _parse_ip(text)
    if ip is None or (isinstance(ip, ipaddress.IPv6Address) and ip.scope_id):
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


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
            canonical = _canonical_ip(hostport.strip("[]"))
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
        if self.host.lower() == "localhost":
            return True
        ip = _parse_ip(self.host)
        return ip is not None and ip.is_loopback


def _bool(env: Mapping[str, str], key: str) -> bool:
    value = clean(env.get(key))
    if not value:
        return False
    parsed = parse_go_bool(value)
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


def _debug_level(value: str) -> int:
    """`OLLAMA_DEBUG`: true -> 1 (DEBUG), an integer n -> n (2 = TRACE), anything else 0."""
    if parse_go_bool(value):
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
            flash_attention=(parse_go_bool(flash) is not False) if flash else None,
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


# --- `serve --help` -------------------------------------------------------------------------

_LEVEL_NAMES = {0: "INFO", 1: "DEBUG", 2: "TRACE"}


def _origins_text(settings: Settings) -> str:
    from pollama.http_guards import allowed_origins  # the guards module imports this one

    return "[" + " ".join(allowed_origins(settings)) + "]"


def _flag(value: bool) -> str:
    return "true" if value else "false"


@dataclass(frozen=True)
class EnvVar:
    """One documented variable: its name, help text and how to show its current value."""

    name: str
    description: str
    current: Callable[[Settings], str]


# fmt: off
ENV_VARS: tuple[EnvVar, ...] = (
    EnvVar("OLLAMA_DEBUG", "Show additional debug information (e.g. OLLAMA_DEBUG=1)",
           lambda s: _LEVEL_NAMES.get(s.debug, str(s.debug))),
    EnvVar("OLLAMA_HOST", "IP Address for the pollama server (default 127.0.0.1:11434)",
           lambda s: s.host.url),
    EnvVar("OLLAMA_CONTEXT_LENGTH", "Context length to use unless a request sets num_ctx "
           "(default: 0, chosen from available memory)", lambda s: str(s.context_length)),
    EnvVar("OLLAMA_KEEP_ALIVE", 'The duration that models stay loaded in memory (default "5m")',
           lambda s: format_seconds(s.keep_alive)),
    EnvVar("OLLAMA_MAX_LOADED_MODELS", "Maximum number of loaded models (default: 0, automatic)",
           lambda s: str(s.max_loaded_models)),
    EnvVar("OLLAMA_MAX_TRANSFER_STREAMS", "Maximum parallel blob transfers per pull or push "
           "(default 4)", lambda s: str(s.max_transfer_streams)),
    EnvVar("OLLAMA_MAX_QUEUE", "Maximum number of queued requests (default 512)",
           lambda s: str(s.max_queue)),
    EnvVar("OLLAMA_MODELS", "The path to the models directory", lambda s: str(s.models)),
    EnvVar("OLLAMA_NUM_PARALLEL", "Maximum number of parallel requests per model (default 4)",
           lambda s: str(s.num_parallel)),
    EnvVar("OLLAMA_NO_CLOUD", "Disable Ollama cloud features", lambda s: _flag(s.no_cloud)),
    EnvVar("OLLAMA_NOPRUNE", "Do not prune model blobs on startup", lambda s: _flag(s.noprune)),
    EnvVar("OLLAMA_ORIGINS", "A comma separated list of allowed origins",
           lambda s: _origins_text(s)),
    EnvVar("OLLAMA_SCHED_SPREAD", "Always schedule model across all GPUs",
           lambda s: _flag(s.sched_spread)),
    EnvVar("OLLAMA_FLASH_ATTENTION", "Enable (1) or disable (0) flash attention "
           "(default: automatic)",
           lambda s: "auto" if s.flash_attention is None else _flag(s.flash_attention)),
    EnvVar("OLLAMA_KV_CACHE_TYPE", "Quantization type for the K/V cache: f16, q8_0 or q4_0 "
           "(default: f16)", lambda s: s.kv_cache_type),
    EnvVar("OLLAMA_LLM_LIBRARY", "Set LLM library to bypass autodetection",
           lambda s: s.llm_library),
    EnvVar("OLLAMA_GPU_OVERHEAD", "Reserve a portion of VRAM per GPU (bytes)",
           lambda s: str(s.gpu_overhead)),
    EnvVar("OLLAMA_LOAD_TIMEOUT", "How long to allow model loads to stall before giving up "
           '(default "5m")', lambda s: format_seconds(s.load_timeout)),
    EnvVar("OLLAMA_EDITOR", "Path to editor for interactive prompt editing (Ctrl+G)",
           lambda s: s.editor),
    EnvVar("OLLAMA_NOHISTORY", "Do not preserve readline history", lambda s: _flag(s.nohistory)),
    EnvVar("POLLAMA_HEADER_TIMEOUT", "How long a client may take to send a request's headers "
           '(default "10s")', lambda s: format_seconds(s.header_timeout)),
    EnvVar("POLLAMA_IDLE_TIMEOUT", "How long an idle connection is kept open (default \"30s\")",
           lambda s: format_seconds(s.idle_timeout)),
    EnvVar("POLLAMA_MAX_REQUEST_SIZE", "Largest request body, blob uploads excepted: bytes or "
           "e.g. 64MiB, 0 for no limit (default 64MiB)", lambda s: str(s.max_request_size)),
)

# The variables `serve --help` lists (Ollama's list, less those of backends pollama lacks, then
# pollama's own).
SERVE_ENV_VARS: tuple[str, ...] = (
    "OLLAMA_DEBUG", "OLLAMA_HOST", "OLLAMA_CONTEXT_LENGTH", "OLLAMA_KEEP_ALIVE",
    "OLLAMA_MAX_LOADED_MODELS", "OLLAMA_MAX_TRANSFER_STREAMS", "OLLAMA_MAX_QUEUE",
    "OLLAMA_MODELS", "OLLAMA_NUM_PARALLEL", "OLLAMA_NO_CLOUD", "OLLAMA_NOPRUNE",
    "OLLAMA_ORIGINS", "OLLAMA_SCHED_SPREAD", "OLLAMA_FLASH_ATTENTION", "OLLAMA_KV_CACHE_TYPE",
    "OLLAMA_LLM_LIBRARY", "OLLAMA_GPU_OVERHEAD", "OLLAMA_LOAD_TIMEOUT",
    # pollama's own
    "POLLAMA_HEADER_TIMEOUT", "POLLAMA_IDLE_TIMEOUT", "POLLAMA_MAX_REQUEST_SIZE",
)
# fmt: on
RUN_ENV_VARS: tuple[str, ...] = ("OLLAMA_EDITOR", "OLLAMA_HOST", "OLLAMA_NOHISTORY")
CLIENT_ENV_VARS: tuple[str, ...] = ("OLLAMA_HOST",)


def describe(
    settings: Settings, names: Sequence[str] = SERVE_ENV_VARS
) -> list[tuple[str, str, str]]:
    """(name, description, current value) for each variable in `names`, in that order."""
    by_name = {var.name: var for var in ENV_VARS}
    return [(n, by_name[n].description, by_name[n].current(settings)) for n in names]


# --- CORS -----------------------------------------------------------------------------------
