"""Langfuse: its mapping, history, codec, fake upstream, test profile, captures and wire facts (README.md)."""
