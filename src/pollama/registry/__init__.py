"""The OCI distribution client: pull and push models, resumable, verified, authenticated (§9).

`Registry` is the entry point: `Registry(store).pull(name)` and `.push(name)` yield Ollama's
progress messages. Layout: `client` (HTTP, auth retry), `auth`/`challenge`/`keys`/`config`
(credentials), `download`/`parts`/`transfers` (blob downloads), `upload`, `pull`, `push`.
"""

from pollama.registry.config import HostConfig, RegistryConfig
from pollama.registry.errors import DigestMismatch, ManifestNotFound, RegistryError
from pollama.registry.policy import TransferPolicy
from pollama.registry.service import Registry
from pollama.registry.transfers import Transfers

__all__ = [
    "DigestMismatch",
    "HostConfig",
    "ManifestNotFound",
    "Registry",
    "RegistryConfig",
    "RegistryError",
    "TransferPolicy",
    "Transfers",
]
