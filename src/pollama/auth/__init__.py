"""API keys, off unless `POLLAMA_API_KEYS_FILE` is set: the key material (tokens), the key file
(keyfile), the file as the running server sees it (keystore), which scope each route needs
(scopes), per-key rate limits (ratelimit) and the ASGI middleware that checks them (middleware).
Ollama has no authentication; this is pollama's own."""
