"""Model names: `[scheme://][host/][namespace/]model[:tag]`, as Ollama's `types/model` parses them.

A `Name` always has all four parts once parsed (missing ones take the defaults
`registry.ollama.ai`, `library`, `latest`); whether it is usable is `is_valid`. Names keep the
case they were typed in; comparisons that must ignore case go through `filepath_key()`, and
`resolve_case` maps a name onto the spelling already on disk.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from pollama.errors import BadRequest

DEFAULT_SCHEME = "https"
DEFAULT_HOST = "registry.ollama.ai"
DEFAULT_NAMESPACE = "library"
DEFAULT_TAG = "latest"
SCHEMES = ("https", "http")

INVALID_NAME_MESSAGE = "invalid model name"

# A separator with nothing on one side "promises" a part that is not there; Ollama fills it with
# a marker that can never validate, so `model:` or `/model` are invalid instead of defaulted.
MISSING_PART = "!MISSING!"

_HOST_MAX = 350
_PART_MAX = 80
_FIRST_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_REST_CHARS = _FIRST_CHARS | frozenset("-.")


def _is_valid_part(text: str, *, max_len: int, dot: bool = True, colon: bool = False) -> bool:
    """Length 1..max_len, first char `[A-Za-z0-9_]`, then `[A-Za-z0-9_.-]` (+`:` where allowed)."""
    if not 1 <= len(text) <= max_len or text[0] not in _FIRST_CHARS:
        return False
    for char in text[1:]:
        if char == "." and not dot:
            return False
        if char == ":" and colon:
            continue
        if char not in _REST_CHARS:
            return False
    return True


def _cut_last(text: str, separator: str) -> tuple[str, str] | None:
    """Split at the last `separator`; empty sides become `MISSING_PART`; None if absent."""
    before, found, after = text.rpartition(separator)
    if not found:
        return None
    return before or MISSING_PART, after or MISSING_PART


@dataclass(frozen=True)
class Name:
    """A model name; build with `Name.parse` (defaults filled in) and check `is_valid`."""

    scheme: str = DEFAULT_SCHEME
    host: str = DEFAULT_HOST
    namespace: str = DEFAULT_NAMESPACE
    model: str = ""
    tag: str = DEFAULT_TAG

    @classmethod
    def parse(cls, text: str) -> Name:
        """Parse as Ollama does; never raises. Missing parts take the defaults."""
        return cls.parse_bare(text).with_defaults()

    @classmethod
    def parse_bare(cls, text: str) -> Name:
        """Parse without filling defaults: absent host/namespace/tag stay empty strings."""
        rest = text
        tag = namespace = host = ""
        scheme = DEFAULT_SCHEME
        # ':' cannot appear in a tag or model, so it only marks a tag when after the last '/'
        # (a ':' before it belongs to a host's port).
        if rest.rfind(":") > rest.rfind("/"):
            cut = _cut_last(rest, ":")
            assert cut is not None
            rest, tag = cut
        cut = _cut_last(rest, "/")
        if cut is None:
            return cls(scheme, host, namespace, rest, tag)
        rest, model = cut
        cut = _cut_last(rest, "/")
        if cut is None:
            return cls(scheme, host, rest, model, tag)
        rest, namespace = cut
        given_scheme, found, after = rest.partition("://")
        if found:
            scheme, host = given_scheme, after
        else:
            host = rest
        return cls(scheme, host, namespace, model, tag)

    @classmethod
    def from_parts(cls, host: str, namespace: str, model: str, tag: str) -> Name:
        """The name stored at `manifests/<host>/<namespace>/<model>/<tag>` (check `is_valid`)."""
        return cls(DEFAULT_SCHEME, host, namespace, model, tag)

    def with_defaults(self) -> Name:
        """Fill empty host, namespace and tag with Ollama's defaults."""
        return dataclasses.replace(
            self,
            host=self.host or DEFAULT_HOST,
            namespace=self.namespace or DEFAULT_NAMESPACE,
            tag=self.tag or DEFAULT_TAG,
        )

    @property
    def is_valid(self) -> bool:
        """Every part present and well formed (Ollama's `IsFullyQualified`), scheme http(s)."""
        return (
            self.scheme in SCHEMES
            and _is_valid_part(self.host, max_len=_HOST_MAX, colon=True)
            and _is_valid_part(self.namespace, max_len=_PART_MAX, dot=False)
            and _is_valid_part(self.model, max_len=_PART_MAX)
            and _is_valid_part(self.tag, max_len=_PART_MAX)
        )

    def validate(self) -> Name:
        """Return self, or raise `BadRequest("invalid model name")`."""
        if not self.is_valid:
            raise BadRequest(INVALID_NAME_MESSAGE)
        return self

    @property
    def display_shortest(self) -> str:
        """`model:tag`, `namespace/model:tag`, or `host/namespace/model:tag` off the defaults."""
        if self.host.lower() != DEFAULT_HOST:
            return self.display_long
        if self.namespace.lower() != DEFAULT_NAMESPACE:
            return f"{self.namespace}/{self.model}:{self.tag}"
        return f"{self.model}:{self.tag}"

    @property
    def display_long(self) -> str:
        """`host/namespace/model:tag` (no scheme), Ollama's `Name.String()`."""
        return f"{self.host}/{self.namespace}/{self.model}:{self.tag}"

    @property
    def repository(self) -> str:
        """`namespace/model`, the repository path in registry URLs."""
        return f"{self.namespace}/{self.model}"

    @property
    def base_url(self) -> str:
        """`scheme://host` of the registry this name lives on."""
        return f"{self.scheme}://{self.host}"

    def manifest_parts(self) -> tuple[str, str, str, str]:
        """The path components of the manifest under `manifests/`: host, namespace, model, tag."""
        return (self.host, self.namespace, self.model, self.tag)

    def filepath_key(self) -> str:
        """A key equal for names that differ only in case (the scheme is not part of it)."""
        return "/".join(self.manifest_parts()).lower()

    def equals_fold(self, other: Name) -> bool:
        """Same model ignoring case (Ollama's `EqualFold`)."""
        return self.filepath_key() == other.filepath_key()

    def __str__(self) -> str:
        return self.display_long


def _matching_entry(directory: Path, part: str, *, want_dir: bool) -> str | None:
    """The entry of `directory` spelled like `part` ignoring case; an exact spelling wins."""
    try:
        entries = sorted(entry.name for entry in directory.iterdir())
    except OSError:
        return None
    lowered = part.lower()
    candidates = [entry for entry in entries if entry.lower() == lowered]
    candidates.sort(key=lambda entry: entry != part)  # stable: exact first, then sorted order
    for entry in candidates:
        path = directory / entry
        if path.is_dir() if want_dir else path.is_file():
            return entry
    return None


def resolve_case(name: Name, manifests_root: Path) -> Name:
    """Respell each part as the existing manifest path component that matches it ignoring case.

    Walks host -> namespace -> model (directories) -> tag (file) under `manifests_root`; from the
    first part with no match on, the remaining parts are kept as given. So `Llama3.2` finds
    `llama3.2`, and creating `Foo` when `foo` exists writes to `foo`.
    """
    parts = list(name.manifest_parts())
    directory = manifests_root
    for index, part in enumerate(parts):
        match = _matching_entry(directory, part, want_dir=index < 3)
        if match is None:
            break
        parts[index] = match
        directory = directory / match
    host, namespace, model, tag = parts
    return dataclasses.replace(name, host=host, namespace=namespace, model=model, tag=tag)
