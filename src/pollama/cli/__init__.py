"""The `pollama` command line: a thin HTTP client of the server, as Ollama's CLI is."""
