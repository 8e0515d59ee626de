"""Image paths in prompts for vision models."""

from __future__ import annotations

from pathlib import Path

import pytest

from pollama.cli.images import extract_images, find_image_paths, sniff_image_type, unescape_path
from pollama.errors import BadRequest
from tests.cli.fakes import capture_console, text_of


def test_find_and_unescape() -> None:
    text = r"compare /tmp/my\ cat.JPG with ./dog.webp and C:\pics\x.png please"
    assert find_image_paths(text) == [r"/tmp/my\ cat.JPG", "./dog.webp", r"C:\pics\x.png"]
    assert unescape_path(r"/tmp/my\ cat\(1\).jpg") == "/tmp/my cat(1).jpg"


def test_sniff() -> None:
    assert sniff_image_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert sniff_image_type(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    assert sniff_image_type(b"GIF89a") is None


def test_missing_files_stay_in_the_text(tmp_path: Path) -> None:
    err = capture_console()
    text, images = extract_images(f"look at {tmp_path}/none.png", err)
    assert (text, images, text_of(err)) == (f"look at {tmp_path}/none.png", [], "")


def test_not_an_image(tmp_path: Path) -> None:
    fake = tmp_path / "notes.png"
    fake.write_text("plain text")
    err = capture_console()
    with pytest.raises(BadRequest, match="invalid image type"):
        extract_images(f"see {fake}", err)
    assert text_of(err).startswith("Couldn't process image:")
