"""Logging through structlog: JSON lines in production, a readable console in a terminal.

Standard-library loggers (adapters, libraries, uvicorn) are routed through the same processors,
so every line has a timestamp, a level, the service name, and no secrets.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import structlog
from pydantic import SecretBytes, SecretStr
from structlog.processors import ExceptionRenderer
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import EventDict, Processor, WrappedLogger

from trading_bot.entrypoints.settings import LogSettings

MASK = "**********"
_SECRET_KEY = re.compile(
    r"token|secret|passw(or)?d|authorization|api[_-]?key|cookie|credential", re.IGNORECASE
)
_BEARER = re.compile(r"(?P<scheme>Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_URL_PASSWORD = re.compile(
    r"(?P<head>[a-z][a-z0-9+.\-]*://[^:/@\s]*:)[^@\s]+(?P<tail>@)", re.IGNORECASE
)
# Keys structlog itself writes; their values are never secrets.
_RESERVED = frozenset({"event", "level", "logger", "timestamp", "service", "exception"})


def mask_text(text: str) -> str:
    """Return ``text`` with URL passwords and ``Bearer``/``Basic`` credentials masked."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}{m['tail']}", text)
    return _BEARER.sub(lambda m: f"{m['scheme']} {MASK}", text)


def _mask(value: object) -> object:
    if isinstance(value, SecretStr | SecretBytes):
        return MASK
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {key: MASK if _is_secret_key(key) else _mask(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask(item) for item in value]
    return value


def _is_secret_key(key: object) -> bool:
    return isinstance(key, str) and key not in _RESERVED and bool(_SECRET_KEY.search(key))


def mask_secrets(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Hide secrets: SecretStr values, values under keys like ``token`` or ``password``, URL
    passwords and ``Bearer`` credentials inside strings, at any depth."""
    for key, value in event_dict.items():
        event_dict[key] = MASK if _is_secret_key(key) else _mask(value)
    return event_dict


class _DefaultService:
    """Name the service on lines logged outside any bound context (e.g. from plain threads),
    and drop uvicorn's duplicate coloured message."""

    def __init__(self, service: str) -> None:
        self._service = service

    def __call__(self, _: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("service", self._service)
        event_dict.pop("color_message", None)  # uvicorn's ANSI-coloured duplicate of the event
        return event_dict


def bind_service(service: str) -> None:
    """Name the service on every line logged from the current context (task or thread)."""
    structlog.contextvars.bind_contextvars(service=service)


def wants_json(settings: LogSettings, *, production: bool, stream: TextIO) -> bool:
    """Return True when lines should be JSON: asked for, or ``auto`` without a terminal or in
    the production topology."""
    if settings.format != "auto":
        return settings.format == "json"
    return production or not stream.isatty()


class LevelCheckedLogger(structlog.stdlib.BoundLogger):
    """A stdlib ``BoundLogger`` that checks its logger's level before it builds an event.

    ``structlog.stdlib.filter_by_level`` decides the same, but as the first processor: by then
    the call has copied the context into an event dict, and the refusal is a raised
    ``DropEvent``. A backtest makes tens of thousands of INFO calls below its ERROR level, and
    this check makes each of them about as cheap as ``logging.Logger.isEnabledFor``. The level
    is still read at call time, so ``setLevel`` on a stdlib logger takes effect at once.
    """

    def _proxy_to_logger(
        self, method_name: str, event: str | None = None, *event_args: str, **event_kw: Any
    ) -> Any:
        # The method-name table ``filter_by_level`` itself uses.
        level = structlog.processors.NAME_TO_LEVEL.get(method_name, logging.NOTSET)
        if not self._logger.isEnabledFor(level):
            return None
        return super()._proxy_to_logger(method_name, event, *event_args, **event_kw)


class _OurHandler(logging.StreamHandler[TextIO]):
    """Marks the handler ``configure_logging`` installed, so a second call replaces it."""


def configure_logging(
    settings: LogSettings,
    *,
    service: str,
    production: bool = False,
    stream: TextIO | None = None,
) -> None:
    """Route structlog and standard-library logging to ``stream`` (stderr by default).

    Safe to call again (e.g. in tests): the previous handler is replaced, not duplicated.
    """
    out = stream if stream is not None else sys.stderr
    as_json = wants_json(settings, production=production, stream=out)
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        _DefaultService(service),
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: Processor
    # Tracebacks never show local variables: they may hold credentials.
    if as_json:
        shared.append(ExceptionRenderer(ExceptionDictTransformer(show_locals=False)))
        renderer = structlog.processors.JSONRenderer()
    else:
        shared.append(structlog.processors.format_exc_info)
        renderer = structlog.dev.ConsoleRenderer(colors=out.isatty())
    shared.append(mask_secrets)

    structlog.configure(
        # No ``filter_by_level``: the wrapper class checks the level before processing.
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=LevelCheckedLogger,
        cache_logger_on_first_use=False,
    )
    handler = _OurHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.level)
    # uvicorn installs its own handlers unless told otherwise; make its lines ours too.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        library_logger = logging.getLogger(name)
        library_logger.handlers.clear()
        library_logger.propagate = True
    bind_service(service)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    """Return a structlog logger (use ``logging.getLogger`` in adapters; both end up here)."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
