"""Serving requests on loaded models: prompts, generation streams, embeddings."""
