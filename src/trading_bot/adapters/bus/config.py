"""Configuration of the event buses: one frozen, validated model per adapter."""

from __future__ import annotations

import os
import secrets
import socket
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


def default_consumer_name() -> str:
    """Return a consumer name unique to this call: ``<hostname>-<pid>-<random>``."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"


class BusConfig(BaseModel):
    """Delivery semantics both buses share. Every field has a safe default."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    claim_idle_ms: int = Field(default=30_000, gt=0)
    """A message pending this long (its consumer died or its handler raised) is redelivered to
    whichever consumer of the group claims it first. Default 30 000 ms."""

    max_deliveries: int = Field(default=5, ge=1, le=1_000)
    """After this many failed deliveries a message goes to ``<stream>:dead``. Default 5."""

    maxlen: int = Field(default=100_000, ge=1)
    """Streams are trimmed to about this many entries on publish. Default 100 000."""

    batch_size: int = Field(default=100, ge=1, le=10_000)
    """Messages read (and acknowledged) per round trip. Default 100."""

    dedupe_ttl_s: int = Field(default=86_400, gt=0)
    """How long a group remembers an ``event_id`` it handled. Default 86 400 s (one day)."""

    @model_validator(mode="after")
    def _dedupe_outlives_redelivery(self) -> Self:
        # A duplicate can arrive as late as the last redelivery; forgetting it earlier would let
        # the handler run twice.
        if self.dedupe_ttl_s * 1000 <= self.claim_idle_ms * self.max_deliveries:
            raise ValueError(
                "dedupe_ttl_s must outlast every redelivery "
                "(dedupe_ttl_s * 1000 > claim_idle_ms * max_deliveries)"
            )
        return self


class MemoryBusConfig(BusConfig):
    """The in-process bus: the shared semantics, timed by the injected clock."""


class RedisBusConfig(BusConfig):
    """The Redis Streams bus: the shared semantics plus connection and batching settings."""

    url: str = Field(default="redis://127.0.0.1:6379/0", min_length=1)
    """Where Redis listens (``redis://`` or ``rediss://`` URL). Default the local Redis, db 0."""

    prefix: str = Field(default="trading-bot:", max_length=200)
    """Prepended to every key the bus touches (streams, dead letters, dedupe keys), so that
    several deployments or test runs can share one Redis. Default ``trading-bot:``."""

    block_ms: int = Field(default=1_000, ge=1)
    """Longest wait of one blocking read when the stream is idle. Default 1 000 ms."""

    connect_timeout_s: float = Field(default=5.0, gt=0)
    """Longest wait to open a connection. Default 5 s."""

    client_name: str = Field(default="trading-bot", min_length=1, pattern=r"^[!-~]+$")
    """The name connections announce (``CLIENT SETNAME``), to find them in ``CLIENT LIST``.
    Printable, no spaces. Default ``trading-bot``."""

    publish_retries: int = Field(default=3, ge=0, le=100)
    """Retries of a publish that lost its connection before it raises ``BusUnavailableError``.
    A retried publish may append the message twice; consumers deduplicate on ``event_id``.
    Default 3."""

    backoff_base_s: float = Field(default=0.05, gt=0)
    """First delay before reconnecting; doubles per failure, with jitter. Default 0.05 s."""

    backoff_cap_s: float = Field(default=5.0, gt=0)
    """Longest delay between reconnection attempts. Default 5 s."""

    close_timeout_s: float = Field(default=10.0, gt=0)
    """How long ``close`` waits for running handlers to finish before it drops the
    connections. Default 10 s."""

    @model_validator(mode="after")
    def _backoff_is_consistent(self) -> Self:
        if self.backoff_cap_s < self.backoff_base_s:
            raise ValueError("backoff_cap_s must be at least backoff_base_s")
        return self
