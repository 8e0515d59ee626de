"""`ps` columns, `stop`, and the unload before `rm`."""

from __future__ import annotations

import time

import pytest

from pollama.cli import ps_cmd
from pollama.errors import NotFound, PollamaError
from pollama.go.time import local_from_seconds
from tests.cli.fakes import FakeClient, capture_console, text_of


@pytest.mark.parametrize(
    ("size", "vram", "expected"),
    [
        (1000, 0, "100% CPU"),
        (1000, 1000, "100% GPU"),
        (1000, 520, "48%/52% CPU/GPU"),
        (1000, 995, "1%/99% CPU/GPU"),
        (1000, 5, "100%/0% CPU/GPU"),  # Go rounds 99.5 up
        (1000, 1001, "Unknown"),
        (0, 10, "Unknown"),
    ],
)
def test_processor(size: int, vram: int, expected: str) -> None:
    assert ps_cmd.processor(size, vram) == expected


def test_until() -> None:
    now = 1_700_000_000.0
    assert ps_cmd.until(local_from_seconds(now + 245), now) == "4 minutes from now"
    assert ps_cmd.until(local_from_seconds(now - 1), now) == "Stopping..."
    assert ps_cmd.until(local_from_seconds(1.0e10), now) == "Forever"
    assert ps_cmd.until("2318-01-01T00:00:00.123456789-07:00", now) == "Forever"


def _loaded(name: str, **extra: object) -> dict[str, object]:
    return {
        "name": name,
        "model": name,
        "size": 710_000_000,
        "size_vram": 0,
        "digest": "b8101639cf50aaaabbbbcccc",
        "context_length": 4096,
        "expires_at": local_from_seconds(time.time() + 300),
        **extra,
    }


def test_rows_and_prefix_filter() -> None:
    models = [_loaded("gemma3:270m"), _loaded("Llama3:8b", size_vram=710_000_000)]
    rows = ps_cmd.rows(models)
    assert rows[0][:5] == ["gemma3:270m", "b8101639cf50", "710 MB", "100% CPU", "4096"]
    assert rows[0][5].endswith("from now")
    assert rows[1][3] == "100% GPU"
    assert [r[0] for r in ps_cmd.rows(models, "llama")] == ["Llama3:8b"]


def test_render_never_cuts_columns_in_a_pipe() -> None:
    out = capture_console(width=40)
    ps_cmd.render([_loaded("a-rather-long-model-name:with-a-long-tag")], out=out)
    header, row = text_of(out).splitlines()
    assert header.split() == ["NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"]
    assert row.startswith("a-rather-long-model-name:with-a-long-tag    b8101639cf50    710 MB")
    assert "…" not in row


def test_render_empty_prints_header() -> None:
    out = capture_console()
    ps_cmd.render([], out=out)
    assert text_of(out).split() == ["NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"]


def test_stop_sends_keep_alive_zero() -> None:
    client = FakeClient()
    client.routes[("POST", "/api/generate")] = {"done": True, "done_reason": "unload"}
    ps_cmd.stop(client, "gemma3")
    assert client.calls == [("POST", "/api/generate", {"model": "gemma3", "keep_alive": 0})]


def test_stop_unknown_model() -> None:
    client = FakeClient()
    client.routes[("POST", "/api/generate")] = PollamaError("model 'nope' not found", 404)
    with pytest.raises(NotFound) as caught:
        ps_cmd.stop(client, "nope")
    assert caught.value.message == 'couldn\'t find model "nope" to stop'


def test_stop_other_errors_pass_through() -> None:
    client = FakeClient()
    client.routes[("POST", "/api/generate")] = PollamaError("boom", 500)
    with pytest.raises(PollamaError, match="boom"):
        ps_cmd.stop(client, "m")


def test_unload_before_delete_warns_only_on_real_failures() -> None:
    client, err = FakeClient(), capture_console()
    client.routes[("POST", "/api/generate")] = PollamaError("model 'x' Not Found", 404)
    ps_cmd.unload_before_delete(client, "x", err)
    assert text_of(err) == ""
    client.routes[("POST", "/api/generate")] = PollamaError("runner crashed", 500)
    ps_cmd.unload_before_delete(client, "x", err)
    assert text_of(err) == "Warning: unable to stop model 'x'\n"
