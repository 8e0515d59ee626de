"""The deprecated `context` of `/api/generate` round-trips exactly, control tokens included."""

from __future__ import annotations

import httpx

from tests.conftest import RunningServer

START_OF_TURN, END_OF_TURN = 105, 106  # gemma3's turn markers


def _generate(server: RunningServer, **body: object) -> dict[str, object]:
    body = {"stream": False, "options": {"temperature": 0, "num_predict": 4}, **body}
    response = httpx.post(f"{server.url}/api/generate", json=body, timeout=120)
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()
    return answer


def test_context_sent_back_is_the_tokens_the_model_saw(server: RunningServer, gemma: str) -> None:
    first = _generate(server, model=gemma, prompt="Name a colour.")
    context = first["context"]
    assert isinstance(context, list)
    assert START_OF_TURN in context and END_OF_TURN in context

    second = _generate(server, model=gemma, prompt="Another one.", context=context)
    again = second["context"]
    assert isinstance(again, list)
    assert again[: len(context)] == context  # the model saw the old turns token for token
    assert again.count(START_OF_TURN) == 2 * context.count(START_OF_TURN)
    assert int(str(second["prompt_eval_count"])) > len(context)  # one prompt: all of it

    shown = _generate(
        server, model=gemma, prompt="Another one.", context=context, _debug_render_only=True
    )
    assert str(shown["_debug_info"]).count("<start_of_turn>") == 4
