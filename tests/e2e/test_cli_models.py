"""The CLI verbs for managing models, against a real server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pollama.default_model import modelfile_text
from tests.cli.pty_terminal import Terminal
from tests.conftest import RunningServer
from tests.fixtures.models import gemma_gguf_path
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


def test_show_verbose_of_the_real_model(server: RunningServer, gemma: str) -> None:
    # 262,144 vocabulary tokens, some looking like rich markup (`[/...`): cut, printed as is.
    shown = server.cli("show", gemma, "-v")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert "  Metadata" in lines and "  Tensors" in lines
    rows = {line.split()[0]: line.split(None, 1)[-1] for line in lines if line.startswith("    ")}
    assert re.fullmatch(r"\[.+ \.\.\.\+\d+ more\]", rows["tokenizer.ggml.tokens"].strip())
    assert rows["gemma3.context_length"].strip() == "32768"
    assert rows["token_embd.weight"].split()[1:] == ["[640", "262144]"]
    assert len(shown.stdout) < 100_000


def test_repl_save_of_a_model_made_from_a_gguf(
    server: RunningServer, gemma: str, tmp_path: Path
) -> None:
    # The model's parent is the GGUF's file name: /save must build on the model itself.
    modelfile = tmp_path / "Modelfile"
    own_settings = (
        "SYSTEM You are terse.\n"
        "PARAMETER temperature 0.3\n"
        "PARAMETER num_predict 4\n"
        "MESSAGE user Hi\n"
        "MESSAGE assistant Hello!\n"
    )
    modelfile.write_text(modelfile_text(gemma_gguf_path()) + own_settings)
    created = server.cli("create", "gguf-saver", "-f", str(modelfile))
    assert created.returncode == 0, created.stderr

    session = Terminal(["run", "gguf-saver"], server.env)
    try:
        session.expect(b"Hello!", 120)  # the model's MESSAGE history, replayed
        session.expect(b">>> ")
        session.send("/set parameter top_k 7")
        session.expect(b"Set parameter 'top_k' to '7'")
        session.expect(b">>> ")
        session.send("Hi again")
        session.expect(b">>> ", 120)
        session.send("/save gguf-saved")
        session.expect(b"Created new model 'gguf-saved'", 60)
        session.expect(b">>> ")
        session.send("/bye")
        assert session.process.wait(timeout=30) == 0
    finally:
        session.close()

    assert server.cli("show", "gguf-saved", "--system").stdout == "You are terse."
    saved = server.cli("show", "gguf-saved", "--modelfile").stdout
    for line in (
        "PARAMETER temperature 0.3",
        "PARAMETER num_predict 4",
        "PARAMETER top_k 7",
        "PARAMETER stop <end_of_turn>",
        "MESSAGE user Hi",
        "MESSAGE assistant Hello!",
        "MESSAGE user Hi again",
    ):
        assert line in saved.splitlines(), saved
    assert server.cli("rm", "gguf-saver", "gguf-saved").returncode == 0
