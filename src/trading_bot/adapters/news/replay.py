"""Replay of a JSONL file of articles as a NewsSource, on the injected (usually simulated) clock.

One JSON object per line: ``source``, ``url``, ``title``, ``published_at`` (required, with a
time zone), ``content``, ``available_at`` and ``tickers`` (optional). An article becomes visible
only once the clock reaches its ``available_at``; lines without one get
``published_at + latency_seconds`` (60 s by default: the time a live fetcher would need).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final, Self

import structlog
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from trading_bot.core.errors import ConfigurationError
from trading_bot.core.model import RawArticle
from trading_bot.core.ports import Clock, Metrics

SKIPPED_METRIC: Final = "news_replay_lines_skipped"
"""Counter of replay lines refused as malformed, labelled ``source``."""

log = structlog.stdlib.get_logger(__name__)


class ReplayNewsConfig(BaseModel):
    """Settings of the JSONL news replay."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: Path = Field(description="The JSONL file of articles.")
    latency_seconds: float = Field(
        default=60.0,
        ge=0,
        description="Delay between published_at and available_at for lines that give no "
        "available_at (lines that give one use it as is).",
    )
    poll_interval_seconds: float = Field(
        default=60.0, gt=0, description="Seconds of clock time between polls."
    )


class _Line(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    source: str = Field(min_length=1)
    url: str = Field(min_length=1)
    title: str = Field(min_length=1)
    content: str = ""
    published_at: AwareDatetime
    available_at: AwareDatetime | None = None
    tickers: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _not_available_before_published(self) -> Self:
        if self.available_at is not None and self.available_at < self.published_at:
            raise ValueError("available_at is before published_at")
        return self


@dataclass(frozen=True, slots=True)
class SkippedLine:
    """A line of the file that was refused, and why."""

    line_number: int
    reason: str


@dataclass(frozen=True, slots=True)
class ReplayFile:
    """The articles of a replay file in ``available_at`` order, and the lines refused."""

    articles: tuple[RawArticle, ...]
    skipped: tuple[SkippedLine, ...]


def load_replay_file(path: Path, *, latency_seconds: float = 60.0) -> ReplayFile:
    """Read ``path``; malformed lines are skipped with their reason, the rest loads.

    Raises ``ConfigurationError`` when the file does not exist.

    A line is malformed when it is not UTF-8, not a JSON object, lacks a required field,
    carries a naive timestamp, or repeats an article already read (same URL and title).
    """
    latency = timedelta(seconds=latency_seconds)
    articles: list[RawArticle] = []
    skipped: list[SkippedLine] = []
    seen: set[str] = set()
    if not path.is_file():
        raise ConfigurationError(f"news replay file {path} does not exist")
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                article = _article(raw, latency)
            except (UnicodeDecodeError, ValueError) as exc:  # ValidationError is a ValueError
                skipped.append(SkippedLine(number, _reason(exc)))
                continue
            if article.article_id in seen:
                skipped.append(SkippedLine(number, "duplicate of an earlier article"))
                continue
            seen.add(article.article_id)
            articles.append(article)
    articles.sort(key=lambda article: (article.available_at, article.published_at))
    return ReplayFile(articles=tuple(articles), skipped=tuple(skipped))


def _article(raw: bytes, latency: timedelta) -> RawArticle:
    line = _Line.model_validate_json(raw.decode("utf-8"))
    return RawArticle.create(
        source=line.source,
        url=line.url,
        title=line.title,
        content=line.content,
        published_at=line.published_at,
        available_at=line.available_at or line.published_at + latency,
        provider_tickers=line.tickers,
    )


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8"
    return str(error)


class ReplayNewsSource:
    """Articles from a JSONL file, released as the clock passes their ``available_at``
    (implements ``core.ports.NewsSource``). The file is read once, at construction."""

    name = "replay"

    def __init__(
        self, config: ReplayNewsConfig, clock: Clock, *, metrics: Metrics | None = None
    ) -> None:
        self._clock = clock
        self.poll_interval_seconds = config.poll_interval_seconds
        self._file = load_replay_file(config.path, latency_seconds=config.latency_seconds)
        self._release_times = [article.available_at for article in self._file.articles]
        self._released = 0
        for line in self._file.skipped:
            log.warning(
                "news_replay_line_skipped",
                path=str(config.path),
                line=line.line_number,
                reason=line.reason,
            )
            if metrics is not None:
                metrics.increment(SKIPPED_METRIC, source=self.name)
        log.info(
            "news_replay_loaded",
            path=str(config.path),
            articles=len(self._file.articles),
            skipped=len(self._file.skipped),
        )

    @property
    def skipped(self) -> tuple[SkippedLine, ...]:
        """Return the lines refused when the file was read."""
        return self._file.skipped

    def all_articles(self) -> list[RawArticle]:
        """Return every article of the file in ``available_at`` order (for loaders)."""
        return list(self._file.articles)

    def next_available_at(self) -> datetime | None:
        """Return when the next unreleased article becomes available, or None when none is left."""
        if self._released >= len(self._file.articles):
            return None
        return self._file.articles[self._released].available_at

    async def fetch(self) -> list[RawArticle]:
        """Return the articles that became available since the last call, oldest first."""
        now = self._clock.now()
        until = bisect.bisect_right(self._release_times, now, lo=self._released)
        released = list(self._file.articles[self._released : until])
        self._released = max(self._released, until)
        return released
