"""Converting Hugging Face safetensors models and PEFT LoRA adapters to GGUF (imports nothing)."""
