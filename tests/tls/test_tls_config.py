"""The TLS settings: POLLAMA_TLS_CERT / POLLAMA_TLS_KEY, their checks, and https:// hosts."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pollama.cli.client import trust_context
from pollama.server.tls import TLSConfigError, TLSFiles, tls_files
from pollama.settings import HostAddress, Settings, client_host
from pollama.settings_table import describe
from tests.tls.certificates import CertificateAuthority


@pytest.fixture
def ca(tmp_path: Path) -> CertificateAuthority:
    return CertificateAuthority(tmp_path)


def _settings(cert: Path | None, key: Path | None, host: str = "") -> Settings:
    env = {"HOME": "/nonexistent", "OLLAMA_HOST": host}
    if cert is not None:
        env["POLLAMA_TLS_CERT"] = str(cert)
    if key is not None:
        env["POLLAMA_TLS_KEY"] = str(key)
    return Settings.from_env(env)


def test_the_variables_are_read_cleaned_and_listed(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "HOME": str(tmp_path),
            "POLLAMA_TLS_CERT": f" '{tmp_path}/tls/cert.pem' ",
            "POLLAMA_TLS_KEY": "k",
        }
    )
    assert settings.tls_cert == tmp_path / "tls" / "cert.pem"
    assert settings.tls_key == Path("k")
    values = {name: value for name, _, value in describe(settings)}
    assert values["POLLAMA_TLS_CERT"] == str(tmp_path / "tls" / "cert.pem")
    assert values["POLLAMA_TLS_KEY"] == "k"
    unset = Settings.from_env({"HOME": str(tmp_path), "POLLAMA_TLS_CERT": "  "})
    assert unset.tls_cert is None and unset.tls_key is None
    assert {n: v for n, _, v in describe(unset)}["POLLAMA_TLS_CERT"] == ""


def test_neither_variable_means_plain_http() -> None:
    assert tls_files(_settings(None, None)) is None


def test_an_https_host_without_certificates_is_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="pollama.server.tls"):
        assert tls_files(_settings(None, None, host="https://0.0.0.0:8443")) is None
    assert "serving plain HTTP" in caplog.text


def test_a_valid_pair_is_accepted(ca: CertificateAuthority) -> None:
    issued = ca.issue()
    assert tls_files(_settings(issued.cert, issued.key)) == TLSFiles(issued.cert, issued.key)


def test_one_file_holding_both_is_accepted(ca: CertificateAuthority, tmp_path: Path) -> None:
    issued = ca.issue()
    both = tmp_path / "both.pem"
    both.write_bytes(issued.key.read_bytes() + issued.cert.read_bytes())
    assert tls_files(_settings(both, both)) == TLSFiles(both, both)


def test_a_certificate_without_a_key_is_refused(ca: CertificateAuthority) -> None:
    issued = ca.issue()
    with pytest.raises(TLSConfigError) as caught:
        tls_files(_settings(issued.cert, None))
    assert caught.value.message == (
        f"POLLAMA_TLS_CERT={issued.cert} is set but POLLAMA_TLS_KEY is not: set both to serve HTTPS"
    )


def test_a_key_without_a_certificate_is_refused(ca: CertificateAuthority) -> None:
    issued = ca.issue()
    with pytest.raises(TLSConfigError) as caught:
        tls_files(_settings(None, issued.key))
    assert caught.value.message == (
        f"POLLAMA_TLS_KEY={issued.key} is set but POLLAMA_TLS_CERT is not: set both to serve HTTPS"
    )


def test_missing_files_are_named(ca: CertificateAuthority, tmp_path: Path) -> None:
    issued = ca.issue()
    missing = tmp_path / "missing.pem"
    with pytest.raises(TLSConfigError) as caught:
        tls_files(_settings(missing, issued.key))
    assert caught.value.message == (
        f"POLLAMA_TLS_CERT={missing}: cannot read the file: No such file or directory"
    )
    with pytest.raises(TLSConfigError) as caught:
        tls_files(_settings(issued.cert, tmp_path))
    assert (
        caught.value.message == f"POLLAMA_TLS_KEY={tmp_path}: cannot read the file: Is a directory"
    )


def test_a_file_that_is_not_a_certificate_is_named(ca: CertificateAuthority) -> None:
    issued = ca.issue()
    with pytest.raises(TLSConfigError) as caught:
        tls_files(_settings(issued.key, issued.key))  # the key where the certificate belongs
    assert caught.value.message.startswith(f"POLLAMA_TLS_CERT={issued.key}: not a PEM certificate")


def test_a_file_that_is_not_a_key_is_named(ca: CertificateAuthority) -> None:
    issued = ca.issue()
    with pytest.raises(TLSConfigError) as caught:
        tls_files(_settings(issued.cert, issued.cert))
    assert caught.value.message.startswith(f"POLLAMA_TLS_KEY={issued.cert}: not a PEM private key")


def test_an_encrypted_key_is_refused(ca: CertificateAuthority) -> None:
    issued = ca.issue(password=b"secret")
    with pytest.raises(TLSConfigError) as caught:
        tls_files(_settings(issued.cert, issued.key))
    assert caught.value.message.startswith(
        f"POLLAMA_TLS_KEY={issued.key}: the private key is encrypted"
    )


def test_a_key_of_another_certificate_is_refused(ca: CertificateAuthority) -> None:
    first, second = ca.issue("first"), ca.issue("second")
    with pytest.raises(TLSConfigError) as caught:
        tls_files(_settings(first.cert, second.key))
    assert caught.value.message == (
        f"POLLAMA_TLS_KEY={second.key} is not the private key of the certificate in "
        f"POLLAMA_TLS_CERT={first.cert}"
    )


@pytest.mark.parametrize(
    ("days", "words"), [((-30, -1), "expired on"), ((1, 30), "is not valid before")]
)
def test_a_certificate_out_of_its_validity_is_warned_about(
    ca: CertificateAuthority,
    caplog: pytest.LogCaptureFixture,
    days: tuple[int, int],
    words: str,
) -> None:
    issued = ca.issue(valid_days=days)
    with caplog.at_level(logging.WARNING, logger="pollama.server.tls"):
        assert tls_files(_settings(issued.cert, issued.key)) is not None
    assert f"the certificate in POLLAMA_TLS_CERT={issued.cert} {words}" in caplog.text


def test_https_hosts_default_to_port_443_as_ollama() -> None:
    # Ollama's envconfig.Host: an https:// scheme without a port means 443.
    assert HostAddress.parse("https://models.example") == HostAddress(
        "https", "models.example", 443, ""
    )
    assert client_host({"OLLAMA_HOST": "https://127.0.0.1:8443"}) == "https://127.0.0.1:8443"
    assert client_host({"OLLAMA_HOST": "https://[::1]"}) == "https://[::1]:443"


def test_the_cli_trusts_the_ca_in_ssl_cert_file(
    ca: CertificateAuthority, monkeypatch: pytest.MonkeyPatch
) -> None:
    def subjects() -> list[object]:
        return [entry["subject"] for entry in trust_context().get_ca_certs()]

    ours = ((("commonName", "pollama test CA"),),)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    without = subjects()
    assert ours not in without and len(without) > 100  # the system store and certifi's roots
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.cert_path))
    assert ours in subjects()
