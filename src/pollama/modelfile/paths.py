"""The files a FROM, ADAPTER or DRAFT path names: `~` expansion, what a directory holds."""

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
    return ModelfileError(
        f"{path}: {kind} models cannot be converted by pollama; use safetensors or a GGUF file"
    )


def local_files(path: Path, *, adapter: bool = False) -> list[Path] | None:
    """The files a FROM/ADAPTER path names (a GGUF, or a Hugging Face directory's weights,
    configs and tokenizer); None when nothing exists there."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
        raise ModelfileError(f"stat {path}: {reason}") from None
    if not stat.S_ISDIR(mode):
        if path.suffix.lower() == ".safetensors":
            raise ModelfileError(
                f"{path}: a safetensors model is a directory: name the directory that holds "
                "config.json (or adapter_config.json) and the .safetensors files"
            )
        if path.suffix.lower() in (".pth", ".pt"):
            raise _unconvertible(path, "pytorch")
        return [path]
    return _checked_inside(path, _files_in(path, adapter=adapter))


# Ollama's parser/parser.go, filesForModel: the weights, tried in this order.
_SAFETENSORS_PATTERNS = (
    ("model*.safetensors", "*/model*.safetensors"),
    ("consolidated*.safetensors",),
)
_ADAPTER_PATTERNS = (("adapter_model*.safetensors",),)
_PYTORCH_PATTERNS = ("pytorch_model*.bin", "consolidated*.pth")
# What a conversion reads besides the weights (Go's `**` is one directory level).
_CONFIG_PATTERNS = ("*.json", "*/*.json", "chat_template.jinja")
_TOKENIZER_PATTERNS = ("tokenizer.model", "*/tokenizer.model")


def _files_in(directory: Path, *, adapter: bool) -> list[Path]:
    def matches(pattern: str) -> list[Path]:
        return sorted(p for p in directory.glob(pattern) if p.is_file())

    weight_patterns = (
        (*_ADAPTER_PATTERNS, *_SAFETENSORS_PATTERNS) if adapter else _SAFETENSORS_PATTERNS
    )
    for patterns in weight_patterns:
        weights = [file for pattern in patterns for file in matches(pattern)]
        if weights:
            configs = [file for pattern in _CONFIG_PATTERNS for file in matches(pattern)]
            tokenizer = next((m for p in _TOKENIZER_PATTERNS if (m := matches(p))), [])
            return _unique([*weights, *configs, *tokenizer])
    if any(matches(pattern) for pattern in _PYTORCH_PATTERNS):
        raise _unconvertible(directory, "pytorch")
    files = matches("*.gguf")
    if not files:
        bins = matches("*.bin")
        files = bins if bins and all(_is_gguf(b) for b in bins) else []
    if not files:
        raise ModelfileError(NO_MODEL_FILES)
    return files


def _unique(files: list[Path]) -> list[Path]:
    return list(dict.fromkeys(files))


def _checked_inside(directory: Path, files: list[Path]) -> list[Path]:
    """Each file resolved; a symlink that leads out of the directory is refused."""
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
