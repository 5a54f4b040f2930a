"""SEC EDGAR current filings (Atom) as a NewsSource, within SEC's fair-access rules."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, field_validator

from trading_bot.adapters.news.dedupe import DEFAULT_REMEMBERED, SeenArticles
from trading_bot.adapters.news.entries import (
    FeedEntry,
    entry_body,
    entry_title,
    entry_to_article,
    skip_entry,
)
from trading_bot.adapters.news.feeds import FeedPoller, PollSettings
from trading_bot.adapters.news.http import Backoff, RateLimiter, build_client
from trading_bot.core.model import RawArticle
from trading_bot.core.ports import Clock, Metrics

EDGAR_CURRENT_URL: Final = "https://www.sec.gov/cgi-bin/browse-edgar"
SEC_MAX_REQUESTS_PER_SECOND: Final = 10
"""SEC's fair-access limit for automated clients."""

_TITLE: Final = re.compile(
    r"^(?P<form>\S.*?) - (?P<company>.+?) \((?P<cik>\d{10})\)(?: \((?P<role>[^()]+)\))?$"
)
_CONTACT: Final = re.compile(r"\S+@\S+\.\S+")


@dataclass(frozen=True, slots=True)
class Filing:
    """What an EDGAR entry title says: ``8-K - APPLE INC (0000320193) (Filer)``."""

    form: str
    company: str
    cik: str
    role: str | None = None


def parse_filing_title(title: str) -> Filing | None:
    """Return the form, company, CIK and role in an EDGAR entry title, or None if it has none."""
    match = _TITLE.match(" ".join(title.split()))
    if match is None:
        return None
    return Filing(
        form=match["form"], company=match["company"], cik=match["cik"], role=match["role"]
    )


class EdgarConfig(BaseModel):
    """Settings of the SEC EDGAR source."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_agent: str = Field(
        description="Required by SEC: who you are and how to reach you, e.g. "
        "'Example Capital ops@example.com'. Requests without it are refused by SEC."
    )
    forms: tuple[str, ...] = Field(
        default=("8-K", "10-Q", "10-K", "6-K"),
        min_length=1,
        description="Form types to follow, one request each per poll; amendments (8-K/A) "
        "are included with their form.",
    )
    base_url: str = Field(default=EDGAR_CURRENT_URL, description="EDGAR's browse endpoint.")
    count: int = Field(default=40, ge=1, le=100, description="Filings listed per form and poll.")
    poll_interval_seconds: float = Field(default=120.0, gt=0, description="Seconds between polls.")
    max_requests_per_second: int = Field(
        default=SEC_MAX_REQUESTS_PER_SECOND,
        ge=1,
        le=SEC_MAX_REQUESTS_PER_SECOND,
        description="Request rate cap; SEC allows at most 10 per second.",
    )
    timeout_seconds: float = Field(default=10.0, gt=0, description="Longest one request may take.")
    max_bytes: int = Field(default=10 * 1024 * 1024, gt=0, description="Largest body read.")
    backoff_base_seconds: float = Field(default=60.0, gt=0, description="First wait on failure.")
    backoff_max_seconds: float = Field(default=1_800.0, gt=0, description="Longest wait.")
    cik_tickers: Mapping[str, str] = Field(
        default_factory=dict,
        description="Optional map of 10-digit CIK to ticker, filled into provider_tickers.",
    )
    max_remembered: int = Field(default=DEFAULT_REMEMBERED, ge=1, description="Ids remembered.")

    @field_validator("user_agent")
    @classmethod
    def _declares_a_contact(cls, value: str) -> str:
        value = value.strip()
        if not _CONTACT.search(value):
            raise ValueError(
                "SEC requires a User-Agent naming you and a contact e-mail, "
                "e.g. 'Example Capital ops@example.com'"
            )
        return value

    def feed_url(self, form: str) -> str:
        """Return the current-filings Atom URL for ``form``."""
        query = {
            "action": "getcurrent",
            "type": form,
            "company": "",
            "dateb": "",
            "owner": "include",
            "count": str(self.count),
            "output": "atom",
        }
        return f"{self.base_url}?{urlencode(query)}"


class EdgarSource:
    """Newly filed forms from SEC EDGAR (implements ``core.ports.NewsSource``).

    Each article is titled as EDGAR titles the filing, its body names the company, CIK and form
    and lists the items EDGAR summarises; ``source`` is ``sec-edgar``. Failures are logged and
    counted here, never raised. Call ``aclose`` when done.
    """

    name = "sec-edgar"

    def __init__(
        self,
        config: EdgarConfig,
        clock: Clock,
        *,
        metrics: Metrics | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        self.poll_interval_seconds = config.poll_interval_seconds
        self._client = build_client(
            user_agent=config.user_agent, timeout_seconds=config.timeout_seconds
        )
        self._poller = FeedPoller(
            source=self.name,
            client=self._client,
            clock=clock,
            settings=PollSettings(
                max_bytes=config.max_bytes,
                timeout_seconds=config.timeout_seconds,
                backoff=Backoff(config.backoff_base_seconds, config.backoff_max_seconds),
            ),
            metrics=metrics,
            rng=rng,
            limiter=RateLimiter(clock, config.max_requests_per_second),
        )
        self._seen = SeenArticles(config.max_remembered)
        self._forms = frozenset(config.forms)
        self._metrics = metrics

    @property
    def poller(self) -> FeedPoller:
        """Return the poller, whose per-feed state tells which forms are backing off."""
        return self._poller

    async def fetch(self) -> list[RawArticle]:
        """Return filings of the configured forms not returned before."""
        urls = [self._config.feed_url(form) for form in self._config.forms]
        articles: list[RawArticle] = []
        for feed in await self._poller.poll_all(urls):
            for entry in feed.entries:
                article = self._article(entry, feed.fetched_at)
                if article is not None:
                    articles.append(article)
        articles.sort(key=lambda article: article.published_at)
        return self._seen.filter_new(articles)

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.aclose()

    def _article(self, entry: FeedEntry, fetched_at: datetime) -> RawArticle | None:
        title = entry_title(entry)
        filing = parse_filing_title(title)
        if filing is None:
            skip_entry(self.name, f"not an EDGAR filing title: {title!r}", self._metrics)
            return None
        if filing.form.removesuffix("/A") not in self._forms:
            return None
        summary = entry_body(entry)
        content = f"{filing.company} (CIK {filing.cik}) filed form {filing.form}. {summary}"
        ticker = self._config.cik_tickers.get(filing.cik)
        return entry_to_article(
            entry,
            source=self.name,
            fetched_at=fetched_at,
            title=title,
            content=content.strip(),
            provider_tickers=(ticker,) if ticker else (),
            metrics=self._metrics,
        )
