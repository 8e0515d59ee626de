"""pollama against llama.cpp's own llama-server, through HTTP, in one run.

Same model (gemma3 270M Q4_K_M), 4 slots of 4096 tokens, 2 threads on both sides; llama-server
is built once from the llama.cpp that the pinned llama-cpp-python vendors (benchmarks/
llama_server.py). Every figure is measured on both engines in turn (the order alternates
each round) and is the best of `--repeats` rounds: other work on a shared machine only slows.

    .venv/bin/python benchmarks/compare.py [--quick] [--write-readme]

`--write-readme` replaces the section of README.md between the markers below with the table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from benchmarks import llama_server  # noqa: E402
from benchmarks import workloads as work  # noqa: E402
from benchmarks.workloads import LLAMA, POLLAMA  # noqa: E402

START_MARKER = "<!-- bench:llama-server:start -->"
END_MARKER = "<!-- bench:llama-server:end -->"
HEADERS = ("metric", LLAMA, POLLAMA, "ratio", "target", "met")
SLOTS, NUM_CTX, THREADS = 4, 4096, 2


# ---- figures, targets and the table (pure: tested without servers) -------------------------


@dataclass(frozen=True)
class Target:
    """`ratio >= 1.0`, or a bound on pollama's own figure (`on="pollama"`)."""

    op: str  # ">=" or "<="
    bound: float
    on: str = "ratio"

    def text(self) -> str:
        sign = "≥" if self.op == ">=" else "≤"
        return f"{'pollama ' if self.on == POLLAMA else ''}{sign} {self.bound:.2f}x"

    def met(self, ratio: float | None, ours: float | None) -> bool | None:
        value = ours if self.on == POLLAMA else ratio
        if value is None:
            return None
        return value >= self.bound if self.op == ">=" else value <= self.bound


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str  # "tok/s", "ms", "s", "x" (a ratio of two figures) or "%"
    higher_is_better: bool
    target: Target | None = None


METRICS = (
    Metric("decode 1", "aggregate decode, 1 stream", "tok/s", True, Target(">=", 1.0)),
    Metric("decode 3", "aggregate decode, 3 concurrent", "tok/s", True, Target(">=", 1.0)),
    Metric("decode 4", "aggregate decode, 4 concurrent", "tok/s", True, Target(">=", 1.0)),
    Metric("decode 8", "aggregate decode, 8 concurrent (queued)", "tok/s", True, Target(">=", 1.0)),
    Metric("prefill", "prefill of a cold long prompt", "tok/s", True, Target(">=", 0.95)),
    Metric(
        "prefix", "prefix cache: warm/cold time to first token, 4 interleaved conversations",
        "x", False, Target("<=", 1.0),
    ),
    Metric(
        "short ttft", "time to first token, short request behind 3 long prefills",
        "ms", False, Target("<=", 0.25),
    ),
    Metric("long total", "the 3 long prompts' total time", "s", False, Target("<=", 1.1)),
    Metric(
        "invariant 4", "batch-invariant mode, aggregate decode, 4 concurrent",
        "tok/s", True, Target(">=", 0.85),
    ),
    Metric(
        "copy decode", "prompt lookup, copy task: tokens over request time",
        "tok/s", True, Target(">=", 1.0),
    ),
    Metric(
        "copy speedup", "prompt lookup, copy task: speedup over no drafting",
        "x", True, Target(">=", 1.5, POLLAMA),
    ),
    Metric(
        "fresh speedup", "prompt lookup, nothing to copy: speedup over no drafting",
        "x", True, Target(">=", 0.95, POLLAMA),
    ),
    Metric("copy acceptance", "prompt lookup, copy task: drafts accepted", "%", True),
)  # fmt: skip
# Measured but not shown: the table's ratios of them are taken from the best of each.
RAW_METRICS = (
    Metric("prefix cold", "cold turns' mean time to first token", "s", False),
    Metric("prefix warm", "warm turns' mean time to first token", "s", False),
    *(Metric(f"{task} {way}", f"{task} task, {way}", "tok/s", True)
      for task in ("copy", "fresh") for way in ("plain", "drafted")),
)  # fmt: skip
# Derived figure: (numerator, denominator); "invariant 4" of llama-server is its "decode 4".
QUOTIENTS = {
    "prefix": ("prefix warm", "prefix cold"),
    "copy speedup": ("copy drafted", "copy plain"),
    "fresh speedup": ("fresh drafted", "fresh plain"),
}


class Best:
    """The best value of each (metric, engine) over the rounds."""

    def __init__(self, verbose: bool = False) -> None:
        self.values: dict[tuple[str, str], float] = {}
        self.verbose = verbose  # print each figure as it is measured

    def add(self, metric: Metric, engine: str, value: float) -> None:
        if self.verbose:
            print(f"  {metric.key}, {engine}: {value:.3f}", file=sys.stderr, flush=True)
        old = self.values.get((metric.key, engine))
        better = old is None or (value > old if metric.higher_is_better else value < old)
        if better:
            self.values[(metric.key, engine)] = value

    def get(self, key: str, engine: str) -> float | None:
        return self.values.get((key, engine))


def derive(best: Best) -> Best:
    """The table's figures: the measured ones plus those computed from them."""
    table = Best()
    table.values = dict(best.values)
    for engine in (POLLAMA, LLAMA):
        for key, (top, bottom) in QUOTIENTS.items():
            value = ratio(best.get(top, engine), best.get(bottom, engine))
            if value is not None:
                table.values[(key, engine)] = value
        drafted = best.get("copy drafted", engine)
        if drafted is not None:
            table.values[("copy decode", engine)] = drafted
    plain = best.get("decode 4", LLAMA)
    if best.get("invariant 4", POLLAMA) is not None and plain is not None:
        table.values[("invariant 4", LLAMA)] = plain
    return table


def ratio(ours: float | None, theirs: float | None) -> float | None:
    """pollama's figure over llama-server's; None when either is missing or theirs is 0."""
    if ours is None or theirs is None or theirs == 0:
        return None
    return ours / theirs


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "ms":
        return f"{value * 1000:.0f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "x":
        return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"
    if unit == "%":
        return f"{value * 100:.1f} %"
    return f"{value:.1f} {unit}"


def table_rows(best: Best, metrics: Sequence[Metric] = METRICS) -> list[list[str]]:
    rows = []
    for metric in metrics:
        theirs, ours = best.get(metric.key, LLAMA), best.get(metric.key, POLLAMA)
        quotient = ratio(ours, theirs)
        met = metric.target.met(quotient, ours) if metric.target else None
        rows.append([
            metric.label,
            format_value(theirs, metric.unit),
            format_value(ours, metric.unit),
            "n/a" if quotient is None else f"{quotient:.2f}x",
            metric.target.text() if metric.target else "",
            {True: "yes", False: "no", None: ""}[met],
        ])  # fmt: skip
    return rows


def markdown_table(rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|---|---:|---:|---:|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


class MarkersMissing(ValueError):
    pass


def replace_section(text: str, body: str) -> str:
    """`text` with what lies between the two markers replaced by `body` (markers kept)."""
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    if start < 0 or end < 0 or end < start or text.count(START_MARKER) != 1:
        raise MarkersMissing(
            f"README.md needs exactly one {START_MARKER} line followed by one {END_MARKER} line"
        )
    head = text[: start + len(START_MARKER)]
    return f"{head}\n{body.strip()}\n{text[end:]}"


def metric(key: str) -> Metric:
    return next(m for m in (*METRICS, *RAW_METRICS) if m.key == key)


# ---- servers ---------------------------------------------------------------------------------


def pollama_has_setting(name: str) -> bool:
    command = [sys.executable, "-m", "pollama", "serve", "--help"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    return name in done.stdout + done.stderr


@contextlib.contextmanager
def pollama_server(root: Path, extra_env: dict[str, str]) -> Iterator[str]:
    """A real `pollama serve` with its own store under `root`, gemma3:270m created in it."""
    from tests.conftest import create_gemma, start_server, stop_server

    env = {"OLLAMA_NUM_PARALLEL": str(SLOTS), "OLLAMA_KEEP_ALIVE": "-1", **extra_env}
    running = start_server(root, env)
    try:
        create_gemma(running.url)
        yield running.url
    finally:
        stop_server(running.process)


def plain_layout_flags(binary: Path, run: work.Settings) -> tuple[str, ...]:
    """llama-server's flags for the weight layout pollama loads: where llama.cpp's build has
    AMX kernels, pollama does not repack (their repacked weights crash: see
    pollama.runner.model.repacking_is_safe), and neither may llama-server."""
    from pollama.runner.model import repacking_is_safe

    if repacking_is_safe():
        return ()
    run.note(
        "llama.cpp was built with AMX kernels here, whose repacked weights crash: both servers"
        " load the plain weight layout (llama-server `--no-repack`)."
    )
    return ("--no-repack",) if "--no-repack" in llama_server.help_text(binary) else ()


async def run_all(engines: work.Engines, run: work.Settings) -> Best:
    best = Best(verbose=True)
    await work.measure(engines, run, lambda key, engine, v: best.add(metric(key), engine, v))
    return best


def start_and_measure(binary: Path, run: work.Settings, work_dir: Path) -> Best:
    from tests.fixtures.models import gemma_gguf_path

    model = gemma_gguf_path()
    layout = plain_layout_flags(binary, run)
    config = llama_server.ServerConfig(model, SLOTS, NUM_CTX, THREADS, layout)
    # its own draft sizes (lookup 12, draft 48)
    spec_flags = (*layout, "--spec-type", "ngram-simple")
    has_ngram = "ngram-simple" in llama_server.help_text(binary)
    has_invariant = pollama_has_setting("POLLAMA_BATCH_INVARIANT")
    if not has_ngram:
        run.note("llama-server has no --spec-type ngram-simple: its lookup rows are n/a.")
    if not has_invariant:
        run.note("pollama serve --help lists no POLLAMA_BATCH_INVARIANT: that row is n/a.")
    with contextlib.ExitStack() as stack:
        enter = stack.enter_context
        plain = enter(llama_server.running(binary, config, work_dir / "llama-server.log"))
        ngram = None
        if has_ngram:
            config_ngram = llama_server.ServerConfig(model, SLOTS, NUM_CTX, THREADS, spec_flags)
            ngram = enter(llama_server.running(binary, config_ngram, work_dir / "ngram.log"))
        url = enter(pollama_server(work_dir / "pollama", {}))
        invariant_url = None
        if has_invariant:
            env = {"POLLAMA_BATCH_INVARIANT": "1"}
            invariant_url = enter(pollama_server(work_dir / "pollama-invariant", env))

        def pollama_endpoint(name: str, url: str) -> work.PollamaEndpoint:
            return work.PollamaEndpoint(name, url, "gemma3:270m", NUM_CTX, THREADS)

        engines = work.Engines(
            pollama_endpoint(POLLAMA, url),
            work.LlamaServerEndpoint(LLAMA, plain.url),
            pollama_endpoint("pollama-invariant", invariant_url) if invariant_url else None,
            work.LlamaServerEndpoint("llama-server-ngram", ngram.url) if ngram else None,
        )
        return asyncio.run(run_all(engines, run))


# ---- the report ------------------------------------------------------------------------------


def readme_section(rows: list[list[str]], run: work.Settings, machine_line: str, loads: str) -> str:
    command = "`.venv/bin/python benchmarks/compare.py --write-readme`"
    notes = [
        f"{command}: gemma3 270M Q4_K_M, {SLOTS} slots x {NUM_CTX} tokens, {THREADS} threads,"
        f" {run.tokens} tokens a stream, greedy; best of {run.repeats} interleaved rounds.",
        f"Machine: {machine_line}; load average {loads}.",
        "",
        markdown_table(rows),
        "",
        f"- Long prompts: {run.prompt_tokens} tokens. Ratio: pollama over llama-server;"
        " a `pollama` target bounds pollama's own figure.",
        f"- Prompt lookup: pollama `draft_num_predict: {work.DRAFT}` against the same request"
        " without it; llama-server `--spec-type ngram-simple` (its default sizes) against"
        " its plain server.",
        "- Batch-invariant: pollama with `POLLAMA_BATCH_INVARIANT=1` against plain llama-server.",
        "- The machine is shared with other work: a disturbed round only loses (best of the"
        " rounds is kept), but figures move by 10-30 % between runs.",
    ]
    notes += [f"- {note}" for note in run.notes]
    return "\n".join(notes)


def print_table(rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"pollama vs llama-server ({SLOTS} slots, {THREADS} threads)")
    for header in HEADERS:
        table.add_column(header, justify="right" if header in (LLAMA, POLLAMA, "ratio") else "left")
    for row in rows:
        table.add_row(*row)
    Console(width=150).print(table)


def main(argv: Sequence[str] | None = None) -> int:
    from benchmarks.engine import load_average, machine

    parser = argparse.ArgumentParser(description="pollama vs llama-server")
    parser.add_argument("--quick", action="store_true", help="one round, short prompts")
    parser.add_argument("--repeats", type=int, default=3, help="rounds (best kept)")
    parser.add_argument("--write-readme", action="store_true", help="update README.md")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # A plain `kill` still stops the servers: the context managers' cleanup runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.write_readme:  # fail before the long run, not after it
        try:
            replace_section(args.readme.read_text(), "")
        except MarkersMissing as missing:
            parser.error(f"{args.readme}: {missing}")
    # ~21 tokens a line of notes: 78 lines make the ~1,700-token long prompts.
    quick = work.Settings(repeats=1, tokens=24, lines=30)
    run = quick if args.quick else work.Settings(repeats=args.repeats, tokens=128, lines=78)
    home = llama_server.build_home()
    try:
        home.mkdir(parents=True, exist_ok=True)
        with (home / "build.log").open("a") as log:
            if not llama_server.binary_path().is_file() and not llama_server.missing_build_tools():
                print(f"building llama-server (several minutes; log: {home / 'build.log'})")
            binary = llama_server.build(log=log)
    except llama_server.BuildSkipped as skipped:
        print(skipped)
        return 0
    except subprocess.CalledProcessError:
        print(f"building llama-server failed; see {home / 'build.log'}", file=sys.stderr)
        return 1
    machine_line, before = machine(), load_average()
    with tempfile.TemporaryDirectory(prefix="pollama-bench-") as work_dir:
        best = start_and_measure(binary, run, Path(work_dir))
    loads = f"{before} before the run, {load_average()} after"
    rows = table_rows(derive(best))
    print_table(rows)
    for note in run.notes:
        print(note)
    if args.write_readme:
        section = readme_section(rows, run, machine_line, loads)
        args.readme.write_text(replace_section(args.readme.read_text(), section))
    return 0


if __name__ == "__main__":
    sys.exit(main())
