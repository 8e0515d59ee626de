"""`python -m pollama.quantize SOURCE TARGET TYPE`: quantize one GGUF with llama.cpp's
`llama_model_quantize`, in a process of its own (the server never imports `llama_cpp`).

llama.cpp's log goes to stderr unchanged: its per-tensor lines (`[  12/ 236] blk.0.attn_k...`)
are the progress the server reads, and its last error line is the failure it reports. The exit
status is 0 only when the target file was written.
"""

from __future__ import annotations

import argparse
import ctypes
import sys

from pollama.quantize.types import parse_quantize_type


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m pollama.quantize")
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("type")
    parser.add_argument("--threads", type=int, default=0, help="0: one per core")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    target_type = parse_quantize_type(args.type)
    import llama_cpp

    @llama_cpp.llama_log_callback
    def log(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        sys.stderr.buffer.write(text)
        sys.stderr.buffer.flush()

    llama_cpp.llama_log_set(log, ctypes.c_void_p(0))
    llama_cpp.llama_backend_init()
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = target_type.ftype
    params.nthread = args.threads
    status = llama_cpp.llama_model_quantize(
        args.source.encode(), args.target.encode(), ctypes.byref(params)
    )
    if status != 0:
        sys.stderr.write(f"\nllama_model_quantize returned {status}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
