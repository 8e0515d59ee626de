"""`OLLAMA_*` parsing: the host forms, every setting's type and default, `serve --help` rows."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pytest

from pollama.settings import (
    DEFAULT_NUM_PARALLEL,
    TRACE,
    HostAddress,
    Settings,
    clean,
    client_host,
    parse_size,
)
from pollama.settings_table import describe


@pytest.mark.parametrize(
    ("value", "scheme", "host", "port", "path", "url"),
    [
        ("", "http", "127.0.0.1", 11434, "", "http://127.0.0.1:11434"),
        ("0.0.0.0", "http", "0.0.0.0", 11434, "", "http://0.0.0.0:11434"),
        ("10.1.2.3", "http", "10.1.2.3", 11434, "", "http://10.1.2.3:11434"),
        ("10.1.2.3:8080", "http", "10.1.2.3", 8080, "", "http://10.1.2.3:8080"),
        (":8080", "http", "127.0.0.1", 8080, "", "http://127.0.0.1:8080"),
        ("gpu-box", "http", "gpu-box", 11434, "", "http://gpu-box:11434"),
        ("gpu-box.lan:9000", "http", "gpu-box.lan", 9000, "", "http://gpu-box.lan:9000"),
        (":0", "http", "127.0.0.1", 0, "", "http://127.0.0.1:0"),
        (":65535", "http", "127.0.0.1", 65535, "", "http://127.0.0.1:65535"),
        (":65536", "http", "127.0.0.1", 11434, "", "http://127.0.0.1:11434"),
        (":70000", "http", "127.0.0.1", 11434, "", "http://127.0.0.1:11434"),
        (":-5", "http", "127.0.0.1", 11434, "", "http://127.0.0.1:11434"),
        (":abc", "http", "127.0.0.1", 11434, "", "http://127.0.0.1:11434"),
        ("gpu-box:", "http", "gpu-box", 11434, "", "http://gpu-box:11434"),
        ("[::1]", "http", "::1", 11434, "", "http://[::1]:11434"),
        ("[::]", "http", "::", 11434, "", "http://[::]:11434"),
        ("::1", "http", "::1", 11434, "", "http://[::1]:11434"),
        ("0:0:0:0:0:0:0:1", "http", "::1", 11434, "", "http://[::1]:11434"),
        ("::ffff:10.1.2.3", "http", "10.1.2.3", 11434, "", "http://10.1.2.3:11434"),
        ("[::1]:8080", "http", "::1", 8080, "", "http://[::1]:8080"),
        ("[fe80::2]:1", "http", "fe80::2", 1, "", "http://[fe80::2]:1"),
        ("  10.1.2.3  ", "http", "10.1.2.3", 11434, "", "http://10.1.2.3:11434"),
        ("'10.1.2.3:99'", "http", "10.1.2.3", 99, "", "http://10.1.2.3:99"),
        ('"10.1.2.3"', "http", "10.1.2.3", 11434, "", "http://10.1.2.3:11434"),
        (' " 10.1.2.3 " ', "http", "10.1.2.3", 11434, "", "http://10.1.2.3:11434"),
        ("http://10.1.2.3", "http", "10.1.2.3", 80, "", "http://10.1.2.3:80"),
        ("http://10.1.2.3:8000", "http", "10.1.2.3", 8000, "", "http://10.1.2.3:8000"),
        ("https://10.1.2.3", "https", "10.1.2.3", 443, "", "https://10.1.2.3:443"),
        ("https://10.1.2.3:8443", "https", "10.1.2.3", 8443, "", "https://10.1.2.3:8443"),
        ("https://proxy.example/ollama", "https", "proxy.example", 443, "ollama",
         "https://proxy.example:443/ollama"),
        ("http://gpu-box:8000/a/b/", "http", "gpu-box", 8000, "a/b/",
         "http://gpu-box:8000/a/b/"),
        ("gpu-box:11434/", "http", "gpu-box", 11434, "", "http://gpu-box:11434"),
        ("http://[::1]", "http", "::1", 80, "", "http://[::1]:80"),
        ("ollama.com", "https", "ollama.com", 443, "", "https://ollama.com:443"),
        ("ollama.com:11434", "http", "ollama.com", 11434, "", "http://ollama.com:11434"),
    ],
)  # fmt: skip
def test_host_forms(value: str, scheme: str, host: str, port: int, path: str, url: str) -> None:
    address = HostAddress.parse(value)
    assert address == HostAddress(scheme, host, port, path)
    assert address.url == url
    assert (address.bind_host, address.bind_port) == (host, port)
    assert Settings.from_env({"OLLAMA_HOST": value}).host == address
    assert client_host({"OLLAMA_HOST": value}) == url


@pytest.mark.parametrize(
    ("value", "loopback"),
    [
        ("", True),
        ("127.0.0.1:1", True),
        ("127.9.9.9", True),
        ("localhost", True),
        ("[::1]:9", True),
        ("0.0.0.0", False),
        ("[::]", False),
        ("10.1.2.3", False),
        ("gpu-box", False),
    ],
)
def test_host_is_loopback(value: str, loopback: bool) -> None:
    assert HostAddress.parse(value).is_loopback is loopback


def test_client_host_reads_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "0.0.0.0:5555")
    assert client_host() == "http://0.0.0.0:5555"
    monkeypatch.delenv("OLLAMA_HOST")
    assert client_host() == "http://127.0.0.1:11434"


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [(None, ""), ("", ""), (" x ", "x"), ("'x'", "x"), ('"x"', "x"), ("\"'x'\"", "x"),
     (" ' x ' ", " x "), ("x'y", "x'y")],
)  # fmt: skip
def test_clean(raw: str | None, cleaned: str) -> None:
    assert clean(raw) == cleaned


def test_defaults(tmp_path: Path) -> None:
    settings = Settings.from_env({"HOME": str(tmp_path)})
    assert settings.host == HostAddress("http", "127.0.0.1", 11434, "")
    assert settings.models == tmp_path / ".ollama" / "models"
    assert settings.ollama_home == tmp_path / ".ollama"
    assert settings.keep_alive == 300.0
    assert settings.load_timeout == 300.0
    assert settings.num_parallel == DEFAULT_NUM_PARALLEL == 4
    assert settings.max_loaded_models == 0
    assert settings.max_queue == 512
    assert settings.max_transfer_streams == 4
    assert settings.origins == ()
    assert settings.flash_attention is None
    assert settings.kv_cache_type == "f16"
    assert settings.context_length == 0
    assert settings.debug == 0
    assert settings.log_level == logging.INFO
    assert (settings.noprune, settings.sched_spread, settings.nohistory, settings.no_cloud) == (
        False, False, False, False,
    )  # fmt: skip
    assert (settings.gpu_overhead, settings.llm_library, settings.editor) == (0, "", "")
    assert settings.batch_invariant is False  # fast by default


def test_from_env_defaults_to_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_NUM_PARALLEL", "7")
    assert Settings.from_env().num_parallel == 7
    assert Settings().num_parallel == DEFAULT_NUM_PARALLEL


def _one(var: str, value: str) -> Settings:
    return Settings.from_env({"HOME": "/home/someone", var: value})


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("10m", 600.0), ("60", 60.0), ("1h30m", 5400.0), ("0", 0.0), ("0s", 0.0),
     ("-1", math.inf), ("-1m", math.inf), ("bogus", 300.0), ("1.5", 300.0), ("'1h'", 3600.0),
     ("", 300.0), ("250ms", 0.25)],
)  # fmt: skip
def test_keep_alive(value: str, seconds: float) -> None:
    assert _one("OLLAMA_KEEP_ALIVE", value).keep_alive == seconds


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("10s", 10.0), ("30", 30.0), ("0", math.inf), ("-1", math.inf), ("-5m", math.inf),
     ("x", 300.0), ("", 300.0), ("2m", 120.0)],
)  # fmt: skip
def test_load_timeout(value: str, seconds: float) -> None:
    assert _one("OLLAMA_LOAD_TIMEOUT", value).load_timeout == seconds


@pytest.mark.parametrize(
    ("var", "field", "value", "expected"),
    [
        ("OLLAMA_NUM_PARALLEL", "num_parallel", "8", 8),
        ("OLLAMA_NUM_PARALLEL", "num_parallel", "1", 1),
        ("OLLAMA_NUM_PARALLEL", "num_parallel", " 2 ", 2),
        ("OLLAMA_NUM_PARALLEL", "num_parallel", "0", DEFAULT_NUM_PARALLEL),
        ("OLLAMA_NUM_PARALLEL", "num_parallel", "-1", DEFAULT_NUM_PARALLEL),
        ("OLLAMA_NUM_PARALLEL", "num_parallel", "+2", DEFAULT_NUM_PARALLEL),
        ("OLLAMA_NUM_PARALLEL", "num_parallel", "two", DEFAULT_NUM_PARALLEL),
        ("OLLAMA_NUM_PARALLEL", "num_parallel", "1_0", DEFAULT_NUM_PARALLEL),
        ("OLLAMA_MAX_LOADED_MODELS", "max_loaded_models", "2", 2),
        ("OLLAMA_MAX_LOADED_MODELS", "max_loaded_models", "x", 0),
        ("OLLAMA_MAX_QUEUE", "max_queue", "10", 10),
        ("OLLAMA_MAX_QUEUE", "max_queue", "x", 512),
        ("OLLAMA_MAX_QUEUE", "max_queue", "-3", 512),
        ("OLLAMA_MAX_TRANSFER_STREAMS", "max_transfer_streams", "8", 8),
        ("OLLAMA_MAX_TRANSFER_STREAMS", "max_transfer_streams", "0", 4),
        ("OLLAMA_CONTEXT_LENGTH", "context_length", "8192", 8192),
        ("OLLAMA_CONTEXT_LENGTH", "context_length", "8k", 0),
        ("OLLAMA_GPU_OVERHEAD", "gpu_overhead", "1073741824", 1073741824),
        ("OLLAMA_GPU_OVERHEAD", "gpu_overhead", "18446744073709551615", 2**64 - 1),
        ("OLLAMA_GPU_OVERHEAD", "gpu_overhead", "18446744073709551616", 0),
        ("OLLAMA_GPU_OVERHEAD", "gpu_overhead", "1GB", 0),
        ("OLLAMA_KV_CACHE_TYPE", "kv_cache_type", "q8_0", "q8_0"),
        ("OLLAMA_KV_CACHE_TYPE", "kv_cache_type", "Q4_0", "q4_0"),
        ("OLLAMA_KV_CACHE_TYPE", "kv_cache_type", "f16", "f16"),
        ("OLLAMA_KV_CACHE_TYPE", "kv_cache_type", "q5_1", "f16"),
        ("OLLAMA_KV_CACHE_TYPE", "kv_cache_type", "bf16", "f16"),
        ("OLLAMA_FLASH_ATTENTION", "flash_attention", "1", True),
        ("OLLAMA_FLASH_ATTENTION", "flash_attention", "true", True),
        ("OLLAMA_FLASH_ATTENTION", "flash_attention", "on", True),
        ("OLLAMA_FLASH_ATTENTION", "flash_attention", "0", False),
        ("OLLAMA_FLASH_ATTENTION", "flash_attention", "False", False),
        ("OLLAMA_FLASH_ATTENTION", "flash_attention", "", None),
        ("OLLAMA_FLASH_ATTENTION", "flash_attention", "''", None),
        ("OLLAMA_DEBUG", "debug", "1", 1),
        ("OLLAMA_DEBUG", "debug", "true", 1),
        ("OLLAMA_DEBUG", "debug", "T", 1),
        ("OLLAMA_DEBUG", "debug", "2", 2),
        ("OLLAMA_DEBUG", "debug", "0", 0),
        ("OLLAMA_DEBUG", "debug", "false", 0),
        ("OLLAMA_DEBUG", "debug", "yes", 0),
        ("OLLAMA_DEBUG", "debug", "-1", -1),
        ("OLLAMA_LLM_LIBRARY", "llm_library", "cpu", "cpu"),
        ("OLLAMA_EDITOR", "editor", "'vim'", "vim"),
        ("OLLAMA_ORIGINS", "origins", "http://a.test,https://b.test",
         ("http://a.test", "https://b.test")),
        ("OLLAMA_ORIGINS", "origins", " http://a.test , ,https://*.b.test ",
         ("http://a.test", "https://*.b.test")),
        ("OLLAMA_ORIGINS", "origins", "*", ("*",)),
        ("OLLAMA_ORIGINS", "origins", "", ()),
        ("OLLAMA_MODELS", "models", "/data/models", Path("/data/models")),
        ("OLLAMA_MODELS", "models", "'/data/my models'", Path("/data/my models")),
        ("OLLAMA_MODELS", "models", "", Path("/home/someone/.ollama/models")),
    ],
)  # fmt: skip
def test_setting(var: str, field: str, value: str, expected: object) -> None:
    assert getattr(_one(var, value), field) == expected


def test_models_expands_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _one("OLLAMA_MODELS", "~/store").models == tmp_path / "store"


@pytest.mark.parametrize(
    "var",
    ["OLLAMA_NOPRUNE", "OLLAMA_SCHED_SPREAD", "OLLAMA_NOHISTORY", "OLLAMA_NO_CLOUD",
     "POLLAMA_BATCH_INVARIANT"],
)  # fmt: skip
@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("true", True), ("T", True), ("yes", True), ("anything", True),
     ("0", False), ("false", False), ("F", False), ("", False), ('"false"', False),
     (" 1 ", True)],
)  # fmt: skip
def test_bools(var: str, value: str, expected: bool) -> None:
    field = {"OLLAMA_NOPRUNE": "noprune", "OLLAMA_SCHED_SPREAD": "sched_spread",
             "OLLAMA_NOHISTORY": "nohistory", "OLLAMA_NO_CLOUD": "no_cloud",
             "POLLAMA_BATCH_INVARIANT": "batch_invariant"}[var]  # fmt: skip
    assert getattr(_one(var, value), field) is expected


@pytest.mark.parametrize(
    ("debug", "level"),
    [(0, logging.INFO), (1, logging.DEBUG), (2, TRACE), (3, TRACE), (-1, logging.WARNING),
     (-2, logging.ERROR), (-9, logging.CRITICAL)],
)  # fmt: skip
def test_log_level(debug: int, level: int) -> None:
    assert Settings(debug=debug).log_level == level


def test_invalid_values_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pollama.settings"):
        _one("OLLAMA_NUM_PARALLEL", "many")
    assert "OLLAMA_NUM_PARALLEL" in caplog.text


def test_connection_guard_settings() -> None:
    defaults = Settings.from_env({})
    assert (defaults.header_timeout, defaults.idle_timeout) == (10.0, 30.0)
    assert defaults.max_request_size == 64 * 1024 * 1024
    env = {
        "POLLAMA_HEADER_TIMEOUT": "500ms",
        "POLLAMA_IDLE_TIMEOUT": "2",
        "POLLAMA_MAX_REQUEST_SIZE": "100MB",
    }
    settings = Settings.from_env(env)
    assert (settings.header_timeout, settings.idle_timeout) == (0.5, 2.0)
    assert settings.max_request_size == 100_000_000
    values = {name: value for name, _, value in describe(settings)}
    assert values["POLLAMA_HEADER_TIMEOUT"] == "500ms"
    assert values["POLLAMA_MAX_REQUEST_SIZE"] == "100000000"


@pytest.mark.parametrize(
    ("text", "size"),
    [("0", 0), ("1048576", 1048576), ("64MiB", 64 * 1024**2), ("1 gib", 1024**3), ("2kb", 2000)],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_bad_connection_guard_values_fall_back() -> None:
    env = {"POLLAMA_HEADER_TIMEOUT": "-1s", "POLLAMA_IDLE_TIMEOUT": "soon",
           "POLLAMA_MAX_REQUEST_SIZE": "lots"}  # fmt: skip
    settings = Settings.from_env(env)
    assert (settings.header_timeout, settings.idle_timeout) == (10.0, 30.0)
    assert settings.max_request_size == 64 * 1024 * 1024


def test_memory_limit_and_server_log(tmp_path: Path) -> None:
    defaults = Settings.from_env({"HOME": str(tmp_path)})
    assert defaults.memory_limit is None
    assert defaults.server_log == tmp_path / ".ollama" / "logs" / "server.log"
    env = {"POLLAMA_MEMORY_LIMIT": "8GiB", "POLLAMA_LOG": str(tmp_path / "s.log")}
    settings = Settings.from_env(env)
    assert settings.memory_limit == 8 * 1024**3
    assert settings.server_log == tmp_path / "s.log"
    assert Settings.from_env({"POLLAMA_MEMORY_LIMIT": "12345"}).memory_limit == 12345
    assert Settings.from_env({"POLLAMA_MEMORY_LIMIT": "lots"}).memory_limit is None
    values = {name: value for name, _, value in describe(settings)}
    assert values["POLLAMA_MEMORY_LIMIT"] == str(8 * 1024**3)
    assert values["POLLAMA_LOG"] == str(tmp_path / "s.log")
