"""`python -m pollama.convert model|adapter SOURCE TARGET [--base GGUF]`: one conversion in a
process of its own, so that a large model's memory and any crash stay out of the server.

Progress goes to stdout as `tensor DONE/TOTAL` lines. A refusal (ConvertError) is one stderr
line `error: MESSAGE` and exit status 2; anything else is a traceback and status 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pollama.convert.errors import ConvertError
from pollama.convert.plan import ConversionPlan

ERROR_PREFIX = "error: "
REFUSED_STATUS = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pollama.convert")
    parser.add_argument("kind", choices=("model", "adapter"))
    parser.add_argument("source", type=Path, help="the Hugging Face or PEFT directory")
    parser.add_argument("target", type=Path, help="the GGUF file to write")
    parser.add_argument("--base", type=Path, help="the base model's GGUF (adapters)")
    args = parser.parse_args(argv)
    # Imported here so that `--help` and argument errors stay fast.
    from pollama.convert.writer import write_plan

    try:
        plan = _plan(args.kind, args.source, args.base)
        write_plan(plan, args.target, progress=_report)
    except ConvertError as exc:
        print(f"{ERROR_PREFIX}{exc.message}", file=sys.stderr, flush=True)
        return REFUSED_STATUS
    return 0


def _plan(kind: str, source: Path, base: Path | None) -> ConversionPlan:
    if kind == "model":
        from pollama.convert.model import plan_model

        return plan_model(source)
    from pollama.convert.adapter import plan_adapter
    from pollama.gguf import metadata

    if base is None:
        raise ConvertError("converting an adapter needs the base model: --base")
    return plan_adapter(source, metadata.read_gguf(base).kv)


def _report(done: int, total: int) -> None:
    print(f"tensor {done}/{total}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
