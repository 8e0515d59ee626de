"""Challenge parsing, the signed token flow (fixed vectors), Basic credentials, the key file."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import stat
import struct
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pollama.names import Name
from pollama.registry import HostConfig, RegistryConfig, RegistryError
from pollama.registry.auth import Authenticator
from pollama.registry.challenge import parse_challenge, token_url
from pollama.registry.client import RegistryClient
from pollama.registry.keys import EMPTY_BODY_HASH, IdentityKey

# RFC 8032, section 7.1, test 1.
SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
EMPTY_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)
PUBLIC_SSH = "AAAAC3NzaC1lZDI1NTE5AAAAINdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
TOKEN_URL = (
    "https://registry.test/token?nonce=AAECAwQFBgcICQoLDA0ODw"
    "&scope=repository%3Alibrary%2Fm%3Apull&service=registry.test&ts=1700000000"
)
TOKEN_AUTHORIZATION = (
    f"{PUBLIC_SSH}:Ssxf1OfwEH0NFjol2FrNMh6DfkgTX2+Ld+UuP4usVGWxATGJlnseyd4r4F0YNoUHHo3pqBRjEPop"
    "GPoMH5/xBw=="
)
CHALLENGE = (
    'Bearer realm="https://registry.test/token",service="registry.test",'
    'scope="repository:library/m:pull"'
)


def test_parse_challenge() -> None:
    parsed = parse_challenge(CHALLENGE)
    assert parsed is not None and parsed.scheme == "bearer"
    assert (parsed.realm, parsed.service, parsed.scope) == (
        "https://registry.test/token",
        "registry.test",
        "repository:library/m:pull",
    )
    basic = parse_challenge('Basic realm="a \\"quoted\\" realm"')
    assert basic is not None and basic.scheme == "basic" and basic.realm == 'a "quoted" realm'
    assert parse_challenge("") is None


def test_token_url_is_encoded_as_go_does() -> None:
    challenge = parse_challenge(
        'Bearer realm="https://auth.test/token?x=1",service="s",'
        'scope="repository:a/b:pull,push repository:c/d:pull"'
    )
    assert challenge is not None
    assert token_url(challenge, [("ts", "5")]) == (
        "https://auth.test/token?scope=repository%3Aa%2Fb%3Apull%2Cpush"
        "&scope=repository%3Ac%2Fd%3Apull&service=s&ts=5&x=1"
    )


def test_key_signs_the_rfc_8032_vector() -> None:
    key = IdentityKey.from_seed(SEED)
    assert key.raw_public_key == PUBLIC
    assert key.sign(b"") == EMPTY_SIGNATURE
    wire = struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) + PUBLIC
    assert key.public_key_base64 == base64.b64encode(wire).decode() == PUBLIC_SSH
    assert key.authorized_key == f"ssh-ed25519 {PUBLIC_SSH}"


def test_token_request_signature_fixed_vector() -> None:
    key = IdentityKey.from_seed(SEED)
    header = key.token_request_authorization(TOKEN_URL)
    assert header == TOKEN_AUTHORIZATION
    signed = f"GET,{TOKEN_URL},{EMPTY_BODY_HASH}".encode()
    assert (
        base64.b64encode(
            b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        ).decode()
        == EMPTY_BODY_HASH
    )
    Ed25519PublicKey.from_public_bytes(PUBLIC).verify(
        base64.b64decode(header.split(":")[1]), signed
    )


def test_key_is_made_at_first_use_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / ".ollama" / "id_ed25519"
    made = IdentityKey.load_or_create(path)
    assert path.read_bytes().startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    pub = path.with_name("id_ed25519.pub").read_text()
    assert pub == made.authorized_key + "\n"
    assert IdentityKey.load_or_create(path).public_key_base64 == made.public_key_base64


def _signed_registry(seen: list[httpx.Request]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/token":
            return httpx.Response(200, json={"token": "tok-1"})
        if request.headers.get("authorization") != "Bearer tok-1":
            return httpx.Response(401, headers={"WWW-Authenticate": CHALLENGE})
        return httpx.Response(200, content=b"{}")

    return httpx.MockTransport(handle)


def test_bearer_flow_signs_the_token_request() -> None:
    seen: list[httpx.Request] = []
    key = IdentityKey.from_seed(SEED)
    authenticator = Authenticator(
        "https://registry.test",
        HostConfig(),
        lambda: key,
        clock=lambda: 1_700_000_000.0,
        random_bytes=lambda n: bytes(range(n)),
    )
    client = RegistryClient(
        Name.parse("registry.test/library/m"),
        RegistryConfig(),
        transport=_signed_registry(seen),
        authenticator=authenticator,
    )

    async def get() -> httpx.Response:
        async with client:
            return await client.request("GET", client.url("manifests/latest"))

    assert asyncio.run(get()).status_code == 200
    first, token, retried = seen
    assert "authorization" not in first.headers
    assert str(token.url) == TOKEN_URL
    assert token.headers["authorization"] == TOKEN_AUTHORIZATION
    assert retried.headers["authorization"] == "Bearer tok-1"
    assert first.headers["user-agent"].startswith("ollama/")


def test_token_realm_on_another_host_is_not_signed_but_gets_basic_credentials() -> None:
    seen: list[httpx.Request] = []
    challenge = 'Bearer realm="https://auth.test/token",service="svc",scope="repository:x/y:pull"'

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "auth.test":
            return httpx.Response(200, json={"access_token": "tok-2"})
        if request.headers.get("authorization") != "Bearer tok-2":
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        return httpx.Response(200)

    config = RegistryConfig({"registry.test": HostConfig("alice", "pw")})
    client = RegistryClient(
        Name.parse("registry.test/x/y"), config, transport=httpx.MockTransport(handle)
    )

    async def get() -> None:
        async with client:
            await client.request("GET", client.url("manifests/latest"))

    asyncio.run(get())
    token = next(r for r in seen if r.url.host == "auth.test")
    assert token.headers["authorization"] == "Basic " + base64.b64encode(b"alice:pw").decode()
    assert "ts" not in token.url.params and "nonce" not in token.url.params


def test_basic_challenge_without_credentials_is_a_401() -> None:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            401, text="unauthorized", headers={"WWW-Authenticate": 'Basic realm="r"'}
        )
    )
    client = RegistryClient(Name.parse("registry.test/x/y"), RegistryConfig(), transport=transport)

    async def get() -> None:
        async with client:
            await client.request("GET", client.url("manifests/latest"))

    with pytest.raises(RegistryError, match=r"^401: unauthorized$"):
        asyncio.run(get())


def test_config_files(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".docker").mkdir(parents=True)
    auth = base64.b64encode(b"dock:er").decode()
    docker = {"auths": {"https://docker.test/v1/": {"auth": auth}}}
    (home / ".docker" / "config.json").write_text(json.dumps(docker))
    ollama = home / ".ollama"
    ollama.mkdir()
    (ollama / "registries.json").write_text(
        '{"registries": {"Mine.test:5000": {"username": "me", "password": "pw", "insecure": true}},'
        ' "ca_bundle": "/etc/ca.pem"}'
    )
    config = RegistryConfig.load(ollama, {"HOME": str(home)})
    assert config.host("docker.test") == HostConfig("dock", "er")
    assert config.host("mine.test:5000") == HostConfig("me", "pw", insecure=True)
    assert config.host("other.test") == HostConfig()
    assert config.ca_bundle == Path("/etc/ca.pem")
    assert config.key_path == ollama / "id_ed25519"
