"""Commands → create plan: what `/api/create` is asked to build from a Modelfile."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pollama.modelfile.commands import INVALID_REQUIRES, Command, ModelfileError
from pollama.modelfile.paths import expand_path, local_files, reject_same_path
from pollama.options import DeprecatedParameter, parse_parameter


@dataclass
class CreatePlan:
    """A Modelfile resolved against its directory: what `/api/create` is asked to build."""

    from_model: str | None = None  # a FROM that is not an existing path: a model name
    model_files: list[Path] = field(default_factory=list)
    adapter_files: list[Path] = field(default_factory=list)
    draft_files: list[Path] = field(default_factory=list)
    template: str | None = None
    system: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    licenses: list[str] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)
    requires: str | None = None
    renderer: str | None = None
    parser: str | None = None
    warnings: list[str] = field(default_factory=list)


def create_plan(commands: Iterable[Command], base_dir: Path | str) -> CreatePlan:
    """Resolve paths (absolute, `~`, else relative to `base_dir`) and type parameters."""
    plan = CreatePlan()
    local_paths: dict[str, list[Path]] = {"from": [], "draft": []}
    for command in commands:
        _apply(plan, command, Path(base_dir), local_paths)
    return plan


def _apply(
    plan: CreatePlan, command: Command, base_dir: Path, local_paths: dict[str, list[Path]]
) -> None:
    kind, args = command.instruction, command.args
    if kind in ("from", "adapter", "draft"):
        path = expand_path(args, base_dir)
        files = local_files(path, adapter=kind == "adapter")
        if files is None and kind == "from":
            plan.from_model = args
        elif files is None:
            raise ModelfileError(f"stat {path}: no such file or directory")
        elif kind == "adapter":
            plan.adapter_files = files  # as Ollama: the last ADAPTER wins
        else:
            other = "draft" if kind == "from" else "from"
            reject_same_path(path, local_paths[other])
            local_paths[kind].append(path)
            listed = plan.model_files if kind == "from" else plan.draft_files
            listed.extend(f for f in files if f not in listed)
    elif kind in ("template", "system", "renderer", "parser"):
        setattr(plan, kind, args)
    elif kind == "license":
        plan.licenses.append(args)
    elif kind == "message":
        plan.messages.append({"role": command.role, "content": command.content})
    elif kind == "requires":
        version = args if args.startswith("v") else "v" + args
        if not _SEMVER.fullmatch(version):
            raise ModelfileError(INVALID_REQUIRES)
        plan.requires = version[1:]
    else:
        try:
            value = parse_parameter(command.name, [args])
        except DeprecatedParameter as warning:
            plan.warnings.append(str(warning))
            return
        previous = plan.parameters.get(command.name)
        if isinstance(previous, list) and isinstance(value, list):
            value = previous + value  # stop accumulates; other repeats: last wins
        plan.parameters[command.name] = value


_NUM = r"(?:0|[1-9][0-9]*)"
_PRE = r"(?:[0-9A-Za-z-]*[A-Za-z-][0-9A-Za-z-]*|0|[1-9][0-9]*)"
_BUILD = r"[0-9A-Za-z-]+"
# golang.org/x/mod/semver: vMAJOR[.MINOR[.PATCH[-pre][+build]]]
_SEMVER = re.compile(
    rf"v{_NUM}(?:\.{_NUM}(?:\.{_NUM}(?:-{_PRE}(?:\.{_PRE})*)?(?:\+{_BUILD}(?:\.{_BUILD})*)?)?)?",
    re.ASCII,
)
