"""Reading GGUF files: `parse` (a bounded header and metadata parser that never trusts a size
and never reads weights) and `metadata` (what the API reports of a GGUF: details, model_info,
tensors, capabilities, and whether llama.cpp could load it)."""
