"""Event buses: in-memory (one process) and Redis Streams (services as processes)."""
