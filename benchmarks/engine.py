"""Engine benchmark: pollama's runner beside llama-cpp-python's high-level `Llama`.

Same model (gemma3 270M Q4_K_M), same thread count (2), same run, measured alternately.
Prints a rich table and writes it, with the machine, to benchmarks/README.md.

    .venv/bin/python benchmarks/engine.py [--tokens 128] [--repeats 2]

Measured:
- single-stream decode tok/s (first token to last, client side);
- aggregate tok/s with 1/2/4/8 concurrent streams, prompt evaluation included (`Llama`
  serves one request at a time, so its streams queue and its aggregate is its single rate);
- time to first token and prompt-eval time over 4 interleaved conversations, each with its
  own ~600-token prompt, on 4 slots: the first turn of each is cold, the second reuses the
  prefix (pollama's prefix cache keeps all four; `Llama` only keeps its last prompt).
Both engines stay loaded; each part runs on `Llama`, then at once on pollama, and the whole is
repeated: each figure is the best of `--repeats` (other work on a shared machine only slows).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from tests.fixtures.models import gemma_gguf_path  # noqa: E402

from pollama.runner import GenerateChunk, GenerateParams, RunnerClient, RunnerSpec  # noqa: E402

THREADS = 2
STREAM_COUNTS = (1, 2, 4, 8)
TURN = "<start_of_turn>user\n{}<end_of_turn>\n<start_of_turn>model\n"
STORY_PROMPTS = [TURN.format(f"Tell the story of kingdom number {i}.") for i in range(8)]
TOPICS = ["apples", "rivers", "castles", "engines"]
QUESTIONS = ("What does note 3 say?", "What does note 9 say?")  # first turn, second turn


def conversation_turn(topic: str, question: str) -> str:
    """~600 tokens of notes about one topic (a distinct long prefix), then a question."""
    notes = "\n".join(
        f"Note {i} about {topic}: item {i} weighs {i * 7 % 13} units." for i in range(48)
    )
    return TURN.format(f"You are reading a notebook.\n{notes}\n\nQuestion: {question}")


class Best:
    """Best value per (metric, engine) over repeated runs."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], float] = {}

    def add(self, metric: str, engine: str, value: float, higher_is_better: bool) -> None:
        old = self.values.get((metric, engine))
        if old is None or (value > old if higher_is_better else value < old):
            self.values[(metric, engine)] = value

    def __getitem__(self, key: tuple[str, str]) -> float:
        return self.values[key]


# ---- the baseline: llama-cpp-python's high-level Llama --------------------------------------


class Baseline:
    def __init__(self, model: Path) -> None:
        from llama_cpp import Llama

        self.llama = Llama(
            str(model), n_ctx=2048, n_batch=512, n_threads=THREADS, n_threads_batch=THREADS,
            verbose=False,
        )  # fmt: skip

    def stream(self, prompt: str, tokens: int) -> tuple[float, float, int, float]:
        """(seconds to first token, seconds first->last token, tokens, prompt-eval seconds)."""
        import llama_cpp

        ctx = self.llama.ctx
        llama_cpp.llama_perf_context_reset(ctx)
        started = time.perf_counter()
        first = last = started
        count = 0
        for _ in self.llama.create_completion(
            prompt, max_tokens=tokens, temperature=0, stream=True
        ):
            last = time.perf_counter()
            if count == 0:
                first = last
            count += 1
        prompt_eval = llama_cpp.llama_perf_context(ctx).t_p_eval_ms / 1000
        return first - started, last - first, count, prompt_eval

    def measure_throughput(self, best: Best, tokens: int) -> None:
        _, seconds, count, _ = self.stream(STORY_PROMPTS[0], tokens * 2)
        best.add("single", "Llama", (count - 1) / seconds, True)
        for streams in STREAM_COUNTS:
            started = time.perf_counter()
            total = sum(self.stream(p, tokens)[2] for p in STORY_PROMPTS[:streams])
            best.add(f"aggregate {streams}", "Llama", total / (time.perf_counter() - started), True)

    def measure_conversations(self, best: Best) -> None:
        for turn, question in zip(("cold", "cached"), QUESTIONS, strict=True):
            runs = [self.stream(conversation_turn(topic, question), 1) for topic in TOPICS]
            best.add(f"ttft {turn}", "Llama", statistics.mean(r[0] for r in runs), False)
            best.add(f"prompt {turn}", "Llama", statistics.mean(r[3] for r in runs), False)


# ---- pollama's runner -----------------------------------------------------------------------


async def timed_stream(
    client: RunnerClient, prompt: str, tokens: int
) -> tuple[float, float, GenerateChunk]:
    """(seconds to first chunk, seconds first->last chunk, final chunk)."""
    params = GenerateParams(prompt=prompt, options={"temperature": 0, "num_predict": tokens})
    started = time.perf_counter()
    first = last = 0.0
    final = GenerateChunk()
    async for chunk in client.generate(params):
        last = time.perf_counter()
        first = first or last
        final = chunk
    return first - started, last - first, final


async def measure_throughput(client: RunnerClient, best: Best, tokens: int) -> None:
    _, seconds, final = await timed_stream(client, STORY_PROMPTS[0], tokens * 2)
    best.add("single", "pollama", (final.eval_count - 1) / seconds, True)
    for streams in STREAM_COUNTS:
        started = time.perf_counter()
        runs = await asyncio.gather(
            *(timed_stream(client, p, tokens) for p in STORY_PROMPTS[:streams])
        )
        total = sum(final.eval_count for _, _, final in runs)
        best.add(f"aggregate {streams}", "pollama", total / (time.perf_counter() - started), True)


async def measure_conversations(client: RunnerClient, best: Best) -> int:
    prompt_tokens = 0
    for turn, question in zip(("cold", "cached"), QUESTIONS, strict=True):
        runs = [await timed_stream(client, conversation_turn(t, question), 1) for t in TOPICS]
        best.add(f"ttft {turn}", "pollama", statistics.mean(r[0] for r in runs), False)
        evals = [final.prompt_eval_duration / 1e9 for _, _, final in runs]
        best.add(f"prompt {turn}", "pollama", statistics.mean(evals), False)
        prompt_tokens = runs[0][2].prompt_eval_count
    return prompt_tokens


# ---- the run and its report -----------------------------------------------------------------


async def run(tokens: int, repeats: int) -> tuple[Best, int]:
    """Both engines stay loaded; each part is measured on one, then at once on the other."""
    model = gemma_gguf_path()
    best = Best()
    baseline = Baseline(model)
    baseline.stream(TURN.format("warm up"), 4)
    streams = await RunnerClient.start(
        RunnerSpec(model_path=model, num_ctx=2048, num_parallel=8, num_thread=THREADS)
    )
    slots = await RunnerClient.start(
        RunnerSpec(model_path=model, num_ctx=2048, num_parallel=4, num_thread=THREADS)
    )
    prompt_tokens = 0
    try:
        await timed_stream(streams, TURN.format("warm up"), 4)
        for _ in range(repeats):
            baseline.measure_throughput(best, tokens)  # blocks the loop: nothing else runs
            await measure_throughput(streams, best, tokens)
            baseline.measure_conversations(best)
            prompt_tokens = await measure_conversations(slots, best)
            # A fresh start for the next round: reload the 4-slot runner's cache from cold.
            await slots.close()
            slots = await RunnerClient.start(slots.spec)
    finally:
        await streams.close()
        await slots.close()
    return best, prompt_tokens


def table_rows(best: Best) -> list[list[str]]:
    base = best["single", "Llama"]
    rows = []

    def row(
        label: str, metric: str, unit: str, scale: float, reference: float, target: str
    ) -> None:
        llama, ours = best[metric, "Llama"], best[metric, "pollama"]
        cells = [f"{llama * scale:.1f} {unit}", f"{ours * scale:.1f} {unit}"]
        rows.append([label, *cells, f"{ours / reference:.2f}x", target])

    row("single-stream decode", "single", "tok/s", 1, base, ">= 0.95x")
    targets = {4: ">= 1.4x", 8: ">= 1.8x"}
    for n in STREAM_COUNTS:
        label = f"aggregate, {n} stream{'s' * (n > 1)}"
        row(label, f"aggregate {n}", "tok/s", 1, base, targets.get(n, ""))
    for turn in ("cold", "cached"):
        cold = best["ttft cold", "pollama"]
        row(f"time to first token, {turn}", f"ttft {turn}", "ms", 1000, cold, "")
    for turn in ("cold", "cached"):
        cold = best["prompt cold", "pollama"]
        target = "<= 0.3x" if turn == "cached" else ""
        row(f"prompt eval, {turn}", f"prompt {turn}", "ms", 1000, cold, target)
    return rows


HEADERS = ("metric", "Llama", "pollama", "ratio", "target")
RATIO_NOTE = (
    "ratio: throughput rows over `Llama`'s single-stream decode rate; time rows over "
    "pollama's own cold figure"
)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0))
    return f"nproc {cores}, {cpu}, {datetime.date.today().isoformat()}"


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def write_readme(
    rows: list[list[str]], machine_line: str, loads: tuple[str, str], prompt_tokens: int, args: Any
) -> None:
    lines = ["| " + " | ".join(HEADERS) + " |", "|---|---:|---:|---:|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    table = "\n".join(lines)
    text = f"""# Benchmarks

## Engine (`benchmarks/engine.py`)

`.venv/bin/python benchmarks/engine.py --tokens {args.tokens} --repeats {args.repeats}`:
gemma3 270M Q4_K_M, {THREADS} threads; pollama's runner and llama-cpp-python's high-level
`Llama` measured alternately in the same run; best of {args.repeats} runs per figure.

Machine: {machine_line}; load average {loads[0]} before the run, {loads[1]} after.

{table}

- {RATIO_NOTE}.
- `Llama` serves one request at a time, so its aggregate is its single-stream rate.
- Conversations: 4 interleaved conversations with distinct {prompt_tokens}-token prompts on 4
  slots; "cached" is each one's second turn (same long prefix, new question). `Llama` keeps
  only its last prompt, so its second turns are cold again.
- pollama evaluates prompts in aligned 128-token chunks and reuses whole chunks only (so a
  cache hit computes exactly what a cold run would): of a {prompt_tokens}-token prompt, the
  last partial chunk is evaluated again.
- The machine is shared with other work: figures move by 10-30 % between runs.
"""
    (ROOT / "benchmarks" / "README.md").write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description="pollama engine benchmark")
    parser.add_argument("--tokens", type=int, default=128, help="tokens per stream")
    parser.add_argument("--repeats", type=int, default=2, help="runs per figure (best kept)")
    args = parser.parse_args()
    machine_line, load_before = machine(), load_average()
    best, prompt_tokens = asyncio.run(run(args.tokens, args.repeats))
    rows = table_rows(best)
    table = Table(title=f"pollama engine vs llama-cpp-python Llama ({THREADS} threads)")
    for header in HEADERS:
        table.add_column(header, justify="left" if header in ("metric", "target") else "right")
    for row in rows:
        table.add_row(*row)
    console = Console()
    console.print(table)
    console.print(RATIO_NOTE)
    write_readme(rows, machine_line, (load_before, load_average()), prompt_tokens, args)


if __name__ == "__main__":
    main()
