"""Media types of manifests, configs and layers, as Ollama and OCI registries write them."""

MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.docker.container.image.v1+json"

MODEL = "application/vnd.ollama.image.model"
PROJECTOR = "application/vnd.ollama.image.projector"
ADAPTER = "application/vnd.ollama.image.adapter"
DRAFT = "application/vnd.ollama.image.draft"  # a draft model for speculative decoding
TEMPLATE = "application/vnd.ollama.image.template"
LEGACY_PROMPT = "application/vnd.ollama.image.prompt"  # older name of TEMPLATE, read only
SYSTEM = "application/vnd.ollama.image.system"
PARAMS = "application/vnd.ollama.image.params"
MESSAGES = "application/vnd.ollama.image.messages"
LICENSE = "application/vnd.ollama.image.license"

# Layers that hold weights: their blobs are GGUF files, the rest are small text/JSON blobs.
WEIGHT_LAYERS = frozenset({MODEL, PROJECTOR, ADAPTER, DRAFT})
