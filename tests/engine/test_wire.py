"""The runner's wire codec and command line, derived from the dataclasses: pure, no model."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pytest

from pollama.runner import protocol
from pollama.runner.args import parse_args, runner_fields, spec_to_args
from pollama.runner.types import (
    EmbedResult,
    GenerateChunk,
    GenerateParams,
    RunnerSpec,
    TokenLogprob,
    TopLogprob,
)
from pollama.runner.wire import from_wire, to_wire

TOP = TopLogprob("h", -0.25, [104])

# One instance of every wire dataclass with EVERY field away from its default: a field
# added to a class without a value here fails `test_every_field_is_on_the_wire`.
SAMPLES: list[object] = [
    RunnerSpec(
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
        load_timeout=12.5,
        memory_limit=1 << 30,
        python="/usr/bin/python3",
        projector=Path("/blobs/sha256-mmproj"),
        batch_invariant=True,
        draft_model=Path("/blobs/sha256-draft"),
    ),
    GenerateParams(
        prompt=[1, 2],
        options={"stop": ["x"], "temperature": 0.5},
        grammar="root ::= [a]",
        logprobs=True,
        top_logprobs=2,
        shift=False,
        adapters=("/blobs/sha256-lora",),
        images=["iVBORw0KGgo="],
        draft_num_predict=4,
    ),
    TOP,
    TokenLogprob("h", -0.25, [104], [TOP]),
    GenerateChunk(
        text="hi",
        done=True,
        done_reason="stop",
        prompt_eval_count=3,
        cached_count=1,
        prompt_eval_duration=10,
        eval_count=2,
        eval_duration=20,
        context=[1, 2, 3],
        logprobs=[TokenLogprob("h", -0.1, [104], [TOP])],
        draft_tokens=8,
        draft_accepted_tokens=5,
    ),
    EmbedResult(embeddings=[[0.5, -1.0], [2.0, 0.0]], token_counts=[3, 4], duration=99),
]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda sample: type(sample).__name__)
def test_every_field_is_on_the_wire(sample: object) -> None:
    assert dataclasses.is_dataclass(sample) and not isinstance(sample, type)
    names = {field.name for field in dataclasses.fields(sample)}
    assert set(to_wire(sample)) == names


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda sample: type(sample).__name__)
def test_round_trip_through_a_json_frame(sample: object) -> None:
    frame = protocol.decode(protocol.encode({"id": 1, "body": to_wire(sample)}))
    assert from_wire(type(sample), frame["body"]) == sample


def test_fields_at_their_default_stay_off_the_wire() -> None:
    assert to_wire(GenerateChunk(text="x")) == {"text": "x"}
    assert to_wire(GenerateChunk()) == {}
    assert from_wire(GenerateChunk, {}) == GenerateChunk()
    assert to_wire(GenerateParams(prompt="hi")) == {"prompt": "hi"}
    assert to_wire(RunnerSpec(model_path=Path("/m"))) == {"model_path": "/m"}


def test_unions_decode_by_shape() -> None:
    assert from_wire(GenerateParams, {"prompt": "text"}).prompt == "text"
    assert from_wire(GenerateParams, {"prompt": [1, 2]}).prompt == [1, 2]
    assert from_wire(GenerateChunk, {"context": None}).context is None
    assert from_wire(RunnerSpec, {"model_path": "/m"}).model_path == Path("/m")


@dataclass(frozen=True)
class Shapes:
    pair: tuple[int, str]
    many: tuple[float, ...] = ()
    nested: TopLogprob | None = None


def test_tuples_and_nested_dataclasses() -> None:
    shapes = Shapes(pair=(1, "a"), many=(1.0, 2.5), nested=TOP)
    wire = to_wire(shapes)
    assert wire == {"pair": [1, "a"], "many": [1.0, 2.5], "nested": to_wire(TOP)}
    assert from_wire(Shapes, protocol.decode(protocol.encode(wire))) == shapes


@pytest.mark.parametrize(
    ("cls", "data"),
    [
        (GenerateParams, {}),  # prompt is required
        (GenerateParams, {"prompt": 3}),
        (GenerateParams, {"prompt": "x", "logprobs": 1}),
        (GenerateParams, {"prompt": "x", "top_logprobs": True}),
        (GenerateParams, {"prompt": "x", "surprise": 1}),
        (GenerateChunk, {"context": ["a"]}),
        (EmbedResult, {"embeddings": [["x"]], "token_counts": [1]}),
        (RunnerSpec, {"model_path": 5}),
        (Shapes, {"pair": [1]}),
    ],
)
def test_malformed_objects_are_refused(cls: type, data: dict[str, object]) -> None:
    with pytest.raises((TypeError, ValueError)):
        from_wire(cls, data)


def test_every_runner_field_is_a_flag_and_server_fields_are_not() -> None:
    spec = SAMPLES[0]
    assert isinstance(spec, RunnerSpec)
    argv = spec_to_args(spec)
    for field in runner_fields():
        flag = field.name.replace("_", "-")
        assert f"--{flag}" in argv or f"--no-{flag}" in argv
    server_side = {"load_timeout", "memory_limit", "python"}
    assert server_side.isdisjoint(field.name for field in runner_fields())
    parsed, args = parse_args([*argv, "--port", "0"])
    runner_side = {field.name for field in runner_fields()}
    defaults = RunnerSpec(model_path=Path("/m"))
    for name in (spec_field.name for spec_field in dataclasses.fields(RunnerSpec)):
        expected = getattr(spec if name in runner_side else defaults, name)
        assert getattr(parsed, name) == expected
    assert args.port == 0 and args.socket is None


def test_defaults_come_from_the_spec(capsys: pytest.CaptureFixture[str]) -> None:
    parsed, _ = parse_args(["--model-path", "/m.gguf", "--socket", "/tmp/r.sock"])
    assert parsed == RunnerSpec(model_path=Path("/m.gguf"))
    with pytest.raises(SystemExit):
        parse_args(["--help"])
    usage = capsys.readouterr().out
    assert "--num-ctx NUM_CTX" in usage and "context per slot" in usage
    assert "--swa-full, --no-swa-full" in usage and "--socket" in usage
    assert "(default: 4096)" in usage and "{f16,q8_0,q4_0}" in usage
