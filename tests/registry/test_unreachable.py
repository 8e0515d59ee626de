"""A registry nobody answers for: the error names the operation and the URL as Go's url.Error
does (`Head "http://…": dial tcp …: connect: connection refused`), never a Python class, and
it comes after a few quick tries."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest

from pollama.errors import PollamaError
from pollama.registry.errors import describe_failure, network_reason, transport_failure
from tests.conftest import free_port
from tests.registry.helpers import create_model, new_store, registry_for, run_all


def _closed_address() -> str:
    """host:port on 127.0.0.1 where nothing listens."""
    return f"127.0.0.1:{free_port()}"


def test_push_to_an_unreachable_registry(tmp_path: Path) -> None:
    address = _closed_address()
    store = new_store(tmp_path)
    model = f"{address}/library/m:latest"
    create_model(store, model)
    started = time.monotonic()
    with pytest.raises(PollamaError) as caught:
        run_all(registry_for(store).push(model, insecure=True))
    message = caught.value.message
    assert message.startswith(f'Head "http://{address}/v2/library/m/blobs/sha256:')
    assert message.endswith(f'": dial tcp {address}: connect: connection refused')
    assert "Error" not in message and "httpx" not in message
    assert time.monotonic() - started < 10


def test_pull_from_an_unreachable_registry(tmp_path: Path) -> None:
    address = _closed_address()
    store = new_store(tmp_path)
    with pytest.raises(PollamaError) as caught:
        run_all(registry_for(store).pull(f"{address}/library/m:latest", insecure=True))
    assert caught.value.message == (
        f'pull model manifest: Get "http://{address}/v2/library/m/manifests/latest": '
        f"dial tcp {address}: connect: connection refused"
    )


def _failure(cause: BaseException, url: str = "https://nowhere.test/v2/x") -> httpx.ConnectError:
    request = httpx.Request("GET", url)
    try:
        try:
            raise cause
        except BaseException as inner:
            raise httpx.ConnectError(str(inner), request=request) from inner
    except httpx.ConnectError as error:
        return error


def test_network_reasons_are_worded_as_go() -> None:
    lookup = _failure(socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    assert transport_failure(lookup) == (
        'Get "https://nowhere.test/v2/x": dial tcp: lookup nowhere.test: no such host'
    )
    unreachable = _failure(OSError(113, "No route to host"))
    assert network_reason(unreachable, "h", 1) == "dial tcp h:1: no route to host"
    timeout = httpx.ConnectTimeout("timed out", request=httpx.Request("HEAD", "http://h:5/v2/"))
    assert transport_failure(timeout) == 'Head "http://h:5/v2/": dial tcp h:5: i/o timeout'
    dropped = httpx.RemoteProtocolError("", request=httpx.Request("GET", "http://h/v2/"))
    assert transport_failure(dropped) == 'Get "http://h/v2/": EOF'
    assert describe_failure(RuntimeError()) == "transfer failed"
