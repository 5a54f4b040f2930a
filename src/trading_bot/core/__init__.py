"""Layer 1: pure domain and trading logic. No I/O, no framework but pydantic."""
