"""Speculative decoding end to end against a real server: a DRAFT model created from the CLI,
drafting by it and by prompt lookup, the acceptance counts in the final chunk and in
`--verbose`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from tests.conftest import RunningServer
from tests.fixtures.models import gemma_gguf_path

pytestmark = pytest.mark.engine

PARAGRAPH = (
    "The harbour was quiet in the early morning. Fishing boats rocked gently against the pier, "
    "their ropes creaking in the cold wind, while a few gulls circled above the water."
)
COPY_TASK = f"Repeat this paragraph exactly, changing only 'quiet' to 'calm':\n\n{PARAGRAPH}"


def final_chunk(server: RunningServer, body: dict[str, object]) -> dict[str, object]:
    reply = httpx.post(f"{server.url}/api/generate", json={**body, "stream": False}, timeout=300)
    assert reply.status_code == 200, reply.text
    answer: dict[str, object] = reply.json()
    return answer


def test_a_draft_model_drafts_and_reports_its_acceptance(
    server: RunningServer, gemma: str, tmp_path: Path
) -> None:
    # The model itself as its own draft (a copy: DRAFT may not name the FROM file): the same
    # vocabulary, and drafts the model mostly keeps.
    draft = tmp_path / "draft.gguf"
    shutil.copyfile(gemma_gguf_path(), draft)
    modelfile = f"FROM {gemma}\nDRAFT ./draft.gguf\nPARAMETER num_predict 16\n"
    (tmp_path / "Modelfile").write_text(modelfile)
    created = server.cli("create", "gemma-drafted", "-f", str(tmp_path / "Modelfile"))
    assert created.returncode == 0, created.stdout + created.stderr
    assert "DRAFT " in server.cli("show", "gemma-drafted", "--modelfile").stdout

    options = {"temperature": 0, "num_predict": 24}
    body = {"model": "gemma-drafted", "prompt": COPY_TASK, "options": options, "keep_alive": 0}
    answer = final_chunk(server, body)
    assert answer["eval_count"] == 24
    drafted, accepted = answer["draft_count"], answer["draft_accepted_count"]
    assert isinstance(drafted, int) and isinstance(accepted, int)
    assert drafted > 0 and 0 < accepted <= drafted
    off = final_chunk(server, {**body, "options": {**options, "draft_num_predict": 0}})
    assert "draft_count" not in off  # nothing drafted: no extra fields for Ollama's clients

    verbose = server.cli("run", "gemma-drafted", "--verbose", "--keepalive", "0", "Say hi.")
    assert verbose.returncode == 0, verbose.stderr
    assert "draft acceptance:" in verbose.stderr


def test_prompt_lookup_drafts_without_a_draft_model(server: RunningServer, gemma: str) -> None:
    options = {"temperature": 0, "num_predict": 48, "draft_num_predict": 8}
    body = {"model": gemma, "prompt": COPY_TASK, "options": options, "keep_alive": 0}
    answer = final_chunk(server, body)
    assert answer["eval_count"] == 48
    assert isinstance(answer["draft_count"], int) and answer["draft_count"] > 0
    plain = final_chunk(server, {**body, "options": {"temperature": 0, "num_predict": 48}})
    assert "draft_count" not in plain
    streamed = httpx.post(
        f"{server.url}/api/chat",
        json={
            "model": gemma,
            "messages": [{"role": "user", "content": COPY_TASK}],
            "options": options,
            "keep_alive": 0,
        },
        timeout=300,
    )
    last = json.loads(streamed.text.strip().splitlines()[-1])
    assert last["done"] and last["draft_count"] > 0


def test_a_negative_draft_num_predict_is_refused(server: RunningServer, gemma: str) -> None:
    reply = httpx.post(
        f"{server.url}/api/generate",
        json={"model": gemma, "prompt": "hi", "options": {"draft_num_predict": -1}},
        timeout=60,
    )
    assert reply.status_code == 400
