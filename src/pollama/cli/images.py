"""Image paths inside a prompt for vision models: found, read, checked, and cut from the text."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from rich.console import Console

from pollama.errors import BadRequest

MAX_IMAGE_BYTES = 100 * 1024 * 1024

# An optional drive letter, then `./`, `/` or `\`, then anything (escaped spaces included) up to
# an image extension. It over-matches on purpose; paths that do not exist are left in the text.
_IMAGE_PATH = re.compile(r"(?:[a-zA-Z]:)?(?:\./|/|\\)[\S\\ ]+?\.(?i:jpg|jpeg|png|webp)\b")

_UNESCAPES = [
    ("'\\''", "'"),
    ("\\\\", "\\"),
    ("\\ ", " "),
    ("\\(", "("),
    ("\\)", ")"),
    ("\\[", "["),
    ("\\]", "]"),
    ("\\{", "{"),
    ("\\}", "}"),
    ("\\$", "$"),
    ("\\&", "&"),
    ("\\;", ";"),
    ("\\'", "'"),
    ("\\*", "*"),
    ("\\?", "?"),
    ("\\~", "~"),
]


def find_image_paths(text: str) -> list[str]:
    return _IMAGE_PATH.findall(text)


def unescape_path(path: str) -> str:
    """Undo the shell escapes a terminal adds when a file is dragged in."""
    out = []
    index = 0
    while index < len(path):
        for escaped, plain in _UNESCAPES:
            if path.startswith(escaped, index):
                out.append(plain)
                index += len(escaped)
                break
        else:
            out.append(path[index])
            index += 1
    return "".join(out)


def sniff_image_type(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:14] == b"WEBPVP":
        return "image/webp"
    return None


def read_image(path: Path) -> bytes:
    data = path.read_bytes()
    kind = sniff_image_type(data[:512])
    if kind is None:
        raise BadRequest("invalid image type")
    if len(data) > MAX_IMAGE_BYTES:
        raise BadRequest("file size exceeds maximum limit (100MB)")
    return data


def extract_images(text: str, err: Console) -> tuple[str, list[str]]:
    """The prompt without its image paths, and the images as base64 (`Added image '<path>'`)."""
    images: list[str] = []
    for found in find_image_paths(text):
        path = unescape_path(found)
        try:
            data = read_image(Path(path))
        except FileNotFoundError:
            continue
        except (OSError, BadRequest) as exc:
            err.print(f"Couldn't process image: {exc}", markup=False, emoji=False)
            raise BadRequest(str(exc)) from None
        err.print(f"Added image '{path}'", markup=False, emoji=False)
        for variant in (f"'{path}'", f"'{found}'", found):
            text = text.replace(variant, "")
        images.append(base64.b64encode(data).decode("ascii"))
    return text.strip(), images
