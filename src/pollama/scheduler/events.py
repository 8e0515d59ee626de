"""What the scheduler tells an observer (the server's metrics): loads, unloads, crashes.

The scheduler calls these on its event loop, never awaiting them; `NO_EVENTS` (the default)
does nothing, so the scheduler itself knows nothing of how they are counted. `model` is the
scheduler's name of the model (`ModelRef.name`, e.g. `gemma3:270m`).
"""

from __future__ import annotations

from typing import Protocol


class SchedulerEvents(Protocol):
    def model_loaded(self, model: str, seconds: float) -> None:
        """A runner for `model` is loaded and ready; starting it took `seconds`."""
        ...

    def model_unloaded(self, model: str, *, evicted: bool) -> None:
        """The runner of `model` was stopped; `evicted` when that made room for another
        load (an idle expiry, `keep_alive: 0`, a reload or a dead runner is not)."""
        ...

    def runner_crashed(self, model: str) -> None:
        """The runner of `model` exited without being asked to."""
        ...


class NoEvents:
    """The observer that ignores everything."""

    def model_loaded(self, model: str, seconds: float) -> None:
        pass

    def model_unloaded(self, model: str, *, evicted: bool) -> None:
        pass

    def runner_crashed(self, model: str) -> None:
        pass


NO_EVENTS: SchedulerEvents = NoEvents()
