"""`pollama push MODEL`: upload progress bars, then where the model can be found
(Ollama's cmd/cmd.go, PushHandler)."""

from __future__ import annotations

from pollama.cli.api_client import ApiClient
from pollama.cli.console import console
from pollama.cli.pull_cmd import render_transfer
from pollama.names import DEFAULT_HOST, Name


def push(client: ApiClient, model: str, *, insecure: bool = False) -> None:
    render_transfer(client.stream("/api/push", {"model": model, "insecure": insecure}))
    name = Name.parse(model)
    if name.host.lower() == DEFAULT_HOST:
        console.print(
            f"\nYou can find your model at:\n\n\thttps://ollama.com/{name.namespace}/{name.model}",
            markup=False,
        )
