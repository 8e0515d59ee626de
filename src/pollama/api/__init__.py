"""The HTTP API: request types, the native routes and (later) the OpenAI translator."""
