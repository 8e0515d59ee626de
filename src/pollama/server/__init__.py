"""The HTTP server: the app factory and `serve` (app), middleware, host and CORS guards,
request decoding and NDJSON (http), server-sent events (sse), disconnects, each API's error
shape, the listening socket, connection timeouts, the pid file and the request log."""
