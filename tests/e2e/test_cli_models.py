"""The CLI verbs for managing models, against a real server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import RunningServer
from tests.fixtures.synthetic_gguf import write_tiny_gguf

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def modelfile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("modelfile")
    (root / "weights").mkdir()
    write_tiny_gguf(root / "weights" / "tiny.gguf")
    (root / "Modelfile").write_text(
        "# a comment\n"
        "FROM ./weights/tiny.gguf\n"
        'TEMPLATE """{{ if .System }}{{ .System }}\n{{ end }}{{ .Prompt }}"""\n'
        "SYSTEM You are a CLI test.\n"
        "PARAMETER temperature 0.25\n"
        "PARAMETER stop <|a|>\n"
        "PARAMETER stop <|b|>\n"
        "LICENSE Apache-2.0\n"
        "MESSAGE user Hi\n"
        "MESSAGE assistant Hello!\n"
    )
    return root


def test_create_list_show_cp_rm(server: RunningServer, modelfile_dir: Path) -> None:
    created = server.cli("create", "cli-model", "-f", str(modelfile_dir / "Modelfile"))
    assert created.returncode == 0, created.stderr
    assert "success" in created.stdout

    listed = server.cli("list")
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["NAME", "ID", "SIZE", "MODIFIED"]
    row = next(r for r in rows if r.startswith("cli-model:latest"))
    assert "KB" in row or "B" in row
    assert "ago" in row

    system = server.cli("show", "cli-model", "--system")
    assert system.stdout == "You are a CLI test."
    modelfile = server.cli("show", "cli-model", "--modelfile").stdout
    assert "PARAMETER stop <|a|>" in modelfile and "PARAMETER stop <|b|>" in modelfile
    assert "MESSAGE user Hi" in modelfile
    params = server.cli("show", "cli-model", "--parameters").stdout
    assert "temperature" in params
    summary = server.cli("show", "cli-model").stdout
    assert "Model" in summary and "architecture" in summary and "Capabilities" in summary
    both = server.cli("show", "cli-model", "--system", "--license")
    assert both.returncode == 1
    assert both.stderr.startswith("Error: only one of")

    copied = server.cli("cp", "cli-model", "cli-copy")
    assert copied.stdout.strip() == "copied 'cli-model' to 'cli-copy'"
    removed = server.cli("rm", "cli-copy")
    assert removed.stdout.strip() == "deleted 'cli-copy'"
    assert "cli-copy" not in server.cli("ls").stdout


def test_cli_errors(server: RunningServer, tmp_path: Path) -> None:
    missing = server.cli("show", "no-such-model")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "Error: model 'no-such-model:latest' not found"
    bad = tmp_path / "Modelfile"
    bad.write_text("FROM x\nBOGUS y\n")
    refused = server.cli("create", "bad-modelfile", "-f", str(bad))
    assert refused.returncode == 1
    assert "(line 2)" in refused.stderr
    invalid = server.cli("create", "bad name", "-f", str(bad))
    assert invalid.stderr.strip() == "Error: invalid model name: bad name"


def test_serve_help_lists_environment(server: RunningServer) -> None:
    helped = server.cli("serve", "--help")
    assert helped.returncode == 0
    for variable in ("OLLAMA_HOST", "OLLAMA_MODELS", "OLLAMA_KEEP_ALIVE", "OLLAMA_NUM_PARALLEL"):
        assert variable in helped.stdout
    assert server.host in helped.stdout
