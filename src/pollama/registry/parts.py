"""A blob being downloaded: `sha256-<hex>-partial` plus one JSON state file per part,
beside the finished blobs in `<models>/blobs` (Ollama's server/download.go, blobDownload).

Each state file `sha256-<hex>-partial-<N>` holds `{"N","Offset","Size","Completed"}` (Ollama's
field names). States are saved atomically, so a process killed at any moment leaves a set of
states that undercounts what is on disk, never overcounts: resuming from them is always safe.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from pollama.registry.policy import TransferPolicy


@dataclass
class Part:
    n: int
    offset: int
    size: int
    completed: int = 0

    @property
    def done(self) -> bool:
        return self.completed >= self.size

    @property
    def next_offset(self) -> int:
        return self.offset + self.completed

    @property
    def end(self) -> int:
        """The offset just past the part."""
        return self.offset + self.size

    def to_json(self) -> dict[str, int]:
        return {"N": self.n, "Offset": self.offset, "Size": self.size, "Completed": self.completed}


def plan_parts(total: int, policy: TransferPolicy) -> list[Part]:
    size = max(1, policy.part_size(total))
    return [
        Part(n, offset, min(size, total - offset)) for n, offset in enumerate(range(0, total, size))
    ] or [Part(0, 0, 0)]


class PartialBlob:
    """The files of one blob download inside `blobs/`."""

    def __init__(self, blobs_dir: Path, digest: str) -> None:
        self.dir = blobs_dir
        self.stem = digest.replace(":", "-")
        self.path = blobs_dir / f"{self.stem}-partial"

    def state_path(self, n: int) -> Path:
        return self.dir / f"{self.stem}-partial-{n}"

    def state_paths(self) -> list[Path]:
        prefix = f"{self.stem}-partial-"
        return [p for p in self.dir.glob(f"{prefix}*") if p.name[len(prefix) :].isdigit()]

    def load(self, total: int) -> list[Part] | None:
        """The saved parts if they describe exactly `total` bytes and the data file is there."""
        try:
            if self.path.stat().st_size != total:
                return None
            parts = []
            for path in self.state_paths():
                raw = json.loads(path.read_text())
                parts.append(Part(int(raw["N"]), int(raw["Offset"]), int(raw["Size"])))
                parts[-1].completed = max(0, min(int(raw["Completed"]), parts[-1].size))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        parts.sort(key=lambda part: part.offset)
        position = 0
        for part in parts:
            if part.offset != position or part.size <= 0:
                return None
            position = part.end
        return parts if parts and position == total else None

    def start(self, parts: list[Part], total: int) -> None:
        """Fresh download: drop old state, make a sparse data file of the full size."""
        self.clear_states()
        with open(self.path, "wb") as f:
            f.truncate(total)
        for part in parts:
            self.save(part)

    def save(self, part: Part) -> None:
        path = self.state_path(part.n)
        tmp = path.with_name(f".tmp-{path.name}")
        tmp.write_text(json.dumps(part.to_json()))
        os.replace(tmp, path)

    def clear_states(self) -> None:
        for path in self.state_paths():
            path.unlink(missing_ok=True)

    def discard(self) -> None:
        self.clear_states()
        self.path.unlink(missing_ok=True)
