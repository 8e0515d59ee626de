"""The repository explains itself: no section-sign pointers into a document that is not in it.

A rule is stated where it is used, or cited from Ollama's public source or docs by file and
function; a section sign means a reference to something the reader cannot open.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTION_SIGN = "\N{SECTION SIGN}"  # spelled by name so this file does not match itself
CHECKED = ("src", "tests", "benchmarks", "docs", "README.md")
SKIPPED_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


def _text_files() -> list[Path]:
    files: list[Path] = []
    for name in CHECKED:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            for file in sorted(path.rglob("*")):
                if file.is_file() and not SKIPPED_DIRS.intersection(file.parts):
                    files.append(file)
    return files


def _lines_with_section_sign(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return []  # binary fixtures (GGUF files and the like) hold no prose
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), start=1)
        if SECTION_SIGN in line
    ]


def test_the_checked_paths_exist() -> None:
    assert (ROOT / "src" / "pollama").is_dir()
    assert _text_files()


@pytest.mark.parametrize("name", CHECKED)
def test_no_section_references(name: str) -> None:
    prefix = ROOT / name
    found = [
        hit
        for path in _text_files()
        if path == prefix or prefix in path.parents
        for hit in _lines_with_section_sign(path)
    ]
    assert not found, "references to a document outside the repository:\n" + "\n".join(found)
