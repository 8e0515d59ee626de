"""The quantization types `create --quantize` accepts (Ollama's fs/ggml/type.go,
ParseFileType, plus the other types llama.cpp quantizes to without an importance matrix)."""

from __future__ import annotations

from dataclasses import dataclass

from gguf.constants import LlamaFileType

from pollama.errors import BadRequest

# Ollama's own five, in the order its error message lists them.
_OLLAMA_TYPES = ("F32", "F16", "Q4_K_S", "Q4_K_M", "Q8_0")
# The rest of llama.cpp's targets. Left out: IQ1_*, IQ2_* and Q2_K_S (llama.cpp refuses them
# without an importance matrix), and the ternary / FP4 types meant for models trained for them.
_MORE_TYPES = (
    "BF16",
    "Q4_0",
    "Q4_1",
    "Q5_0",
    "Q5_1",
    "Q2_K",
    "Q3_K_S",
    "Q3_K_M",
    "Q3_K_L",
    "Q5_K_S",
    "Q5_K_M",
    "Q6_K",
    "IQ3_XXS",
    "IQ3_XS",
    "IQ3_S",
    "IQ3_M",
    "IQ4_NL",
    "IQ4_XS",
)
# Short names that mean a mixed recipe (llama.cpp's `llama-quantize` aliases; Q4_K is Ollama's).
_ALIASES = {"Q4_K": "Q4_K_M", "Q5_K": "Q5_K_M", "Q3_K": "Q3_K_M"}
SUPPORTED = _OLLAMA_TYPES + _MORE_TYPES

# What a model must be to be quantized: llama.cpp would requantize, but Ollama refuses.
SOURCE_FILE_TYPES = ("F16", "BF16", "F32")
WRONG_SOURCE = "quantization is only supported for F16, BF16 and F32 models"


@dataclass(frozen=True)
class QuantizeType:
    """A target: `label` is how the request spelled it, upper-cased (Ollama's status text),
    `file_type` the canonical name a GGUF's `general.file_type` shows, `ftype` llama.cpp's."""

    label: str
    file_type: str

    @property
    def ftype(self) -> int:
        prefix = "ALL_" if self.file_type == "F32" else "MOSTLY_"
        return int(LlamaFileType[prefix + self.file_type])


def parse_quantize_type(text: str) -> QuantizeType:
    """`q4_k_m` → Q4_K_M (case-insensitive); anything else is Ollama's 400."""
    label = text.upper()
    file_type = _ALIASES.get(label, label)
    if file_type not in SUPPORTED:
        raise BadRequest(
            f"unsupported quantization type {label} - supported types are {', '.join(SUPPORTED)}"
        )
    return QuantizeType(label, file_type)
