"""Feed entries (as feedparser returns them) turned into RawArticles."""

from __future__ import annotations

import calendar
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

import structlog
from pydantic import ValidationError

from trading_bot.adapters.news.text import strip_html
from trading_bot.core.model import RawArticle
from trading_bot.core.ports import Metrics

MAX_TITLE_CHARS: Final = 1_000
MAX_URL_CHARS: Final = 2_000

SKIPPED_ENTRIES_METRIC: Final = "news_entries_skipped"
"""Counter of feed entries or posts that could not become articles, labelled ``source``."""

FeedEntry = Mapping[str, Any]
"""One feedparser entry. feedparser ships no types; its values are str, lists and dicts."""

log = structlog.stdlib.get_logger(__name__)


def entry_published_at(entry: FeedEntry, fallback: datetime) -> datetime:
    """Return when the entry was published, or ``fallback`` when it carries no usable date.

    A date later than ``fallback`` (the fetch time) is clamped to it: no article is published
    after we read it, and a feed with a clock in the future must not post-date its news.
    """
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry[key] if key in entry else None  # noqa: SIM401 (get() warns on absent updated_parsed)
        if isinstance(parsed, time.struct_time):
            try:
                published = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
            except (OverflowError, ValueError, OSError):
                continue
            return min(published, fallback)
    return fallback


def entry_link(entry: FeedEntry) -> str | None:
    """Return the entry's http(s) link, or None when it has none usable."""
    link = entry.get("link")
    if not isinstance(link, str):
        return None
    link = link.strip()
    if len(link) > MAX_URL_CHARS or urlsplit(link).scheme not in {"http", "https"}:
        return None
    return link


def entry_title(entry: FeedEntry) -> str:
    """Return the entry's title as plain text, clipped to the longest title an article holds."""
    title = entry.get("title")
    return strip_html(title)[:MAX_TITLE_CHARS] if isinstance(title, str) else ""


def entry_body(entry: FeedEntry) -> str:
    """Return the fullest text the entry carries (its content, else its summary), as plain text."""
    candidates: list[str] = []
    for content in entry.get("content") or ():
        value = content.get("value") if isinstance(content, Mapping) else None
        if isinstance(value, str):
            candidates.append(value)
    summary = entry.get("summary")
    if isinstance(summary, str):
        candidates.append(summary)
    if not candidates:
        return ""
    return strip_html(max(candidates, key=len))


def entry_to_article(
    entry: FeedEntry,
    *,
    source: str,
    fetched_at: datetime,
    title: str | None = None,
    content: str | None = None,
    provider_tickers: tuple[str, ...] = (),
    metrics: Metrics | None = None,
) -> RawArticle | None:
    """Build the article an entry describes, or None (logged) when it lacks a title or link.

    ``available_at`` is the fetch time; ``published_at`` the entry's date, else the fetch time.
    ``title`` and ``content`` override what the entry says (EDGAR rewrites both).
    """
    link = entry_link(entry)
    title = entry_title(entry) if title is None else title
    if link is None or not title:
        skip_entry(source, "no title or no http(s) link", metrics)
        return None
    try:
        return RawArticle.create(
            source=source,
            url=link,
            title=title,
            content=entry_body(entry) if content is None else content,
            published_at=entry_published_at(entry, fetched_at),
            available_at=fetched_at,
            provider_tickers=provider_tickers,
        )
    except ValidationError as exc:
        skip_entry(source, f"{link}: {exc.errors()[0]['msg']}", metrics)
        return None


def skip_entry(source: str, reason: str, metrics: Metrics | None) -> None:
    """Log and count an entry that cannot become an article; the rest of the feed goes on."""
    log.info("news_entry_skipped", source=source, reason=reason)
    if metrics is not None:
        metrics.increment(SKIPPED_ENTRIES_METRIC, source=source)
