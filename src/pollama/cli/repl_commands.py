"""The REPL's slash commands with Ollama's confirmations and errors
(cmd/interactive.go, generateInteractive).

Each handler gets the session and the line split on whitespace (`args[0]` is the command).
Confirmations go to stdout, help screens to stderr, as Ollama does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Console

from pollama import modelfile
from pollama.cli import list_cmd, repl_help, show_cmd
from pollama.cli.api_client import ApiClient
from pollama.cli.conversation import load_model
from pollama.cli.line_reader import LineReader
from pollama.cli.run_options import RunOptions, infer_think
from pollama.errors import PollamaError
from pollama.go.fmt import format_v as go_value
from pollama.go.strconv import quote as go_quote
from pollama.names import Name
from pollama.options import DeprecatedParameter, ParameterError, parse_parameter

INVALID_MODEL_NAME = "invalid model name"


@dataclass
class Session:
    opts: RunOptions
    client: ApiClient
    reader: LineReader
    out: Console
    err: Console

    def say(self, text: str) -> None:
        self.out.print(text, markup=False, highlight=False, emoji=False)

    def help(self, text: str) -> None:
        self.err.print(text, markup=False, highlight=False, emoji=False)

    def show_model(self, model: str) -> dict[str, Any]:
        return dict(self.client.request("POST", "/api/show", {"model": model}).json())


def modelfile_parameters(text: str) -> dict[str, Any]:
    """The PARAMETERs of `/api/show`'s Modelfile, typed as `create` types them."""
    try:
        commands = modelfile.parse(text).commands
        only_parameters = modelfile.Modelfile([c for c in commands if c.instruction == "parameter"])
        return only_parameters.to_create_plan(".").parameters
    except PollamaError:
        return {}


def apply_model_info(opts: RunOptions, info: dict[str, Any]) -> None:
    """Facts from `/api/show` the session depends on: thinking, vision, the parent model, and
    the model's own SYSTEM, PARAMETERs and MESSAGEs (for `/save`)."""
    capabilities = list(info.get("capabilities") or [])
    opts.think = infer_think(capabilities, opts)
    opts.multimodal = "vision" in capabilities or bool(info.get("projector_info"))
    opts.parent_model = str((info.get("details") or {}).get("parent_model") or "")
    opts.model_system = str(info.get("system") or "")
    opts.model_parameters = modelfile_parameters(str(info.get("modelfile") or ""))
    opts.loaded_messages = [dict(m) for m in info.get("messages") or []]


def set_system(session: Session, text: str) -> None:
    """The new system message replaces a trailing one in the history, else is appended."""
    opts = session.opts
    opts.system = text
    message = {"role": "system", "content": text}
    if opts.messages and opts.messages[-1].get("role") == "system":
        opts.messages[-1] = message
    else:
        opts.messages.append(message)
    session.say("Set system message.")


def warn_if_cannot_think(session: Session) -> None:
    try:
        info = session.show_model(session.opts.model)
    except PollamaError:
        return
    if "thinking" not in (info.get("capabilities") or []):
        session.err.print(
            f"warning: model {go_quote(session.opts.model)} does not support thinking output",
            markup=False,
            highlight=False,
            emoji=False,
        )


def set_parameter(session: Session, args: list[str]) -> None:
    if len(args) < 4:
        session.help(repl_help.USAGE_PARAMETERS)
        return
    name, values = args[2], args[3:]
    try:
        value = parse_parameter(name, values)
    except ParameterError as exc:
        session.say(f"Couldn't set parameter: {go_quote(exc.message)}")
        return
    except DeprecatedParameter as warning:
        session.say(f"Couldn't set parameter: {go_quote(str(warning))}")
        return
    session.say(f"Set parameter '{name}' to '{', '.join(values)}'")
    session.opts.options[name] = value


def command_set(session: Session, args: list[str]) -> None:
    """Everything but `/set system` (which may open a multi-line block; the REPL handles it)."""
    opts = session.opts
    if len(args) < 2:
        session.help(repl_help.USAGE_SET)
        return
    setting = args[1]
    if setting in ("history", "nohistory"):
        session.reader.set_history(setting == "history")
    elif setting in ("wordwrap", "nowordwrap"):
        opts.wordwrap = setting == "wordwrap"
        session.say(f"Set '{setting}' mode.")
    elif setting in ("verbose", "quiet"):
        opts.verbose = setting == "verbose"
        session.say(f"Set '{setting}' mode.")
    elif setting == "think":
        level = args[2] if len(args) > 2 else ""
        opts.think = level or True
        opts.think_explicit = True
        warn_if_cannot_think(session)
        session.say(f"Set 'think' mode to '{level}'." if level else "Set 'think' mode.")
    elif setting == "nothink":
        opts.think = False
        opts.think_explicit = True
        warn_if_cannot_think(session)
        session.say("Set 'nothink' mode.")
    elif setting == "format":
        if len(args) < 3 or args[2] != "json":
            session.say("Invalid or missing format. For 'json' mode use '/set format json'")
        else:
            opts.format = "json"
            session.say("Set format to 'json' mode.")
    elif setting == "noformat":
        opts.format = ""
        session.say("Disabled format.")
    elif setting == "parameter":
        set_parameter(session, args)
    else:
        session.say(f"Unknown command '/set {setting}'. Type /? for help")


def _show_parameters(session: Session, info: dict[str, Any]) -> None:
    session.say("Model defined parameters:")
    parameters = str(info.get("parameters") or "")
    if not parameters:
        session.say("  No additional parameters were specified for this model.")
    for line in parameters.split("\n") if parameters else []:
        session.say(f"  {line}")
    session.say("")
    if session.opts.options:
        session.say("User defined parameters:")
        for key, value in session.opts.options.items():
            session.say(f"  {key:<30} {go_value(value)}")
        session.say("")


def command_show(session: Session, args: list[str]) -> None:
    opts = session.opts
    if len(args) < 2:
        session.help(repl_help.USAGE_SHOW)
        return
    body: dict[str, Any] = {"model": opts.model}
    if opts.system:
        body["system"] = opts.system
    if opts.options:
        body["options"] = opts.options
    try:
        info = dict(session.client.request("POST", "/api/show", body).json())
    except PollamaError:
        session.say("error: couldn't get model")
        raise
    what = args[1]
    if what == "info":
        show_cmd.render(info, out=session.err)  # Ollama prints it to stderr
    elif what == "license":
        session.say(info.get("license") or "No license was specified for this model.")
    elif what == "modelfile":
        session.say(str(info.get("modelfile") or ""))
    elif what == "parameters":
        _show_parameters(session, info)
    elif what == "system":
        system = opts.system or str(info.get("system") or "")
        session.say(system + "\n" if system else "No system message was specified for this model.")
    elif what == "template":
        session.say(info.get("template") or "No prompt template was specified for this model.")
    else:
        session.say(f"Unknown command '/show {what}'. Type /? for help")


def command_help(session: Session, args: list[str]) -> None:
    if len(args) < 2:
        session.help(repl_help.usage(session.opts.multimodal))
    elif args[1] in ("set", "/set"):
        session.help(repl_help.USAGE_SET)
    elif args[1] in ("show", "/show"):
        session.help(repl_help.USAGE_SHOW)
    elif args[1] in ("shortcut", "shortcuts"):
        session.help(repl_help.USAGE_SHORTCUTS)


def command_load(session: Session, args: list[str]) -> None:
    if len(args) != 2:
        session.say("Usage:\n  /load <modelname>")
        return
    original = session.opts.copy()
    opts = session.opts
    opts.model = args[1]
    opts.messages = []
    session.say(f"Loading model '{opts.model}'")
    try:
        apply_model_info(opts, session.show_model(opts.model))
        load_model(session.client, opts, session.err)
    except PollamaError as exc:
        if "not found" in exc.message:
            session.say(f"Couldn't find model '{opts.model}'")
            session.opts = original
            return
        if "does not support thinking" in exc.message:
            session.say(f"error: {exc.message}")
            return
        raise


def save_source(session: Session) -> str:
    """What `/save` builds on: the parent model when it is a local model, else the current one.
    A model made from a GGUF file has the file's name as its parent, which names no model."""
    opts = session.opts
    parent = opts.parent_model
    if not parent or parent == opts.model or not Name.parse(parent).is_valid:
        return opts.model
    try:
        session.show_model(parent)
    except PollamaError:
        return opts.model
    return parent


def create_request(name: str, opts: RunOptions, source: str | None = None) -> dict[str, Any]:
    """`/save`: the model's own SYSTEM, PARAMETERs and MESSAGEs with this session's changes
    (its `/set system`, `/set parameter` and conversation) on top."""
    request: dict[str, Any] = {"model": name, "from": source or opts.model}
    system = opts.system or opts.model_system
    if system:
        request["system"] = system
    parameters = {**opts.model_parameters, **opts.options}
    if parameters:
        request["parameters"] = parameters
    messages = [*opts.loaded_messages, *opts.messages]
    if messages:
        request["messages"] = messages
    return request


def command_save(session: Session, args: list[str]) -> None:
    """A failed save is reported and the session goes on."""
    if len(args) != 2:
        session.say("Usage:\n  /save <modelname>")
        return
    try:
        request = create_request(args[1], session.opts, save_source(session))
        for _ in session.client.stream("/api/create", request):
            pass
    except PollamaError as exc:
        if INVALID_MODEL_NAME in exc.message:
            session.say(f"error: The model name '{args[1]}' is invalid")
        else:
            session.say(f"error: {exc.message}")
        return
    session.say(f"Created new model '{args[1]}'")


def command_clear(session: Session, args: list[str]) -> None:
    opts = session.opts
    opts.messages = []
    if opts.system:
        opts.messages.append({"role": "system", "content": opts.system})
    session.say("Cleared session context")


def command_list(session: Session, args: list[str]) -> None:
    models = session.client.request("GET", "/api/tags").json().get("models") or []
    list_cmd.render(models, args[1] if len(args) > 1 else "")
