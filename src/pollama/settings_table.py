"""The documented variables: their help text and current values, as `serve --help` lists them.

Each `Settings` field read from the environment has a row here; `describe` gives the rows a
command shows, in its order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pollama.go.time import format_seconds
from pollama.server.guards import allowed_origins
from pollama.settings import Settings

_LEVEL_NAMES = {0: "INFO", 1: "DEBUG", 2: "TRACE"}


def _origins_text(settings: Settings) -> str:
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
    EnvVar("POLLAMA_MEMORY_LIMIT", "Memory a model may use when loaded: bytes or e.g. 8GiB "
           "(default: the memory available)",
           lambda s: "" if s.memory_limit is None else str(s.memory_limit)),
    EnvVar("POLLAMA_BATCH_INVARIANT", "Reproducible outputs: a request's answer is the same "
           "token for token whatever runs beside it and whether its prompt came from the cache "
           "(slower)", lambda s: _flag(s.batch_invariant)),
    EnvVar("POLLAMA_LOG", "Log file of a server the CLI starts in the background "
           "(default ~/.ollama/logs/server.log)", lambda s: str(s.server_log)),
    EnvVar("POLLAMA_API_KEYS_FILE", "File of API keys (`pollama keys`); when set, every request "
           "but GET / needs a key from it (default: no keys needed)",
           lambda s: "" if s.api_keys_file is None else str(s.api_keys_file)),
    EnvVar("OLLAMA_API_KEY", "API key the CLI sends as a Bearer token",
           lambda s: "(set)" if s.api_key else ""),
    EnvVar("POLLAMA_TLS_CERT", "PEM certificate (chain) to serve HTTPS with; needs "
           "POLLAMA_TLS_KEY", lambda s: "" if s.tls_cert is None else str(s.tls_cert)),
    EnvVar("POLLAMA_TLS_KEY", "PEM private key (unencrypted) of POLLAMA_TLS_CERT",
           lambda s: "" if s.tls_key is None else str(s.tls_key)),
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
    "POLLAMA_MEMORY_LIMIT", "POLLAMA_BATCH_INVARIANT", "POLLAMA_LOG", "POLLAMA_API_KEYS_FILE",
    "POLLAMA_TLS_CERT", "POLLAMA_TLS_KEY",
)
# fmt: on
RUN_ENV_VARS: tuple[str, ...] = (
    "OLLAMA_EDITOR",
    "OLLAMA_HOST",
    "OLLAMA_NOHISTORY",
    "OLLAMA_API_KEY",
)
CLIENT_ENV_VARS: tuple[str, ...] = ("OLLAMA_HOST", "OLLAMA_API_KEY")


def describe(
    settings: Settings, names: Sequence[str] = SERVE_ENV_VARS
) -> list[tuple[str, str, str]]:
    """(name, description, current value) for each variable in `names`, in that order."""
    by_name = {var.name: var for var in ENV_VARS}
    return [(n, by_name[n].description, by_name[n].current(settings)) for n in names]
