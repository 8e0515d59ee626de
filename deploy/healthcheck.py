"""The image's HEALTHCHECK: GET / on the address `pollama serve` listens on; exit 0 on a 200.

It reads the settings the server reads (OLLAMA_HOST, POLLAMA_TLS_CERT), so a container run with
another port or with TLS is still checked where it really listens. An all-interfaces address is
checked on loopback. Over TLS the certificate is not verified: this checks that the server
answers, from inside its own container (the server checked its certificate when it started).
Proxy variables are ignored, as the probe must not leave the container.
"""

from __future__ import annotations

import ssl
import sys
import urllib.request

from pollama.go.net import join_host_port
from pollama.settings import Settings

TIMEOUT = 5.0
_ANY = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def probe_url(settings: Settings) -> str:
    host = _ANY.get(settings.host.bind_host, settings.host.bind_host)
    scheme = "https" if settings.tls_cert is not None else "http"
    return f"{scheme}://{join_host_port(host, settings.host.bind_port)}/"


def main() -> int:
    url = probe_url(Settings.from_env())
    unverified = ssl.create_default_context()
    unverified.check_hostname = False
    unverified.verify_mode = ssl.CERT_NONE
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=unverified)
    )
    try:
        with opener.open(url, timeout=TIMEOUT) as response:
            status = response.status
    except OSError as error:
        print(f"unhealthy: {url}: {error}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: {url} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
