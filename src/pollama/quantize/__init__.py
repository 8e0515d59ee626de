"""Quantizing a model's weights with llama.cpp (`create --quantize`).

`types` names the targets (pure); `process` runs the work in a child process, `python -m
pollama.quantize` (`__main__`), so the server never imports `llama_cpp` and a crash inside
llama.cpp fails only the create that asked for it; `layer` turns the result into a stored blob.
"""
