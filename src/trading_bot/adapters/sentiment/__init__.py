"""Sentiment analyzers and ticker extraction."""
