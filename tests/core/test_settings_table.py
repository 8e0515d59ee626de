"""The documented variables `serve --help` and `run --help` list, with their current values."""

from __future__ import annotations

from pathlib import Path

from pollama.settings import Settings
from pollama.settings_table import RUN_ENV_VARS, SERVE_ENV_VARS, describe

# The variables Ollama's `serve --help` lists (cmd/cmd.go, appendEnvDocs), less those of
# backends pollama does not have.
SERVE_HELP = [
    "OLLAMA_DEBUG", "OLLAMA_HOST", "OLLAMA_CONTEXT_LENGTH", "OLLAMA_KEEP_ALIVE",
    "OLLAMA_MAX_LOADED_MODELS", "OLLAMA_MAX_TRANSFER_STREAMS", "OLLAMA_MAX_QUEUE",
    "OLLAMA_MODELS", "OLLAMA_NUM_PARALLEL", "OLLAMA_NO_CLOUD", "OLLAMA_NOPRUNE",
    "OLLAMA_ORIGINS", "OLLAMA_SCHED_SPREAD", "OLLAMA_FLASH_ATTENTION", "OLLAMA_KV_CACHE_TYPE",
    "OLLAMA_LLM_LIBRARY", "OLLAMA_GPU_OVERHEAD", "OLLAMA_LOAD_TIMEOUT",
    # pollama's own connection guards
    "POLLAMA_HEADER_TIMEOUT", "POLLAMA_IDLE_TIMEOUT", "POLLAMA_MAX_REQUEST_SIZE",
    # and the memory limit, the reproducible mode, the CLI's autostart log
    "POLLAMA_MEMORY_LIMIT", "POLLAMA_BATCH_INVARIANT", "POLLAMA_LOG",
    "POLLAMA_API_KEYS_FILE", "POLLAMA_TLS_CERT", "POLLAMA_TLS_KEY",
]  # fmt: skip


def test_describe_serve(tmp_path: Path) -> None:
    rows = describe(Settings.from_env({"HOME": str(tmp_path)}))
    assert [name for name, _, _ in rows] == SERVE_HELP == list(SERVE_ENV_VARS)
    assert all(description for _, description, _ in rows)
    values = {name: value for name, _, value in rows}
    assert values["OLLAMA_HOST"] == "http://127.0.0.1:11434"
    assert values["OLLAMA_KEEP_ALIVE"] == "5m0s"
    assert values["OLLAMA_LOAD_TIMEOUT"] == "5m0s"
    assert values["OLLAMA_NUM_PARALLEL"] == "4"
    assert values["OLLAMA_MAX_QUEUE"] == "512"
    assert values["OLLAMA_MODELS"] == str(tmp_path / ".ollama" / "models")
    assert values["OLLAMA_DEBUG"] == "INFO"
    assert values["OLLAMA_NOPRUNE"] == "false"
    assert values["OLLAMA_FLASH_ATTENTION"] == "auto"
    assert values["OLLAMA_KV_CACHE_TYPE"] == "f16"
    assert values["OLLAMA_ORIGINS"].startswith("[http://localhost https://localhost ")
    assert values["POLLAMA_BATCH_INVARIANT"] == "false"


def test_describe_current_values() -> None:
    env = {"OLLAMA_KEEP_ALIVE": "-1", "OLLAMA_DEBUG": "2", "OLLAMA_FLASH_ATTENTION": "0",
           "OLLAMA_ORIGINS": "https://app.test", "OLLAMA_HOST": "0.0.0.0:1",
           "POLLAMA_BATCH_INVARIANT": "1"}  # fmt: skip
    values = {name: value for name, _, value in describe(Settings.from_env(env))}
    assert values["OLLAMA_KEEP_ALIVE"] == "2562047h47m16.854775807s"
    assert values["OLLAMA_DEBUG"] == "TRACE"
    assert values["OLLAMA_FLASH_ATTENTION"] == "false"
    assert values["OLLAMA_ORIGINS"].startswith("[https://app.test http://localhost ")
    assert values["OLLAMA_HOST"] == "http://0.0.0.0:1"
    assert values["POLLAMA_BATCH_INVARIANT"] == "true"


def test_describe_run() -> None:
    rows = describe(Settings(editor="nano", nohistory=True), RUN_ENV_VARS)
    assert [(name, value) for name, _, value in rows] == [
        ("OLLAMA_EDITOR", "nano"),
        ("OLLAMA_HOST", "http://127.0.0.1:11434"),
        ("OLLAMA_NOHISTORY", "true"),
        ("OLLAMA_API_KEY", ""),
    ]
