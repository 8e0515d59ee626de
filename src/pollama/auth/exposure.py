"""The warning `serve` logs when it listens beyond loopback with no API keys: anyone who can
reach the port may then run, pull and delete models."""

from __future__ import annotations

from pollama.settings import Settings


def exposure_warning(settings: Settings) -> str | None:
    """The warning for these settings, or None when there is nothing to warn about."""
    if settings.host.is_loopback or settings.api_keys_file is not None:
        return None
    return (
        f"listening on {settings.host.bind_host}, beyond this machine, with no API keys: anyone "
        "who can reach it may use every endpoint. To require keys, create one with "
        "`pollama keys create` and start the server with POLLAMA_API_KEYS_FILE set to its file "
        "(~/.ollama/api_keys by default)"
    )
