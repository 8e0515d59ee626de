"""`pollama`: Ollama's command line verbs."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.text import Text

from pollama import __version__
from pollama.cli import create_cmd, list_cmd, ps_cmd, pull_cmd, push_cmd, run_cmd, show_cmd
from pollama.cli.client import Client
from pollama.cli.console import console, err_console
from pollama.cli.keys_cmd import keys as keys_group
from pollama.errors import PollamaError

F = TypeVar("F", bound=Callable[..., Any])


def _client() -> Client:
    client = Client()
    client.ensure_server(notify=lambda text: err_console.print(Text(text, style="dim")))
    return client


class ServeCommand(click.Command):
    """`serve --help` lists the environment variables it reads, with their current values."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from pollama.settings import Settings
        from pollama.settings_table import describe

        rows = [
            (name, f"{text} (now: {value})") for name, text, value in describe(Settings.from_env())
        ]
        with formatter.section("Environment Variables"):
            formatter.write_dl(rows)


class RunCommand(click.Command):
    """`run`: `--think` takes a value only as `--think=LEVEL` (bare means true), like Go's pflag,
    so `run MODEL --think "a prompt"` keeps the prompt; `--help` lists the run variables."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rewritten: list[str] = []
        for index, arg in enumerate(args):
            if arg == "--":
                rewritten.extend(args[index:])
                break
            if arg.startswith("--think="):
                rewritten.extend(["--think-level", arg.partition("=")[2]])
            else:
                rewritten.append(arg)
        return super().parse_args(ctx, rewritten)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from pollama.settings import Settings
        from pollama.settings_table import RUN_ENV_VARS, describe

        rows = [(name, text) for name, text, _ in describe(Settings.from_env(), RUN_ENV_VARS)]
        with formatter.section("Environment Variables"):
            formatter.write_dl(rows)


class RootGroup(click.Group):
    """`pollama` alone prints the help and exits 0, as Ollama's root command does."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args:
            click.echo(ctx.get_help(), color=ctx.color)
            ctx.exit(0)
        return super().parse_args(ctx, args)


@click.group(cls=RootGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-v", "--version", message="pollama version is %(version)s")
def cli() -> None:
    """Large language models, served locally: Ollama's API, rebuilt in Python."""


@cli.command(cls=ServeCommand)
@click.option("--stop", is_flag=True, help="Stop the server running on OLLAMA_HOST (its pid file)")
def serve(stop: bool) -> None:
    """Start the pollama server."""
    from pollama.settings import Settings

    if stop:
        from pollama.server.pidfile import stop_server

        pid = stop_server(Settings.from_env())
        console.print(f"stopped pollama server (pid {pid})", markup=False)
        return
    from pollama.server.app import serve as run_server

    run_server(Settings.from_env())


@cli.command()
@click.argument("model")
@click.option("-f", "--file", "file", default="Modelfile", help="Name of the Modelfile")
@click.option("-q", "--quantize", default="", help="Quantize model to this level (e.g. q4_K_M)")
def create(model: str, file: str, quantize: str) -> None:
    """Create a model from a Modelfile."""
    create_cmd.create(_client(), model, file, quantize=quantize)


@cli.command()
@click.argument("model")
@click.option("--insecure", is_flag=True, help="Use an insecure registry")
def pull(model: str, insecure: bool) -> None:
    """Pull a model from a registry."""
    pull_cmd.pull(_client(), model, insecure=insecure)


@cli.command()
@click.argument("model")
@click.option("--insecure", is_flag=True, help="Use an insecure registry")
def push(model: str, insecure: bool) -> None:
    """Push a model to a registry."""
    push_cmd.push(_client(), model, insecure=insecure)


@cli.command("list")
@click.argument("prefix", required=False, default="")
def list_models(prefix: str) -> None:
    """List models."""
    list_cmd.render(_client().request("GET", "/api/tags").json()["models"], prefix)


cli.add_command(list_models, "ls")
cli.add_command(keys_group)


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


@cli.command(cls=RunCommand)
@click.argument("model")
@click.argument("prompt", nargs=-1)
@click.option("--keepalive", default=None, help="Duration to keep a model loaded (e.g. 5m)")
@click.option("--verbose", is_flag=True, help="Show timings for response")
@click.option("--insecure", is_flag=True, help="Use an insecure registry")
@click.option("--nowordwrap", is_flag=True, help="Don't wrap words to the next line automatically")
@click.option("--format", "format_", default="", help="Response format (e.g. json)")
@click.option(
    "--think",
    is_flag=True,
    help="Enable thinking mode: --think or --think=true|false|high|medium|low|max",
)
@click.option("--think-level", default=None, hidden=True)
@click.option("--hidethinking", is_flag=True, help="Hide thinking output (if provided)")
def run(
    model: str,
    prompt: tuple[str, ...],
    keepalive: str | None,
    verbose: bool,
    insecure: bool,
    nowordwrap: bool,
    format_: str,
    think: bool,
    think_level: str | None,
    hidethinking: bool,
) -> None:
    """Run a model."""
    flags = run_cmd.RunFlags(
        keepalive=keepalive,
        verbose=verbose,
        format=format_,
        nowordwrap=nowordwrap,
        think=think_level if think_level is not None else ("true" if think else None),
        hidethinking=hidethinking,
        insecure=insecure,
    )
    run_cmd.run(_client(), model, prompt, flags)


@cli.command()
@click.argument("prefix", required=False, default="")
def ps(prefix: str) -> None:
    """List running models."""
    ps_cmd.ps(_client(), prefix)


@cli.command()
@click.argument("model")
def stop(model: str) -> None:
    """Stop a running model."""
    ps_cmd.stop(_client(), model)


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
        ps_cmd.unload_before_delete(client, model, err_console)
        client.request("DELETE", "/api/delete", {"model": model})
        console.print(f"deleted '{model}'", markup=False)


@cli.command("help")
@click.argument("command", nargs=-1)
@click.pass_context
def help_command(ctx: click.Context, command: tuple[str, ...]) -> None:
    """Help about any command."""
    root = ctx.find_root()
    target: click.Command = root.command
    target_ctx = root
    for name in command:
        found = target.get_command(target_ctx, name) if isinstance(target, click.Group) else None
        if found is None:
            # cobra's wording, then the top-level help
            click.echo(f"Unknown help topic [{' '.join(f'`{n}`' for n in command)}]")
            click.echo(root.get_help())
            return
        target, target_ctx = found, click.Context(found, info_name=name, parent=target_ctx)
    click.echo(target_ctx.get_help())


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
