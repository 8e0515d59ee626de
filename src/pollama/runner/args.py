"""Command-line flags of `python -m pollama.runner`, both ways: parse them, and make them."""

from __future__ import annotations

import argparse
from pathlib import Path

from pollama.runner.types import FLASH_ATTENTION_MODES, KV_CACHE_TYPES, RunnerSpec


def parse_args(argv: list[str] | None = None) -> tuple[RunnerSpec, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        prog="python -m pollama.runner", description="Serve one GGUF model to pollama."
    )
    parser.add_argument("--model", required=True, type=Path, help="path to the GGUF file")
    parser.add_argument("--ctx-size", type=int, default=4096, help="context per slot (num_ctx)")
    parser.add_argument("--parallel", type=int, default=1, help="slots (num_parallel)")
    parser.add_argument("--batch-size", type=int, default=512, help="tokens per step")
    parser.add_argument(
        "--prefill-chunk", type=int, default=128, help="prompt tokens per aligned chunk"
    )
    parser.add_argument("--threads", type=int, default=0, help="0 = every available CPU")
    parser.add_argument("--n-gpu-layers", type=int, default=-1, help="-1 = all that fit")
    parser.add_argument("--kv-cache-type", choices=KV_CACHE_TYPES, default="f16")
    parser.add_argument("--flash-attn", choices=FLASH_ATTENTION_MODES, default="auto")
    parser.add_argument("--no-swa-full", action="store_true", help="small sliding-window cache")
    parser.add_argument("--no-mmap", action="store_true")
    parser.add_argument(
        "--repack-weights", action="store_true", help="faster prompts, batch-dependent results"
    )
    parser.add_argument("--debug", action="store_true", help="show llama.cpp's log")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--socket", type=Path, help="unix socket path to listen on")
    where.add_argument("--port", type=int, help="TCP port on 127.0.0.1 (0 = any free one)")
    args = parser.parse_args(argv)
    spec = RunnerSpec(
        model_path=args.model,
        num_ctx=args.ctx_size,
        num_parallel=args.parallel,
        num_batch=args.batch_size,
        prefill_chunk=args.prefill_chunk,
        num_thread=args.threads,
        num_gpu=args.n_gpu_layers,
        kv_cache_type=args.kv_cache_type,
        flash_attention=args.flash_attn,
        swa_full=not args.no_swa_full,
        use_mmap=not args.no_mmap,
        repack_weights=args.repack_weights,
        debug=args.debug,
    )
    return spec, args


def spec_to_args(spec: RunnerSpec) -> list[str]:
    """The command-line flags that reproduce `spec` (used by the client to spawn us)."""
    args = [
        "--model", str(spec.model_path),
        "--ctx-size", str(spec.num_ctx),
        "--parallel", str(spec.num_parallel),
        "--batch-size", str(spec.num_batch),
        "--prefill-chunk", str(spec.prefill_chunk),
        "--threads", str(spec.num_thread),
        "--n-gpu-layers", str(spec.num_gpu),
        "--kv-cache-type", spec.kv_cache_type,
        "--flash-attn", spec.flash_attention,
    ]  # fmt: skip
    if not spec.swa_full:
        args.append("--no-swa-full")
    if not spec.use_mmap:
        args.append("--no-mmap")
    if spec.repack_weights:
        args.append("--repack-weights")
    if spec.debug:
        args.append("--debug")
    return args
