"""Model names: parsing, validation, display and case resolution against a manifests tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from pollama.errors import BadRequest
from pollama.names import (
    DEFAULT_HOST,
    DEFAULT_NAMESPACE,
    DEFAULT_TAG,
    MISSING_PART,
    Name,
    resolve_case,
)

REG, LIB = DEFAULT_HOST, DEFAULT_NAMESPACE


@pytest.mark.parametrize(
    ("text", "scheme", "host", "namespace", "model", "tag"),
    [
        ("llama3.2", "https", REG, LIB, "llama3.2", "latest"),
        ("llama3.2:1b", "https", REG, LIB, "llama3.2", "1b"),
        ("gemma3:270m-it-q4_K_M", "https", REG, LIB, "gemma3", "270m-it-q4_K_M"),
        ("jdoe/tiny-chat", "https", REG, "jdoe", "tiny-chat", "latest"),
        ("jdoe/tiny-chat:v2", "https", REG, "jdoe", "tiny-chat", "v2"),
        ("hf.co/someone/Some-Model-GGUF:Q4_K_M", "https", "hf.co", "someone", "Some-Model-GGUF",
         "Q4_K_M"),
        ("example.com/team/model", "https", "example.com", "team", "model", "latest"),
        ("localhost:5000/team/model", "https", "localhost:5000", "team", "model", "latest"),
        ("localhost:5000/team/model:v1", "https", "localhost:5000", "team", "model", "v1"),
        ("http://localhost:5000/team/model:v1", "http", "localhost:5000", "team", "model", "v1"),
        ("https://example.com/team/model", "https", "example.com", "team", "model", "latest"),
        ("Registry.Ollama.AI/Library/Mixed:Case", "https", "Registry.Ollama.AI", "Library",
         "Mixed", "Case"),
        ("qwen3:cloud", "https", REG, LIB, "qwen3", "cloud"),
        ("big-model:20b-cloud", "https", REG, LIB, "big-model", "20b-cloud"),
        ("model:", "https", REG, LIB, "model", MISSING_PART),
        (":tag", "https", REG, LIB, MISSING_PART, "tag"),
        ("/model", "https", REG, MISSING_PART, "model", "latest"),
        ("ns/", "https", REG, "ns", MISSING_PART, "latest"),
        ("a//b", "https", "a", MISSING_PART, "b", "latest"),
        ("h/n/m/x", "https", "h/n", "m", "x", "latest"),
        ("", "https", REG, LIB, "", "latest"),
    ],
)  # fmt: skip
def test_parse(text: str, scheme: str, host: str, namespace: str, model: str, tag: str) -> None:
    assert Name.parse(text) == Name(scheme, host, namespace, model, tag)


def test_parse_bare_leaves_missing_parts_empty() -> None:
    assert Name.parse_bare("m") == Name("https", "", "", "m", "")
    assert Name.parse_bare("n/m:t") == Name("https", "", "n", "m", "t")
    assert Name.parse_bare("n/m").with_defaults() == Name.parse("n/m")


@pytest.mark.parametrize(
    "text",
    [
        "llama3.2",
        "llama3.2:1b",
        "_private",
        "m",
        "a" * 80,
        "n/" + "a" * 80,
        "a" * 80 + ":" + "t" * 80,
        ("h" * 350) + "/n/m",
        "my_ns/model-1.5:v1.0-rc_2",
        "hf.co/someone/Some-Model-GGUF:Q4_K_M",
        "localhost:5000/team/model:v1",
        "http://localhost:11434/team/model",
        "10.0.0.1:5000/n/m",
        "qwen3:cloud",
        "x:0",
    ],
)
def test_valid_names(text: str) -> None:
    name = Name.parse(text)
    assert name.is_valid
    assert name.validate() is name


@pytest.mark.parametrize(
    "text",
    [
        "",
        "model:",
        ":tag",
        "/model",
        "ns/",
        "a//b",
        "h/n/m/x",
        "a" * 81,
        "n" * 81 + "/m",
        "m:" + "t" * 81,
        ("h" * 351) + "/n/m",
        "my.ns/model",
        "-model",
        ".model",
        "model:-tag",
        "model:.tag",
        "_ns/-model",
        "-host/n/m",
        "model name",
        "modèle",
        "model@sha256:abc",
        "model:tag:more",
        "x:cloud:local",
        "ftp://example.com/n/m",
        "http://model",
        "http://host/model",
        "model/",
        "ns/model:a/b",
        "m+build",
    ],
)
def test_invalid_names(text: str) -> None:
    name = Name.parse(text)
    assert not name.is_valid
    with pytest.raises(BadRequest) as caught:
        name.validate()
    assert caught.value.message == "invalid model name"
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("text", "shortest", "long"),
    [
        ("llama3.2", "llama3.2:latest", "registry.ollama.ai/library/llama3.2:latest"),
        ("llama3.2:1b", "llama3.2:1b", "registry.ollama.ai/library/llama3.2:1b"),
        ("Registry.Ollama.AI/Library/Mixed:Case", "Mixed:Case",
         "Registry.Ollama.AI/Library/Mixed:Case"),
        ("jdoe/chat", "jdoe/chat:latest", "registry.ollama.ai/jdoe/chat:latest"),
        ("registry.ollama.ai/jdoe/chat:v1", "jdoe/chat:v1", "registry.ollama.ai/jdoe/chat:v1"),
        ("hf.co/someone/m:Q4", "hf.co/someone/m:Q4", "hf.co/someone/m:Q4"),
        ("hf.co/library/m", "hf.co/library/m:latest", "hf.co/library/m:latest"),
        ("http://localhost:5000/t/m", "localhost:5000/t/m:latest", "localhost:5000/t/m:latest"),
    ],
)  # fmt: skip
def test_display(text: str, shortest: str, long: str) -> None:
    name = Name.parse(text)
    assert name.display_shortest == shortest
    assert name.display_long == long
    assert str(name) == long


def test_registry_parts() -> None:
    name = Name.parse("llama3.2:1b")
    assert name.repository == "library/llama3.2"
    assert name.base_url == "https://registry.ollama.ai"
    assert name.manifest_parts() == ("registry.ollama.ai", "library", "llama3.2", "1b")
    local = Name.parse("http://localhost:5000/team/model:v1")
    assert local.repository == "team/model"
    assert local.base_url == "http://localhost:5000"
    assert local.manifest_parts() == ("localhost:5000", "team", "model", "v1")


def test_from_parts() -> None:
    name = Name.from_parts("registry.ollama.ai", "library", "gemma3", "270m")
    assert name == Name.parse("gemma3:270m")
    assert name.is_valid
    assert not Name.from_parts("registry.ollama.ai", "lib.rary", "gemma3", "270m").is_valid


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        ("llama3", "llama3:latest", True),
        ("Llama3:Latest", "llama3", True),
        ("REGISTRY.OLLAMA.AI/LIBRARY/LLAMA3:LATEST", "llama3", True),
        ("http://registry.ollama.ai/library/llama3", "llama3", True),
        ("JDoe/Chat", "jdoe/chat", True),
        ("llama3", "llama3:8b", False),
        ("llama3", "jdoe/llama3", False),
        ("llama3", "llama3.1", False),
        ("hf.co/library/llama3", "llama3", False),
    ],
)
def test_equals_fold(left: str, right: str, equal: bool) -> None:
    a, b = Name.parse(left), Name.parse(right)
    assert a.equals_fold(b) is equal
    assert (a.filepath_key() == b.filepath_key()) is equal


def test_names_are_hashable_and_frozen() -> None:
    name = Name.parse("llama3")
    assert {name, Name.parse("llama3:latest")} == {name}
    with pytest.raises(AttributeError):
        name.model = "other"  # type: ignore[misc]


# --- resolve_case ---------------------------------------------------------------------------


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    root = tmp_path / "manifests"
    for parts in [
        ("registry.ollama.ai", "library", "llama3.2", "latest"),
        ("registry.ollama.ai", "library", "llama3.2", "1b"),
        ("registry.ollama.ai", "library", "Mistral", "7B"),
        ("registry.ollama.ai", "JDoe", "Chat", "v1"),
        ("hf.co", "Someone", "Qwen-GGUF", "Q4_K_M"),
        ("localhost:5000", "team", "model", "latest"),
    ]:
        path = root.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
    (root / "registry.ollama.ai" / "library" / "llama3.2" / "Extra").mkdir()
    return root


@pytest.mark.parametrize(
    ("text", "resolved"),
    [
        ("llama3.2", "registry.ollama.ai/library/llama3.2:latest"),
        ("LLAMA3.2", "registry.ollama.ai/library/llama3.2:latest"),
        ("Llama3.2:1B", "registry.ollama.ai/library/llama3.2:1b"),
        ("llama3.2:LATEST", "registry.ollama.ai/library/llama3.2:latest"),
        ("REGISTRY.OLLAMA.AI/LIBRARY/llama3.2", "registry.ollama.ai/library/llama3.2:latest"),
        ("mistral:7b", "registry.ollama.ai/library/Mistral:7B"),
        ("jdoe/chat:V1", "registry.ollama.ai/JDoe/Chat:v1"),
        ("HF.CO/someone/qwen-gguf:q4_k_m", "hf.co/Someone/Qwen-GGUF:Q4_K_M"),
        ("LOCALHOST:5000/Team/Model", "localhost:5000/team/model:latest"),
        # parts without a match keep their spelling; so do all parts after them
        ("Llama3.2:8B", "registry.ollama.ai/library/llama3.2:8B"),
        ("NewModel", "registry.ollama.ai/library/NewModel:latest"),
        ("JDOE/Other:V1", "registry.ollama.ai/JDoe/Other:V1"),
        ("Other.Host/JDoe/Chat:V1", "Other.Host/JDoe/Chat:V1"),
        # a directory at the tag level is not a manifest
        ("llama3.2:extra", "registry.ollama.ai/library/llama3.2:extra"),
    ],
)
def test_resolve_case(manifests: Path, text: str, resolved: str) -> None:
    assert resolve_case(Name.parse(text), manifests).display_long == resolved


def test_resolve_case_keeps_scheme(manifests: Path) -> None:
    name = resolve_case(Name.parse("http://LOCALHOST:5000/team/model"), manifests)
    assert name == Name("http", "localhost:5000", "team", "model", "latest")


def test_resolve_case_prefers_exact_spelling(tmp_path: Path) -> None:
    base = tmp_path / "registry.ollama.ai" / "library"
    for model in ("Foo", "foo"):
        (base / model).mkdir(parents=True, exist_ok=True)
        (base / model / "latest").write_text("{}")
    if len(list(base.iterdir())) < 2:
        pytest.skip("case-insensitive file system")
    assert resolve_case(Name.parse("foo"), tmp_path).model == "foo"
    assert resolve_case(Name.parse("Foo"), tmp_path).model == "Foo"
    assert resolve_case(Name.parse("FOO"), tmp_path).model == "Foo"  # first in sorted order


def test_resolve_case_without_store(tmp_path: Path) -> None:
    name = Name.parse("Some/Model:Tag")
    assert resolve_case(name, tmp_path / "missing") == name
    assert resolve_case(name, tmp_path) == name
    assert DEFAULT_TAG == "latest"
