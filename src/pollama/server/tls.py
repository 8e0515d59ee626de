"""HTTPS for `pollama serve`: `POLLAMA_TLS_CERT` and `POLLAMA_TLS_KEY`, checked before binding.

Both are PEM files: the certificate (a chain, the server's own first) and its unencrypted private
key. Ollama has no TLS of its own; pollama hands these to uvicorn (`ssl_certfile`,
`ssl_keyfile`). They are checked here first, with the call uvicorn makes
(`ssl.SSLContext.load_cert_chain`), so that a mistake is an `Error:` naming the variable and the
file before anything listens or is announced, not a traceback once the server has started. An
encrypted key is refused: OpenSSL would otherwise ask for its passphrase on the terminal, which a
service does not have.

`closing_idle_at_once` adapts the connection class for TLS: at shutdown uvicorn closes idle
keep-alive connections, and closing a TLS one waits for the client's close_notify, which an idle
client never sends, so the shutdown would wait out its timeout.
"""

from __future__ import annotations

import datetime
import logging
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from pollama.errors import PollamaError
from pollama.server.connection import TimedH11Protocol
from pollama.settings import Settings

log = logging.getLogger(__name__)

CERT_VAR = "POLLAMA_TLS_CERT"
KEY_VAR = "POLLAMA_TLS_KEY"


class TLSConfigError(PollamaError):
    """The TLS settings cannot be used; the message names the variable and its file."""


@dataclass(frozen=True)
class TLSFiles:
    """A certificate and key that load together."""

    cert: Path
    key: Path


def tls_files(settings: Settings) -> TLSFiles | None:
    """The checked files, or None when TLS is off (neither variable set).

    Raises TLSConfigError when only one is set, or a file is unreadable, not PEM, an encrypted
    key, or a key that does not belong to the certificate.
    """
    cert, key = settings.tls_cert, settings.tls_key
    if cert is None and key is None:
        if settings.host.scheme == "https":
            log.warning(
                "OLLAMA_HOST is https:// but %s and %s are not set: serving plain HTTP",
                CERT_VAR,
                KEY_VAR,
            )
        return None
    if cert is None or key is None:
        given, missing = (KEY_VAR, CERT_VAR) if cert is None else (CERT_VAR, KEY_VAR)
        raise TLSConfigError(
            f"{given}={cert or key} is set but {missing} is not: set both to serve HTTPS"
        )
    _check_certificate(cert)
    _check_key(key)
    _check_pair(cert, key)
    return TLSFiles(cert, key)


def _read(variable: str, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        raise TLSConfigError(f"{variable}={path}: cannot read the file: {reason}") from None


def _check_certificate(path: Path) -> None:
    try:
        chain = x509.load_pem_x509_certificates(_read(CERT_VAR, path))
    except ValueError:
        raise TLSConfigError(
            f"{CERT_VAR}={path}: not a PEM certificate (no valid -----BEGIN CERTIFICATE----- block)"
        ) from None
    now = datetime.datetime.now(datetime.UTC)
    leaf = chain[0]
    if leaf.not_valid_after_utc < now:
        log.warning(
            "the certificate in %s=%s expired on %s", CERT_VAR, path, leaf.not_valid_after_utc
        )
    elif leaf.not_valid_before_utc > now:
        log.warning(
            "the certificate in %s=%s is not valid before %s",
            CERT_VAR,
            path,
            leaf.not_valid_before_utc,
        )


def _check_key(path: Path) -> None:
    try:
        serialization.load_pem_private_key(_read(KEY_VAR, path), password=None)
    except TypeError:
        raise TLSConfigError(
            f"{KEY_VAR}={path}: the private key is encrypted; pollama cannot ask for its "
            "passphrase (decrypt it with: openssl pkey -in KEY -out PLAIN_KEY)"
        ) from None
    except (ValueError, UnsupportedAlgorithm) as error:
        raise TLSConfigError(f"{KEY_VAR}={path}: not a PEM private key ({error})") from None


def _check_pair(cert: Path, key: Path) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except ssl.SSLError as error:
        if error.reason == "KEY_VALUES_MISMATCH":
            raise TLSConfigError(
                f"{KEY_VAR}={key} is not the private key of the certificate in {CERT_VAR}={cert}"
            ) from None
        raise TLSConfigError(f"{CERT_VAR}={cert} with {KEY_VAR}={key}: {error}") from None
    except OSError as error:  # the file changed between the checks
        raise TLSConfigError(f"{CERT_VAR}={cert} with {KEY_VAR}={key}: {error}") from None


def _shutdown(self: TimedH11Protocol) -> None:
    if self.cycle is None or self.cycle.response_complete:
        self.transport.abort()  # idle: nothing to finish, no close_notify to wait for
    else:
        TimedH11Protocol.shutdown(self)


def closing_idle_at_once(protocol: type[TimedH11Protocol]) -> type[TimedH11Protocol]:
    """`protocol`, whose idle connections are dropped at shutdown instead of closed with TLS's
    close_notify exchange."""
    return type(protocol.__name__, (protocol,), {"shutdown": _shutdown})
