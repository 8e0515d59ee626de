"""The Modelfile: Ollama's grammar, its meaning, and its rendering.

`parse(text)` gives a `Modelfile` (an ordered list of `Command`s); `Modelfile.to_create_plan`
turns it into what `/api/create` needs (local files, a base model name, template, parameters...);
`render_modelfile` writes the Modelfile `/api/show` and `ollama show --modelfile` print.
"""

from pollama.modelfile.commands import (
    INSTRUCTIONS,
    INVALID_COMMAND,
    INVALID_REQUIRES,
    INVALID_ROLE,
    MESSAGE_ROLES,
    NO_FROM,
    NO_MODEL_FILES,
    UNEXPECTED_EOF,
    Command,
    ModelfileError,
    quote_value,
)
from pollama.modelfile.document import Modelfile
from pollama.modelfile.parser import parse
from pollama.modelfile.paths import expand_path
from pollama.modelfile.plan import CreatePlan, create_plan
from pollama.modelfile.render import render_modelfile

__all__ = [
    "INSTRUCTIONS",
    "INVALID_COMMAND",
    "INVALID_REQUIRES",
    "INVALID_ROLE",
    "MESSAGE_ROLES",
    "NO_FROM",
    "NO_MODEL_FILES",
    "UNEXPECTED_EOF",
    "Command",
    "CreatePlan",
    "Modelfile",
    "ModelfileError",
    "create_plan",
    "expand_path",
    "parse",
    "quote_value",
    "render_modelfile",
]
