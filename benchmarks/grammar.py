"""Grammar benchmark: what constrained decoding costs, against unconstrained decoding measured in
the same run on the same runner (gemma3 270M Q4_K_M, 2 threads, temperature 1).

    .venv/bin/python benchmarks/grammar.py [--tokens 64] [--repeats 3]

Cases (each the best of `--repeats`, decode tok/s from the runner's own eval timings):
- none: no grammar;
- json schema: a `format` schema with bounded strings (`serving.formats`);
- format "json": any JSON object;
- thinking, then schema: the free-text thinking prefix (`serving.grammar_rules`), prompt ending
  inside `<think>`, so every token goes through a grammar that accepts almost anything.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from tests.fixtures.models import gemma_gguf_path  # noqa: E402

from pollama.runner import GenerateParams, RunnerClient, RunnerSpec  # noqa: E402
from pollama.serving.formats import decode_format  # noqa: E402
from pollama.serving.grammar_rules import after_thinking  # noqa: E402

TURN = "<start_of_turn>user\n{}<end_of_turn>\n<start_of_turn>model\n"
SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 40},
        "year": {"type": "integer"},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 12}, "maxItems": 4},
    },
    "required": ["title", "year", "tags"],
}


def cases() -> list[tuple[str, str, str | None]]:
    schema = decode_format(SCHEMA)
    any_json = decode_format("json")
    assert schema is not None and any_json is not None
    prompt = TURN.format("Describe a famous book as JSON.")
    thinking = after_thinking(schema.grammar, "<think>", "</think>", inside=True)
    return [
        ("none", prompt, None),
        ("json schema", prompt, schema.grammar),
        ('format "json"', prompt, any_json.grammar),
        ("thinking, then schema", prompt + "<think>", thinking),
    ]


async def decode_rate(client: RunnerClient, prompt: str, grammar: str | None, tokens: int) -> float:
    params = GenerateParams(
        prompt=prompt,
        options={"temperature": 1.0, "seed": 11, "num_predict": tokens},
        grammar=grammar,
    )
    final = None
    async for chunk in client.generate(params):
        final = chunk
    assert final is not None and final.eval_count and final.eval_duration
    return final.eval_count / (final.eval_duration / 1e9)


async def run(tokens: int, repeats: int) -> list[tuple[str, float]]:
    spec = RunnerSpec(model_path=gemma_gguf_path(), num_ctx=2048, num_parallel=1, num_thread=2)
    client = await RunnerClient.start(spec)
    try:
        best: dict[str, float] = {}
        for _ in range(repeats):
            for name, prompt, grammar in cases():
                rate = await decode_rate(client, prompt, grammar, tokens)
                best[name] = max(best.get(name, 0.0), rate)
        return list(best.items())
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rates = asyncio.run(run(args.tokens, args.repeats))
    baseline = rates[0][1]
    title = f"decode with grammars (best of {args.repeats}, up to {args.tokens} tokens)"
    table = Table(title=title)
    for header in ("case", "tok/s", "ratio to none"):
        table.add_column(header, justify="left" if header == "case" else "right")
    for name, rate in rates:
        table.add_row(name, f"{rate:.1f}", f"{rate / baseline:.2f}x")
    Console().print(table)


if __name__ == "__main__":
    main()
