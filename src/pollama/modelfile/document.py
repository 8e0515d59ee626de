"""A parsed Modelfile: its commands in order, printable back as Modelfile text."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pollama.modelfile.commands import Command
from pollama.modelfile.plan import CreatePlan, create_plan


@dataclass
class Modelfile:
    commands: list[Command] = field(default_factory=list)

    def __str__(self) -> str:
        return "".join(f"{command}\n" for command in self.commands)

    def to_create_plan(self, base_dir: Path | str) -> CreatePlan:
        """Resolve paths (absolute, `~`, else relative to `base_dir`) and type parameters."""
        return create_plan(self.commands, base_dir)
