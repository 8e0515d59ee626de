"""Memory stays bounded by one tensor, not the model: the peak RSS of the convert process for
a model about 100 times bigger than its largest tensor, against the same process converting a
tiny model. The figures are printed (`pytest -s`); the bound asserted is generous (a tenth of
the model), so only a converter that holds the model in memory fails it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from tests.convert.synthetic import write_hf_model

# Runs the converter as create does and prints the child's peak RSS (KiB on Linux).
_MEASURE = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], check=True)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)
HIDDEN, INTERMEDIATE, LAYERS = 512, 1536, 24


def _peak_rss_bytes(source: Path, target: Path) -> int:
    command = [sys.executable, "-m", "pollama.convert", "model", str(source), str(target)]
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True, check=True
    )
    return int(result.stdout.split()[-1]) * 1024


def _grow(directory: Path) -> tuple[int, int]:
    """Make the tiny llama in `directory` a 24-layer, 512-wide one (F16); returns the model's
    bytes and its largest tensor's bytes."""
    config = json.loads((directory / "config.json").read_text())
    config.update(
        hidden_size=HIDDEN,
        intermediate_size=INTERMEDIATE,
        num_hidden_layers=LAYERS,
        num_attention_heads=8,
        num_key_value_heads=8,
    )
    (directory / "config.json").write_text(json.dumps(config))
    rng = np.random.default_rng(0)
    vocab = int(config["vocab_size"])

    def matrix(rows: int, columns: int) -> np.ndarray:
        return rng.standard_normal((rows, columns), dtype=np.float32).astype(np.float16)

    tensors = {
        "model.embed_tokens.weight": matrix(vocab, HIDDEN),
        "lm_head.weight": matrix(vocab, HIDDEN),
        "model.norm.weight": np.ones(HIDDEN, np.float16),
    }
    for layer in range(LAYERS):
        prefix = f"model.layers.{layer}."
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            tensors[f"{prefix}self_attn.{name}.weight"] = matrix(HIDDEN, HIDDEN)
        tensors[f"{prefix}mlp.gate_proj.weight"] = matrix(INTERMEDIATE, HIDDEN)
        tensors[f"{prefix}mlp.up_proj.weight"] = matrix(INTERMEDIATE, HIDDEN)
        tensors[f"{prefix}mlp.down_proj.weight"] = matrix(HIDDEN, INTERMEDIATE)
        tensors[f"{prefix}input_layernorm.weight"] = np.ones(HIDDEN, np.float16)
        tensors[f"{prefix}post_attention_layernorm.weight"] = np.ones(HIDDEN, np.float16)
    save_file(tensors, str(directory / "model.safetensors"))
    sizes = [array.nbytes for array in tensors.values()]
    return sum(sizes), max(sizes)


def test_peak_memory_is_bounded_by_a_tensor_not_the_model(tmp_path: Path) -> None:
    write_hf_model(tmp_path / "tiny", "llama", dtype="F16")
    baseline = _peak_rss_bytes(tmp_path / "tiny", tmp_path / "tiny.gguf")
    write_hf_model(tmp_path / "big", "llama", dtype="F16")
    model_bytes, tensor_bytes = _grow(tmp_path / "big")
    assert model_bytes >= 10 * tensor_bytes
    peak = _peak_rss_bytes(tmp_path / "big", tmp_path / "big.gguf")
    growth = peak - baseline
    mib = 1 << 20
    print(
        f"\nconvert peak RSS: tiny model {baseline / mib:.1f} MiB; {model_bytes / mib:.0f} MiB "
        f"model (largest tensor {tensor_bytes / mib:.1f} MiB) {peak / mib:.1f} MiB, "
        f"growth {growth / mib:.1f} MiB"
    )
    assert (tmp_path / "big.gguf").stat().st_size >= model_bytes
    assert growth < model_bytes / 10, f"peak RSS grew by {growth / mib:.1f} MiB"
