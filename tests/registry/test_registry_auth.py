"""Pull and push through a registry behind htpasswd Basic auth and one behind a token server."""

from __future__ import annotations

from pathlib import Path

import pytest

from pollama.names import Name
from pollama.registry import RegistryError
from tests.registry.helpers import create_model, new_store, registry_for, run_all, statuses
from tests.registry.registry_server import (
    PASSWORD,
    SERVICE,
    USERNAME,
    TokenServer,
    htpasswd_auth,
    registry,
)


def _credentials(host: str) -> dict[str, object]:
    return {"registries": {host: {"username": USERNAME, "password": PASSWORD}}}


def test_basic_auth_registry(tmp_path: Path) -> None:
    with registry(tmp_path / "registry", htpasswd_auth(tmp_path / "auth")) as running:
        model = f"{running.host}/secure/tiny:v1"
        source = new_store(tmp_path / "a")
        create_model(source, model)
        with pytest.raises(RegistryError, match=r"^401"):
            run_all(registry_for(source).push(model, insecure=True))
        pushed = run_all(
            registry_for(source, config=_credentials(running.host)).push(model, insecure=True)
        )
        assert statuses(pushed)[-1] == "success"

        target = new_store(tmp_path / "b")
        pulled = run_all(
            registry_for(target, config=_credentials(running.host)).pull(model, insecure=True)
        )
        assert statuses(pulled)[-1] == "success"
        assert target.manifests.get(Name.parse(model)) is not None


def test_token_server_registry(tmp_path: Path) -> None:
    tokens = TokenServer(tmp_path / "tokens", require_basic=True)
    with tokens.running(), registry(tmp_path / "registry", tokens.auth_config()) as running:
        model = f"{running.host}/tokened/tiny:v1"
        source = new_store(tmp_path / "a")
        create_model(source, model)
        with pytest.raises(RegistryError, match=r"^401"):
            run_all(registry_for(source).push(model, insecure=True))  # no credentials
        config = _credentials(running.host)
        run_all(registry_for(source, config=config).push(model, insecure=True))

        target = new_store(tmp_path / "b")
        pulled = run_all(registry_for(target, config=config).pull(model, insecure=True))
        assert statuses(pulled)[-1] == "success"
        stored = target.manifests.get(Name.parse(model))
        assert stored is not None
        assert all(target.blobs.exists(d) for d in stored.manifest.digests())

    granted = [r for r in tokens.requests if r["authorization"].startswith("Basic ")]
    assert granted, "the token server was never asked with the credentials"
    assert all(r["query"]["service"] == [SERVICE] for r in tokens.requests)
    # The registry lists a scope's actions in no fixed order ("push,pull" or "pull,push").
    scopes = {_scope_key(scope) for r in granted for scope in r["query"].get("scope", [])}
    assert ("repository:tokened/tiny", frozenset({"pull", "push"})) in scopes
    assert ("repository:tokened/tiny", frozenset({"pull"})) in scopes


def _scope_key(scope: str) -> tuple[str, frozenset[str]]:
    """`repository:name:a,b` -> (`repository:name`, {a, b})."""
    resource, _, actions = scope.rpartition(":")
    return resource, frozenset(actions.split(","))
