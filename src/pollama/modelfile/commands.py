"""A Modelfile's commands: instruction names, Ollama's error texts, a command's text form."""

from __future__ import annotations

from dataclasses import dataclass

from pollama.errors import BadRequest


class ModelfileError(BadRequest):
    """A Modelfile that does not parse, or that names something that cannot be used."""


# Instruction names (lower-case) other than PARAMETER, whose commands are named by parameter.
INSTRUCTIONS = frozenset(
    {"from", "license", "template", "system", "adapter", "draft", "renderer", "parser"}
    | {"message", "requires"}
)
MESSAGE_ROLES = ("system", "user", "assistant")

INVALID_COMMAND = (
    'command must be one of "from", "license", "template", "system", "adapter", "draft", '
    '"renderer", "parser", "parameter", "message", or "requires"'
)
INVALID_ROLE = 'message role must be one of "system", "user", or "assistant"'
NO_FROM = "no FROM line"
UNEXPECTED_EOF = "unexpected EOF"
NO_MODEL_FILES = "no Modelfile or safetensors files found"
INVALID_REQUIRES = "requires must be a valid semver (e.g. 0.14.0)"


@dataclass(frozen=True)
class Command:
    """One instruction. PARAMETER lines are named by the parameter (`temperature`, args `0.7`);
    MESSAGE lines keep Ollama's `role: content` args. `instruction` tells them apart."""

    name: str
    args: str
    line: int = 0
    instruction: str = ""

    def __post_init__(self) -> None:
        if not self.instruction:
            kind = self.name if self.name in INSTRUCTIONS else "parameter"
            object.__setattr__(self, "instruction", kind)

    @property
    def role(self) -> str:
        return self.args.partition(": ")[0]

    @property
    def content(self) -> str:
        return self.args.partition(": ")[2]

    def __str__(self) -> str:
        if self.instruction == "from":
            return f"FROM {self.args}"
        if self.instruction == "message":
            return f"MESSAGE {self.role} {quote_value(self.content)}"
        if self.instruction == "parameter":
            return f"PARAMETER {self.name} {quote_value(self.args)}"
        return f"{self.instruction.upper()} {quote_value(self.args)}"


def quote_value(value: str) -> str:
    """Ollama's quoting: values with a newline or an outer space get quotes, others none.

    pollama also quotes the few values Ollama writes bare but cannot read back: one holding a
    carriage return, starting with a quote, or with an outer tab."""
    outer = value[:1] + value[-1:]
    if "\n" in value or "\r" in value or " " in outer or "\t" in outer or value[:1] == '"':
        return f'"""{value}"""' if '"' in value else f'"{value}"'
    return value
