"""The OpenAI-compatible `/v1` API: a translator into the native handlers
(Ollama's openai/openai.go and middleware/openai.go). The routes are gathered in `routes`;
this package imports nothing, so importing one of its modules never drags in the others."""
