"""The OCI distribution client: pull and push models, resumable, verified, authenticated
(after Ollama's server/images.go, server/download.go and server/upload.go).

`Registry` is the entry point: `Registry(store).pull(name)` and `.push(name)` yield Ollama's
progress messages. Layout: `client` (HTTP, auth retry), `auth`/`challenge`/`keys`/`config`
(credentials), `download`/`parts`/`transfers` (blob downloads), `upload`, `pull`, `push`;
`context` is what pull and push share, `progress` their progress lines.
"""

from pollama.registry.config import HostConfig, RegistryConfig
from pollama.registry.context import RegistryContext
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
    "RegistryContext",
    "RegistryError",
    "TransferPolicy",
    "Transfers",
]
