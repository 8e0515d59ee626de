"""The Anthropic Messages API under `/v1/messages`, as Ollama serves it since v0.14: a
translator into the native chat (a model that cannot think is not refused for `thinking`).
The routes are in `messages`; this package imports nothing, so importing one of its modules
never drags in the others."""
