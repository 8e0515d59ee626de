"""Runner command line and exit descriptions: pure, no model."""

from __future__ import annotations

import signal
from pathlib import Path

from pollama.runner import protocol
from pollama.runner.args import parse_args, spec_to_args
from pollama.runner.process import describe_exit
from pollama.runner.types import RunnerSpec


def test_spec_round_trips_through_the_command_line() -> None:
    spec = RunnerSpec(
        model_path=Path("/models/m.gguf"),
        num_ctx=1024,
        num_parallel=3,
        num_batch=256,
        prefill_chunk=64,
        num_thread=2,
        num_gpu=0,
        kv_cache_type="q8_0",
        flash_attention="on",
        swa_full=False,
        use_mmap=False,
        repack_weights=True,
        debug=True,
    )
    parsed, args = parse_args([*spec_to_args(spec), "--socket", "/tmp/r.sock"])
    assert parsed == spec
    assert args.socket == Path("/tmp/r.sock")


def test_exit_statuses_read_like_go() -> None:
    assert describe_exit(1) == "exit status 1"
    assert describe_exit(-signal.SIGKILL) == "signal: killed"
    assert describe_exit(-signal.SIGABRT) == "signal: aborted"
    assert describe_exit(-signal.SIGSEGV) == "signal: segmentation fault"


def test_frames_are_one_json_object_per_line() -> None:
    frame = {"id": 3, "chunk": {"text": "日本\n"}}
    encoded = protocol.encode(frame)
    assert encoded.endswith(b"\n") and encoded.count(b"\n") == 1
    assert protocol.decode(encoded) == frame
    assert protocol.error_frame(7, "bad", 400) == {
        "id": 7,
        "error": {"message": "bad", "status": 400},
    }
