"""Quantize targets, the child's failures and the layer step, without a real model."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pollama.errors import BadRequest
from pollama.quantize import process
from pollama.quantize.layer import quantize_blob
from pollama.quantize.process import QuantizeFailed, quantize_file
from pollama.quantize.types import SUPPORTED, parse_quantize_type
from pollama.store import Store
from tests.fixtures.synthetic_gguf import write_tiny_gguf


@pytest.mark.parametrize(
    ("text", "label", "file_type"),
    [
        ("q4_K_M", "Q4_K_M", "Q4_K_M"),
        ("q4_k_m", "Q4_K_M", "Q4_K_M"),
        ("Q4_K", "Q4_K", "Q4_K_M"),
        ("q8_0", "Q8_0", "Q8_0"),
        ("f16", "F16", "F16"),
        ("F32", "F32", "F32"),
        ("q5_k", "Q5_K", "Q5_K_M"),
        ("iq4_nl", "IQ4_NL", "IQ4_NL"),
        ("bf16", "BF16", "BF16"),
    ],
)
def test_types_are_case_insensitive(text: str, label: str, file_type: str) -> None:
    target = parse_quantize_type(text)
    assert (target.label, target.file_type) == (label, file_type)


def test_unknown_type_is_ollamas_400() -> None:
    with pytest.raises(BadRequest) as caught:
        parse_quantize_type("q9_x")
    assert caught.value.message.startswith(
        "unsupported quantization type Q9_X - supported types are F32, F16, Q4_K_S, Q4_K_M, Q8_0, "
    )


def test_every_type_is_a_llama_cpp_ftype() -> None:
    import llama_cpp

    for name in SUPPORTED:
        constant = ("LLAMA_FTYPE_ALL_" if name == "F32" else "LLAMA_FTYPE_MOSTLY_") + name
        assert parse_quantize_type(name).ftype == getattr(llama_cpp, constant), name


def test_a_model_llama_cpp_cannot_load_is_a_clear_failure(tmp_path: Path) -> None:
    source = write_tiny_gguf(tmp_path / "tiny.gguf")  # valid GGUF, but no real llama tensors
    with pytest.raises(QuantizeFailed) as caught:
        list(quantize_file(source, tmp_path / "out.gguf", parse_quantize_type("q8_0")))
    assert caught.value.message == (
        "failed to quantize model: key not found in model: llama.attention.layer_norm_rms_epsilon"
    )


def test_a_killed_child_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A stand-in child that dies by a signal as a llama.cpp crash would.
    script = tmp_path / "crash.py"
    script.write_text("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    monkeypatch.setattr(process, "_command", lambda *args: [sys.executable, str(script)])
    with pytest.raises(QuantizeFailed) as caught:
        list(quantize_file(tmp_path / "in", tmp_path / "out", parse_quantize_type("q8_0")))
    assert (
        caught.value.message
        == "failed to quantize model: the quantize process was killed (SIGSEGV)"
    )


def test_a_failed_quantize_leaves_no_temp_file(tmp_path: Path) -> None:
    store = Store(tmp_path / "models")
    store.ensure()
    digest = store.blobs.import_file(write_tiny_gguf(tmp_path / "tiny.gguf"))
    with store.guard.pinned() as pins, pytest.raises(QuantizeFailed):
        list(quantize_blob(store.blobs, pins, digest, "F16", parse_quantize_type("q4_K_M")))
    assert sorted(p.name for p in store.blobs.root.iterdir()) == [digest.replace(":", "-")]
