"""`pollama`: Ollama's command line verbs."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from pollama import __version__
from pollama.cli import create_cmd, list_cmd, show_cmd
from pollama.cli.client import Client
from pollama.cli.console import console, err_console
from pollama.errors import PollamaError

F = TypeVar("F", bound=Callable[..., Any])


def _client() -> Client:
    client = Client()
    client.ensure_server(notify=lambda text: err_console.print(f"[dim]{text}[/dim]"))
    return client


class ServeCommand(click.Command):
    """`serve --help` lists the environment variables it reads, with their current values."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from pollama.settings import Settings, describe

        rows = [
            (name, f"{text} (now: {value})") for name, text, value in describe(Settings.from_env())
        ]
        with formatter.section("Environment Variables"):
            formatter.write_dl(rows)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-v", "--version", message="pollama version is %(version)s")
def cli() -> None:
    """Large language models, served locally: Ollama's API, rebuilt in Python."""


@cli.command(cls=ServeCommand)
def serve() -> None:
    """Start the pollama server."""
    from pollama.server import serve as run_server
    from pollama.settings import Settings

    run_server(Settings.from_env())


@cli.command()
@click.argument("model")
@click.option("-f", "--file", "file", default="Modelfile", help="Name of the Modelfile")
def create(model: str, file: str) -> None:
    """Create a model from a Modelfile."""
    create_cmd.create(_client(), model, file)


@cli.command("list")
@click.argument("prefix", required=False, default="")
def list_models(prefix: str) -> None:
    """List models."""
    list_cmd.render(_client().request("GET", "/api/tags").json()["models"], prefix)


cli.add_command(list_models, "ls")


@cli.command()
@click.argument("model")
@click.option("--license", "license_", is_flag=True, help="Show license of a model")
@click.option("--modelfile", is_flag=True, help="Show Modelfile of a model")
@click.option("--parameters", is_flag=True, help="Show parameters of a model")
@click.option("--system", is_flag=True, help="Show system message of a model")
@click.option("--template", is_flag=True, help="Show template of a model")
@click.option("-v", "--verbose", is_flag=True, help="Show detailed model information")
def show(
    model: str,
    license_: bool,
    modelfile: bool,
    parameters: bool,
    system: bool,
    template: bool,
    verbose: bool,
) -> None:
    """Show information for a model."""
    flags = {
        "license": license_,
        "modelfile": modelfile,
        "parameters": parameters,
        "system": system,
        "template": template,
    }
    chosen = [name for name, on in flags.items() if on]
    if len(chosen) > 1:
        raise PollamaError(
            "only one of '--license', '--modelfile', '--parameters', '--system', "
            "or '--template' can be specified"
        )
    response = _client().request("POST", "/api/show", {"model": model, "verbose": verbose}).json()
    if chosen:
        text = str(response.get(chosen[0], ""))
        console.print(text, end="" if chosen[0] in ("system", "template") else "\n", markup=False)
        return
    show_cmd.render(response, verbose=verbose)


@cli.command()
@click.argument("source")
@click.argument("destination")
def cp(source: str, destination: str) -> None:
    """Copy a model."""
    _client().request("POST", "/api/copy", {"source": source, "destination": destination})
    console.print(f"copied '{source}' to '{destination}'", markup=False)


@cli.command()
@click.argument("models", nargs=-1, required=True)
def rm(models: tuple[str, ...]) -> None:
    """Remove one or more models."""
    client = _client()
    for model in models:
        client.request("DELETE", "/api/delete", {"model": model})
        console.print(f"deleted '{model}'", markup=False)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except PollamaError as exc:
        err_console.print(f"Error: {exc.message}", markup=False)
        sys.exit(1)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
