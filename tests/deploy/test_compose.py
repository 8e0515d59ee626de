"""compose.yaml: valid YAML, the Dockerfile's port and volume, documented variables only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pollama.settings import Settings
from pollama.settings_table import ENV_VARS
from tests.deploy.dockerfile import Stage, parse_file

REPO = Path(__file__).resolve().parents[2]
DOCUMENTED = {var.name for var in ENV_VARS}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def image() -> Stage:
    return parse_file(REPO / "Dockerfile")[-1]


def test_the_service_builds_this_image_and_restarts(compose: dict[str, Any]) -> None:
    service = compose["services"]["pollama"]
    assert service["build"] == "."
    assert service["restart"] == "unless-stopped"


def test_the_port_is_the_images(compose: dict[str, Any], image: Stage) -> None:
    (mapping,) = compose["services"]["pollama"]["ports"]
    published, _, container_port = mapping.rpartition(":")
    assert published == "11434" and {container_port} == image.exposed()


def test_the_named_volume_is_the_images(compose: dict[str, Any], image: Stage) -> None:
    (mount,) = compose["services"]["pollama"]["volumes"]
    name, _, target = mount.partition(":")
    assert name in compose["volumes"]
    assert image.volumes() == [target]


def test_the_environment_is_made_of_documented_variables(compose: dict[str, Any]) -> None:
    environment = compose["services"]["pollama"]["environment"]
    assert set(environment) <= DOCUMENTED
    settings = Settings.from_env({"HOME": "/root", **environment})
    assert settings.keep_alive == 300 and settings.num_parallel == 4
    assert settings.max_loaded_models == 0


def test_the_commented_examples_name_documented_variables() -> None:
    text = (REPO / "compose.yaml").read_text(encoding="utf-8")
    commented = re.findall(r"^\s*#\s*((?:OLLAMA|POLLAMA)_[A-Z_]+):", text, flags=re.MULTILINE)
    assert "POLLAMA_API_KEYS_FILE" in commented and "POLLAMA_TLS_CERT" in commented
    assert set(commented) <= DOCUMENTED
