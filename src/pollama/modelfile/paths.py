"""The files a FROM, ADAPTER or DRAFT path names: `~` expansion, GGUF lookup in a directory."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pollama.modelfile.commands import NO_MODEL_FILES, ModelfileError


def expand_path(raw: str, base_dir: Path | str) -> Path:
    """Absolute stays; `~` / `~user` is a home directory; anything else is under `base_dir`."""
    if raw.startswith(("/", "\\")) or os.path.isabs(raw):
        joined = raw
    elif raw.startswith("~"):
        if raw == "~" or raw.startswith("~/"):
            home, rest = os.path.expanduser("~"), raw[2:]
        else:
            user, _, rest = raw[1:].partition("/")
            home = _user_home(user)
        joined = home + "/" + rest
    else:
        joined = os.path.join(base_dir, raw)
    return Path(os.path.abspath(joined))


def _user_home(user: str) -> str:
    import pwd  # POSIX only, as `~user` is

    try:
        return pwd.getpwnam(user).pw_dir
    except KeyError:
        raise ModelfileError(f"failed to find user '{user}': user: unknown user {user}") from None


def _unconvertible(path: Path, kind: str) -> ModelfileError:
    return ModelfileError(f"{path}: {kind} models cannot be converted by pollama; use a GGUF file")


def local_files(path: Path) -> list[Path] | None:
    """The GGUF file(s) a FROM/ADAPTER path names; None when nothing exists there."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
        raise ModelfileError(f"stat {path}: {reason}") from None
    if not stat.S_ISDIR(mode):
        if path.suffix.lower() == ".safetensors":
            raise _unconvertible(path, "safetensors")
        if path.suffix.lower() in (".pth", ".pt"):
            raise _unconvertible(path, "pytorch")
        return [path]
    return _gguf_files_in(path)


# What Ollama would convert from a directory, which pollama cannot.
_UNCONVERTIBLE_PATTERNS = (
    ("safetensors", ("model*.safetensors", "*/model*.safetensors", "consolidated*.safetensors")),
    ("pytorch", ("pytorch_model*.bin", "consolidated*.pth")),
)


def _gguf_files_in(directory: Path) -> list[Path]:
    """A directory's GGUF files (`*.gguf`, else `*.bin` holding GGUF), symlinks kept inside."""

    def matches(pattern: str) -> list[Path]:
        return sorted(p for p in directory.glob(pattern) if p.is_file())

    files = matches("*.gguf")
    if not files:
        for kind, patterns in _UNCONVERTIBLE_PATTERNS:
            if any(matches(pattern) for pattern in patterns):
                raise _unconvertible(directory, kind)
        bins = matches("*.bin")
        files = bins if bins and all(_is_gguf(b) for b in bins) else []
    if not files:
        raise ModelfileError(NO_MODEL_FILES)
    root = directory.resolve()
    resolved = []
    for file in files:
        target = file.resolve()
        relative = os.path.relpath(target, root)
        if relative == ".." or relative.startswith(("../", "/")):
            hint = ""
            if ".cache" in relative:
                hint = "\n\nUse --local-dir <dir> when downloading model to disable caching"
            raise ModelfileError(f"insecure path: {relative}{hint}")
        resolved.append(target)
    return resolved


def _is_gguf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"GGUF"


def reject_same_path(path: Path, others: list[Path]) -> None:
    """Ollama refuses a DRAFT that is the FROM model itself."""
    for other in others:
        if os.path.samefile(path, other):
            raise ModelfileError(f"DRAFT must not reference the same local path as FROM: {path}")
