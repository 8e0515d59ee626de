"""`pollama serve` over HTTPS (POLLAMA_TLS_CERT / POLLAMA_TLS_KEY) with the real gemma model,
driven by the official ollama, openai and anthropic clients and by the pollama CLI."""

from __future__ import annotations

import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anthropic
import httpx
import httpx2
import ollama
import openai
import pytest

from tests.conftest import (
    RunningServer,
    create_gemma,
    free_port,
    serve_in_foreground,
    server_env,
    start_server,
    stop_server,
)
from tests.tls.certificates import CertificateAuthority

pytestmark = [pytest.mark.e2e, pytest.mark.engine]

SHORT = "gemma-tls"  # gemma3:270m with num_predict 8, so that `pollama run` stays short


@dataclass
class TLSServer:
    running: RunningServer
    ca: Path
    verify: ssl.SSLContext
    model: str

    @property
    def port(self) -> int:
        return int(self.running.host.rpartition(":")[2])

    def cli(self, *args: str, ca: Path | None) -> subprocess.CompletedProcess[str]:
        env = {**self.running.env, "OLLAMA_HOST": f"https://127.0.0.1:{self.port}"}
        env.pop("SSL_CERT_FILE", None)
        if ca is not None:
            env["SSL_CERT_FILE"] = str(ca)
        return subprocess.run(
            [sys.executable, "-m", "pollama", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TLSServer]:
    root = tmp_path_factory.mktemp("tls")
    ca = CertificateAuthority(root)
    issued = ca.issue()
    verify = ssl.create_default_context(cafile=ca.cert_path)
    running = start_server(
        root,
        {"POLLAMA_TLS_CERT": str(issued.cert), "POLLAMA_TLS_KEY": str(issued.key)},
        scheme="https",
        verify=verify,
    )
    try:
        model = create_gemma(running.url, verify=verify)
        ollama.Client(host=running.url, verify=verify).create(
            model=SHORT, from_=model, parameters={"num_predict": 8}
        )
        yield TLSServer(running, ca.cert_path, verify, model)
    finally:
        stop_server(running.process)


def test_the_server_announces_https(tls_server: TLSServer) -> None:
    log = tls_server.running.log.read_text()
    assert f"Listening on https://127.0.0.1:{tls_server.port} (version " in log


def test_the_ollama_client_chats_over_https(tls_server: TLSServer) -> None:
    client = ollama.Client(host=tls_server.running.url, verify=tls_server.verify)
    response = client.chat(
        model=tls_server.model,
        messages=[{"role": "user", "content": "Say hi."}],
        options={"num_predict": 4},
    )
    assert response.message.role == "assistant"
    assert response.done and 0 < (response.eval_count or 0) <= 4


def test_the_openai_client_completes_over_https(tls_server: TLSServer) -> None:
    client = openai.OpenAI(
        base_url=f"{tls_server.running.url}/v1",
        api_key="unused",
        http_client=httpx2.Client(verify=tls_server.verify),
    )
    completion = client.chat.completions.create(
        model=tls_server.model,
        messages=[{"role": "user", "content": "Say hi."}],
        max_tokens=4,
    )
    assert completion.choices[0].message.role == "assistant"
    assert completion.usage is not None and 0 < completion.usage.completion_tokens <= 4


def test_the_anthropic_client_sends_messages_over_https(tls_server: TLSServer) -> None:
    client = anthropic.Anthropic(
        base_url=tls_server.running.url,
        api_key="unused",
        http_client=httpx2.Client(verify=tls_server.verify),
    )
    message = client.messages.create(
        model=tls_server.model,
        max_tokens=4,
        messages=[{"role": "user", "content": "Say hi."}],
    )
    assert message.role == "assistant"
    assert 0 < message.usage.output_tokens <= 4


def test_the_cli_lists_and_runs_over_https_with_ssl_cert_file(tls_server: TLSServer) -> None:
    listed = tls_server.cli("list", ca=tls_server.ca)
    assert listed.returncode == 0, listed.stderr
    assert tls_server.model in listed.stdout and SHORT in listed.stdout
    ran = tls_server.cli("run", SHORT, "hi", ca=tls_server.ca)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip()


def test_the_cli_refuses_an_untrusted_certificate_and_starts_nothing(
    tls_server: TLSServer,
) -> None:
    refused = tls_server.cli("list", ca=None)
    assert refused.returncode == 1
    assert f"Error: could not connect to the pollama server at {tls_server.running.url}" in (
        refused.stderr
    )
    assert "CERTIFICATE_VERIFY_FAILED" in refused.stderr
    assert "set SSL_CERT_FILE to the CA certificate" in refused.stderr
    assert not Path(tls_server.running.env["POLLAMA_LOG"]).exists()  # no server was started


def test_an_untrusted_client_fails_verification(tls_server: TLSServer) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(tls_server.running.url, timeout=10)


def test_plain_http_to_the_tls_port_gets_no_answer(tls_server: TLSServer) -> None:
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{tls_server.port}/api/tags", timeout=10)
    # and the server goes on serving HTTPS
    answer = httpx.get(f"{tls_server.running.url}/api/tags", verify=tls_server.verify, timeout=10)
    assert answer.status_code == 200


def test_an_https_host_with_no_server_is_not_started_in_the_background(tmp_path: Path) -> None:
    env = server_env(tmp_path, free_port())
    env["OLLAMA_HOST"] = env["OLLAMA_HOST"].join(["https://", ""])
    result = subprocess.run(
        [sys.executable, "-m", "pollama", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"Error: could not connect to the pollama server at {env['OLLAMA_HOST']}" in (
        result.stderr
    )
    assert not Path(env["POLLAMA_LOG"]).exists()


def test_a_certificate_without_its_key_fails_at_startup(tmp_path: Path) -> None:
    issued = CertificateAuthority(tmp_path).issue()
    env = server_env(tmp_path, free_port(), {"POLLAMA_TLS_CERT": str(issued.cert)})
    result = serve_in_foreground(env)
    assert result.returncode == 1
    assert (
        f"Error: POLLAMA_TLS_CERT={issued.cert} is set but POLLAMA_TLS_KEY is not" in result.stderr
    )
    assert "Listening on" not in result.stdout + result.stderr
    assert not list((Path(env["HOME"]) / ".ollama").glob("serve-*.pid"))


def test_a_key_of_another_certificate_fails_at_startup(tmp_path: Path) -> None:
    ca = CertificateAuthority(tmp_path)
    first, second = ca.issue("first"), ca.issue("second")
    tls = {"POLLAMA_TLS_CERT": str(first.cert), "POLLAMA_TLS_KEY": str(second.key)}
    result = serve_in_foreground(server_env(tmp_path, free_port(), tls))
    assert result.returncode == 1
    assert f"Error: POLLAMA_TLS_KEY={second.key} is not the private key of the certificate" in (
        result.stderr
    )
    assert "Listening on" not in result.stdout + result.stderr


def test_an_idle_https_connection_does_not_hold_up_shutdown(tmp_path: Path) -> None:
    ca = CertificateAuthority(tmp_path)
    issued = ca.issue()
    verify = ssl.create_default_context(cafile=ca.cert_path)
    tls = {"POLLAMA_TLS_CERT": str(issued.cert), "POLLAMA_TLS_KEY": str(issued.key)}
    running = start_server(tmp_path, tls, scheme="https", verify=verify)
    try:
        with httpx.Client(verify=verify) as client:
            assert client.get(running.url).status_code == 200  # the connection stays open
            running.process.send_signal(signal.SIGTERM)
            assert running.process.wait(timeout=60) == 0
    finally:
        stop_server(running.process)
    assert "timeout graceful shutdown exceeded" not in running.log.read_text()


def test_the_image_healthcheck_probes_over_https(tls_server: TLSServer) -> None:
    script = Path(__file__).resolve().parents[2] / "deploy" / "healthcheck.py"
    result = subprocess.run(
        [sys.executable, str(script)],
        env=tls_server.running.env,  # POLLAMA_TLS_CERT set: the probe uses https
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
