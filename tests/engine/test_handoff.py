"""The engine thread's frames reach the event loop in order, none lost: pure, no model."""

from __future__ import annotations

import asyncio
import threading

import pytest

from pollama.runner import handoff
from pollama.runner.handoff import Handoff


async def _deliver_from_threads(threads: int, items: int) -> dict[int, list[int]]:
    loop = asyncio.get_running_loop()
    got: dict[int, list[int]] = {t: [] for t in range(threads)}
    done = asyncio.Event()
    total = threads * items

    def deliver(item: tuple[int, int]) -> None:
        got[item[0]].append(item[1])
        if sum(len(v) for v in got.values()) == total:
            done.set()

    box: Handoff[tuple[int, int]] = Handoff(loop, deliver)

    def produce(thread: int) -> None:
        for i in range(items):
            box.put((thread, i))

    workers = [threading.Thread(target=produce, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    await asyncio.wait_for(done.wait(), timeout=30)
    for worker in workers:
        worker.join()
    box.close()
    return got


def test_every_item_arrives_in_the_order_each_thread_put_it() -> None:
    got = asyncio.run(_deliver_from_threads(threads=3, items=20_000))
    assert all(values == list(range(20_000)) for values in got.values())


def test_the_wake_up_does_not_release_the_gil() -> None:
    assert handoff._gil_keeping_write() is not None  # Linux: libc reachable through PyDLL


def test_without_libc_write_it_falls_back_to_call_soon_threadsafe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(handoff, "_gil_keeping_write", lambda: None)
    got = asyncio.run(_deliver_from_threads(threads=2, items=500))
    assert all(values == list(range(500)) for values in got.values())


def test_close_delivers_what_is_still_queued() -> None:
    async def scenario() -> list[int]:
        got: list[int] = []
        box: Handoff[int] = Handoff(asyncio.get_running_loop(), got.append)
        for i in range(5):
            box.put(i)  # from the loop's own thread: no chance to drain before close
        box.close()
        return got

    assert asyncio.run(scenario()) == [0, 1, 2, 3, 4]
