"""One module per Hugging Face model family converted to GGUF; `registry` picks one."""
