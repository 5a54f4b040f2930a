"""What both buses decide the same way about one delivery, and how they report it."""

from __future__ import annotations

import logging

from trading_bot.core.errors import MalformedMessageError
from trading_bot.core.events import Message, decode
from trading_bot.core.ports import Metrics

MAX_ERROR_CHARS = 2_000
"""Dead-letter error texts are cut to this length (validation errors can be long)."""


def dead_stream(stream: str) -> str:
    """Return the name of the stream that keeps ``stream``'s dead letters."""
    return f"{stream}:dead"


def error_text(error: BaseException) -> str:
    """Return ``error`` as one bounded line for a dead letter: its type and message."""
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def refuse_reason(payload: bytes | None, deliveries: int, max_deliveries: int) -> str | None:
    """Return why a delivery goes straight to the dead letters, or None if it may be handled.

    A delivery beyond ``max_deliveries`` means consumers kept dying before they could ack it
    (a handler that crashes the process); it is not handed to another one.
    """
    if payload is None:
        return "the entry has no payload (trimmed from the stream or written by another producer)"
    if deliveries > max_deliveries:
        return f"delivered {deliveries} times without being acknowledged"
    return None


def decode_or_reason(payload: bytes) -> Message | str:
    """Return the decoded message, or the reason it does not decode."""
    try:
        return decode(payload)
    except MalformedMessageError as exc:
        return error_text(exc)


class DeliveryReporter:
    """Log and count handler failures, dead letters and reconnections of one bus."""

    def __init__(self, logger: logging.Logger, metrics: Metrics | None) -> None:
        self._logger = logger
        self._metrics = metrics

    def handler_failed(
        self, stream: str, group: str, message_id: str, deliveries: int, error: Exception
    ) -> None:
        """Report that a handler raised; the message stays pending for redelivery."""
        self._logger.warning(
            "handler of group %s failed on %s %s (delivery %d): %s",
            group,
            stream,
            message_id,
            deliveries,
            error_text(error),
            exc_info=error,
        )
        if self._metrics is not None:
            self._metrics.increment("bus_handler_failures", stream=stream, group=group)

    def dead_lettered(
        self, stream: str, group: str, message_id: str, deliveries: int, error: str
    ) -> None:
        """Report that a message was moved to ``<stream>:dead``."""
        self._logger.error(
            "dead-lettered %s %s for group %s after %d deliveries: %s",
            stream,
            message_id,
            group,
            deliveries,
            error,
        )
        if self._metrics is not None:
            self._metrics.increment("bus_dead_letters", stream=stream, group=group)

    def reconnecting(
        self, stream: str, group: str, failures: int, delay_s: float, error: str
    ) -> None:
        """Report that a consumer lost Redis and will retry after ``delay_s``."""
        self._logger.warning(
            "consumer of %s in group %s lost the bus (failure %d), retrying in %.2f s: %s",
            stream,
            group,
            failures,
            delay_s,
            error,
        )
        if self._metrics is not None:
            self._metrics.increment("bus_reconnects", stream=stream, group=group)
