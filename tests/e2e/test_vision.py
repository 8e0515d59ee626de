"""Images through a projector on a real server: a model made of the gemma GGUF and a
generated projector (random weights) reports `vision`, and on all four APIs an image reaches
the model (its tokens in the counts, greedy output that follows the image and repeats for
the same image, the prefix cache covering an image only for that image). A broken projector
is refused at create; a model without one keeps answering "does not support vision"."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import ollama
import openai
import pytest

from pollama import modelfile
from pollama.default_model import modelfile_text
from tests.conftest import RunningServer, create_gemma, start_server, stop_server
from tests.fixtures.models import gemma_gguf_path
from tests.fixtures.projector import TOKENS_PER_IMAGE, png, write_projector

pytestmark = [pytest.mark.e2e, pytest.mark.engine]

PLAIN = "gemma3:270m"
VISION = "vis:latest"
QUESTION = "Describe the picture in a few words."
# A long system text before the image, so that a warm slot's reusable prefix (through the
# image) is worth more than the tokens after it that it throws away.
SYSTEM = (
    "You help people who cannot see to understand pictures. Look closely at the colours, "
    "the shapes and the textures in the image, then answer briefly and plainly, without "
    "guessing at anything the picture does not show, and say so when it is unclear."
)
RED = base64.b64encode(png(16, 16, (255, 0, 0))).decode()
NOISE = base64.b64encode(png(40, 24, (0, 0, 0), seed=7)).decode()
OPTIONS = {"temperature": 0, "num_predict": 12}
# The projector's weights are random: two images can still lead greedy decoding to the same
# words on some CPUs, but never to the same probabilities. The native calls ask for them.
LOGPROBS = {"logprobs": True, "top_logprobs": 3}
# An image's positions and mtmd's <start_of_image> / <end_of_image> around them (the text on
# either side of its tag is tokenized apart, which may add or merge a token or two).
IMAGE_GROWTH = range(TOKENS_PER_IMAGE + 1, TOKENS_PER_IMAGE + 5)


def create_vision(url: str, name: str, projector: Path) -> None:
    """The gemma model with the projector as a second GGUF, settings from the shipped Modelfile."""
    gguf = gemma_gguf_path()
    plan = modelfile.parse(modelfile_text(gguf)).to_create_plan(gguf.parent)
    client = ollama.Client(host=url)
    files = {gguf.name: client.create_blob(gguf), projector.name: client.create_blob(projector)}
    client.create(model=name, files=files, template=plan.template, parameters=plan.parameters)


@pytest.fixture(scope="module")
def vision_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("vision")
    running = start_server(root)
    try:
        create_gemma(running.url, PLAIN)
        create_vision(running.url, VISION, write_projector(root / "mmproj.gguf"))
        yield running
    finally:
        stop_server(running.process)


def generate(
    server: RunningServer, images: list[str], model: str = VISION, system: str = ""
) -> dict[str, Any]:
    answer = httpx.post(
        f"{server.url}/api/generate",
        json={"model": model, "prompt": QUESTION, "system": system, "images": images,
              "stream": False, "options": OPTIONS, **LOGPROBS},
        timeout=180,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def chat(server: RunningServer, images: list[str], system: str = "") -> dict[str, Any]:
    message: dict[str, Any] = {"role": "user", "content": QUESTION}
    if images:
        message["images"] = images
    messages = [{"role": "system", "content": system}, message] if system else [message]
    answer = httpx.post(
        f"{server.url}/api/chat",
        json={
            "model": VISION,
            "messages": messages,
            "stream": False,
            "options": OPTIONS,
            **LOGPROBS,
        },
        timeout=180,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def seen(answer: dict[str, Any]) -> list[list[tuple[str, float]]]:
    """The tokens an answer's first steps weighed, with their log-probabilities."""
    return [
        [(top["token"], top["logprob"]) for top in step["top_logprobs"]]
        for step in answer["logprobs"][:3]
    ]


def test_the_model_reports_vision(vision_server: RunningServer) -> None:
    shown = httpx.post(f"{vision_server.url}/api/show", json={"model": VISION}).json()
    assert "vision" in shown["capabilities"]
    plain = httpx.post(f"{vision_server.url}/api/show", json={"model": PLAIN}).json()
    assert "vision" not in plain["capabilities"]


@pytest.mark.parametrize("api", ["generate", "chat"])
def test_native_apis_reach_the_model_and_the_cache_keeps_the_image(
    vision_server: RunningServer, api: str
) -> None:
    call = generate if api == "generate" else chat
    text_key = "response" if api == "generate" else "message"
    plain = call(vision_server, [])
    red = call(vision_server, [RED])
    assert red["prompt_eval_count"] - plain["prompt_eval_count"] in IMAGE_GROWTH
    assert call(vision_server, [RED])[text_key] == red[text_key]
    noise = call(vision_server, [NOISE])
    assert noise["prompt_eval_count"] == red["prompt_eval_count"]
    assert seen(noise) != seen(red)  # what the model makes of the image depends on the image

    # the same prompt and image: everything through the image comes from the cache
    first = call(vision_server, [RED], system=SYSTEM)
    warm = call(vision_server, [RED], system=SYSTEM)
    assert warm[text_key] == first[text_key]
    system_tokens = first["prompt_eval_count"] - red["prompt_eval_count"]
    assert warm["prompt_cache_count"] >= system_tokens + TOKENS_PER_IMAGE
    # another image: the text before it is reused, the first image's cells are not
    other = call(vision_server, [NOISE], system=SYSTEM)
    assert 0 < other.get("prompt_cache_count", 0) <= warm["prompt_cache_count"] - TOKENS_PER_IMAGE


def test_openai_image_url(vision_server: RunningServer) -> None:
    client = openai.OpenAI(base_url=vision_server.url + "/v1", api_key="x", max_retries=0)

    def ask(image: str | None) -> tuple[str, int, list[list[tuple[str, float]]]]:
        content: list[dict[str, Any]] = [{"type": "text", "text": QUESTION}]
        if image is not None:
            url = f"data:image/png;base64,{image}"
            content.insert(0, {"type": "image_url", "image_url": {"url": url}})
        answer = client.chat.completions.create(
            model=VISION,
            messages=[{"role": "user", "content": content}],  # type: ignore[misc,list-item]
            temperature=0,
            max_tokens=12,
            logprobs=True,
            top_logprobs=3,
        )
        assert answer.usage is not None
        choice = answer.choices[0]
        assert choice.logprobs is not None and choice.logprobs.content is not None
        weighed = [
            [(top.token, top.logprob) for top in step.top_logprobs]
            for step in choice.logprobs.content[:3]
        ]
        return choice.message.content or "", answer.usage.prompt_tokens, weighed

    _, plain_tokens, _ = ask(None)
    red = ask(RED)
    assert red[1] > plain_tokens + TOKENS_PER_IMAGE
    assert ask(RED) == red
    noise = ask(NOISE)
    assert noise[1] == red[1] and noise[2] != red[2]


def test_anthropic_image_block(vision_server: RunningServer) -> None:
    client = anthropic.Anthropic(base_url=vision_server.url, api_key="x", max_retries=0)

    def content(image: str | None) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = [{"type": "text", "text": QUESTION}]
        if image is not None:
            source = {"type": "base64", "media_type": "image/png", "data": image}
            blocks.insert(0, {"type": "image", "source": source})
        return blocks

    def ask(image: str | None) -> tuple[str, int]:
        answer = client.messages.create(
            model=VISION,
            max_tokens=12,
            messages=[{"role": "user", "content": content(image)}],  # type: ignore[list-item,misc]
            extra_body={"temperature": 0},
        )
        usage = answer.usage
        prompt = usage.input_tokens + (usage.cache_read_input_tokens or 0)
        text = "".join(block.text for block in answer.content if block.type == "text")
        return text, prompt

    def counted(image: str | None) -> int:
        answer = client.messages.count_tokens(
            model=VISION,
            messages=[{"role": "user", "content": content(image)}],  # type: ignore[list-item,misc]
        )
        return answer.input_tokens

    _, plain_tokens = ask(None)
    red, red_tokens = ask(RED)
    assert red_tokens - plain_tokens in IMAGE_GROWTH
    assert ask(RED) == (red, red_tokens)
    noise, noise_tokens = ask(NOISE)
    assert noise_tokens == red_tokens
    # the same image bytes reach the model as through /api/chat (whose test shows the answer
    # depends on the image)
    assert noise == chat(vision_server, [NOISE])["message"]["content"]
    assert red == chat(vision_server, [RED])["message"]["content"]
    # count_tokens counts an image as the runner evaluates it
    assert counted(None) == plain_tokens
    assert counted(RED) == red_tokens


def test_a_broken_projector_is_refused_at_create(
    vision_server: RunningServer, tmp_path: Path
) -> None:
    good = write_projector(tmp_path / "good.gguf")
    broken = tmp_path / "mmproj.gguf"
    broken.write_bytes(good.read_bytes()[:5000])
    client = ollama.Client(host=vision_server.url)
    gguf = gemma_gguf_path()
    files = {gguf.name: client.create_blob(gguf), broken.name: client.create_blob(broken)}
    answer = httpx.post(
        f"{vision_server.url}/api/create",
        json={"model": "broken-vision", "files": files},
        timeout=120,
    )
    assert answer.status_code == 400, answer.text
    assert "truncated GGUF" in answer.json()["error"]
    assert generate(vision_server, [], model=PLAIN)["response"]  # the server is still up


def test_a_projector_for_another_model_fails_the_load_clearly(
    vision_server: RunningServer, tmp_path: Path
) -> None:
    other = write_projector(tmp_path / "mmproj.gguf", text_embd=320)
    create_vision(vision_server.url, "vision-mismatch", other)
    answer = httpx.post(
        f"{vision_server.url}/api/generate",
        json={"model": "vision-mismatch", "prompt": QUESTION, "images": [RED], "stream": False},
        timeout=180,
    )
    assert answer.status_code == 500, answer.text
    assert "unable to load projector" in answer.json()["error"]
    assert generate(vision_server, [], model=PLAIN)["response"]  # the server is still up


def test_a_model_without_projector_does_not_support_vision(
    vision_server: RunningServer,
) -> None:
    for path, body in (
        ("/api/generate", {"prompt": "x", "images": [RED]}),
        ("/api/chat", {"messages": [{"role": "user", "content": "x", "images": [RED]}]}),
    ):
        answer = httpx.post(f"{vision_server.url}{path}", json={"model": PLAIN, **body})
        assert answer.status_code == 400
        assert "does not support vision" in answer.json()["error"]
