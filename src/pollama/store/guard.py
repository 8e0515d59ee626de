"""Keeps concurrent store edits from breaking each other's models.

Two rules, so that a blob some model needs is never removed and every published manifest is
complete:

- Every change to what references a blob (writing or deleting a manifest, pruning blobs) runs
  inside `mutation()`: a re-entrant thread lock (create, copy and delete run in worker threads;
  pull goes through one for this step) plus an advisory `flock` on `<models>/.pollama-lock`, so
  two servers sharing one store are serialised too. Critical sections are short: no download
  or upload ever runs inside one.
- An operation that is still assembling a model `pinned()`s the digests it will reference
  before it looks at or writes them; pruning never removes a pinned blob. Pins are per process;
  across processes the publish step's own check (every blob present, under the lock) turns a
  blob another server removed into an error instead of a broken model.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = ".pollama-lock"


class StoreGuard:
    def __init__(self, root: Path) -> None:
        self.lock_path = root / LOCK_FILE
        self._lock = threading.RLock()
        self._depth = 0  # nesting of mutation() in the thread holding the lock
        self._fd: int | None = None
        self._pins: Counter[str] = Counter()
        self._pins_lock = threading.Lock()

    @contextmanager
    def mutation(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._lock_file()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._unlock_file()

    def _lock_file(self) -> None:
        try:
            if self._fd is None:
                self.lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
                self._fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except OSError:
            # A store we cannot create a lock file in (read-only, full) still gets the thread
            # lock; the write that follows reports the real problem.
            self._close_file()

    def _unlock_file(self) -> None:
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            except OSError:
                self._close_file()

    def _close_file(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    @contextmanager
    def pinned(self, digests: Iterable[str] = ()) -> Iterator[PinSet]:
        """Protect `digests`, and those `add`ed to the returned set, from pruning until the block
        ends (the blobs need not exist yet)."""
        pins = PinSet(self)
        pins.add(*digests)
        try:
            yield pins
        finally:
            pins.release()

    def is_pinned(self, digest: str) -> bool:
        with self._pins_lock:
            return self._pins[digest] > 0

    def remove_unpinned(self, digests: Iterable[str], remove: Callable[[str], None]) -> list[str]:
        """`remove` each of `digests` that nothing has pinned. The check and the removal happen
        under the pins' lock, so a pin taken meanwhile either comes first (the blob stays) or
        after the removal (its owner then finds the blob gone and writes it again)."""
        removed = []
        with self._pins_lock:
            for digest in digests:
                if self._pins[digest] <= 0:
                    remove(digest)
                    removed.append(digest)
        return removed

    def _pin(self, digests: list[str], count: int) -> None:
        with self._pins_lock:
            for digest in digests:
                self._pins[digest] += count
                if self._pins[digest] <= 0:
                    del self._pins[digest]


class PinSet:
    """The digests one operation holds pinned."""

    def __init__(self, guard: StoreGuard) -> None:
        self._guard = guard
        self._held: set[str] = set()

    def add(self, *digests: str) -> None:
        new = [d for d in dict.fromkeys(digests) if d not in self._held]
        self._guard._pin(new, 1)
        self._held.update(new)

    def release(self) -> None:
        self._guard._pin(list(self._held), -1)
        self._held.clear()
