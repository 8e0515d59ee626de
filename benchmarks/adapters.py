"""LoRA benchmark: the cost of mixed adapter sets on one runner.

One runner (gemma3 270M Q4_K_M, 4 slots, 2 threads) serves 4 concurrent greedy streams in
three ways: all on the base, all on one LoRA adapter, and each on its own adapter (a mixed
step decodes one batch per adapter set). Prints the aggregate decode tok/s of each (first
token to last token, over all streams), best of `--repeats`.

    .venv/bin/python benchmarks/adapters.py [--tokens 64] [--repeats 2]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.fixtures.lora import write_lora  # noqa: E402
from tests.fixtures.models import gemma_gguf_path  # noqa: E402

from pollama.runner import GenerateParams, RunnerClient, RunnerSpec  # noqa: E402

STREAMS = 4
PROMPTS = [
    f"<start_of_turn>user\nTell me about {topic}.<end_of_turn>\n<start_of_turn>model\n"
    for topic in ("the sea", "mountains", "cities", "forests")
]


async def decode_rate(runner: RunnerClient, sets: list[tuple[str, ...]], tokens: int) -> float:
    """Aggregate decode tok/s of one stream per adapter set, run at once."""

    async def stream(prompt: str, adapters: tuple[str, ...]) -> tuple[float, float, int]:
        options = {"temperature": 0, "num_predict": tokens, "stop": []}
        params = GenerateParams(prompt=prompt, options=options, adapters=adapters)
        first = last = 0.0
        count = 0
        async for chunk in runner.generate(params):
            now = time.perf_counter()
            if chunk.text:
                first = first or now
                last = now
            if chunk.done:
                count = chunk.eval_count
        return first, last, count

    results = await asyncio.gather(*(stream(p, s) for p, s in zip(PROMPTS, sets, strict=True)))
    start = min(r[0] for r in results)
    end = max(r[1] for r in results)
    return sum(r[2] for r in results) / max(end - start, 1e-9)


async def main(tokens: int, repeats: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        loras = [str(write_lora(Path(folder) / f"lora{i}.gguf", i)) for i in range(STREAMS)]
        spec = RunnerSpec(model_path=gemma_gguf_path(), num_ctx=1024, num_parallel=4, num_thread=2)
        runner = await RunnerClient.start(spec)
        cases = {
            "4 base streams": [()] * STREAMS,
            "4 streams, one adapter": [(loras[0],)] * STREAMS,
            "4 streams, 4 adapters": [(lora,) for lora in loras],
        }
        try:
            await decode_rate(runner, [(lora,) for lora in loras], 4)  # load every adapter
            best = dict.fromkeys(cases, 0.0)
            for _ in range(repeats):
                for name, sets in cases.items():
                    best[name] = max(best[name], await decode_rate(runner, sets, tokens))
        finally:
            await runner.close()
    print(f"aggregate decode tok/s, {STREAMS} streams x {tokens} tokens, best of {repeats}")
    for name, rate in best.items():
        print(f"  {name:<24} {rate:7.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(main(args.tokens, args.repeats))
