"""Reddit posts (hot and new, above a score) as a NewsSource, via asyncpraw's read-only OAuth."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, Final, Literal

import asyncpraw
import structlog
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from trading_bot.adapters.news.dedupe import DEFAULT_REMEMBERED, SeenArticles
from trading_bot.adapters.news.entries import MAX_TITLE_CHARS, skip_entry
from trading_bot.adapters.news.feeds import FETCH_ERRORS_METRIC
from trading_bot.core.model import RawArticle
from trading_bot.core.ports import Clock, Metrics

PERMALINK_BASE: Final = "https://www.reddit.com"
"""Articles link to the public post whatever API host served it."""

log = structlog.stdlib.get_logger(__name__)


class RedditConfig(BaseModel):
    """Settings of the Reddit source. Without all three credentials the source stays off."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: SecretStr | None = Field(default=None, description="Reddit app client id.")
    client_secret: SecretStr | None = Field(default=None, description="Reddit app secret.")
    user_agent: SecretStr | None = Field(
        default=None, description="Descriptive User-Agent Reddit requires, e.g. 'bot/1 by u/me'."
    )
    subreddits: tuple[str, ...] = Field(
        default=("wallstreetbets", "stocks", "investing"), description="Subreddits to read."
    )
    listings: tuple[Literal["hot", "new"], ...] = Field(
        default=("hot", "new"), min_length=1, description="Listings read in each subreddit."
    )
    min_score: int = Field(default=100, description="Posts scoring below this are ignored.")
    limit: int = Field(default=50, ge=1, le=100, description="Posts read per listing and poll.")
    poll_interval_seconds: float = Field(default=120.0, gt=0, description="Seconds between polls.")
    timeout_seconds: int = Field(default=16, ge=1, description="Longest one request may take.")
    oauth_url: str = Field(default="https://oauth.reddit.com", description="Reddit's API host.")
    reddit_url: str = Field(
        default="https://www.reddit.com", description="Host of Reddit's OAuth token endpoint."
    )
    max_remembered: int = Field(default=DEFAULT_REMEMBERED, ge=1, description="Ids remembered.")

    @property
    def has_credentials(self) -> bool:
        """Return whether client id, secret and user agent are all set."""
        secrets = (self.client_id, self.client_secret, self.user_agent)
        return all(secret is not None and secret.get_secret_value().strip() for secret in secrets)


class RedditSource:
    """Posts from finance subreddits (implements ``core.ports.NewsSource``).

    Reads each subreddit's configured listings with application-only OAuth; keeps posts scoring
    at least ``min_score``, not stickied. The title and self text form the content; the URL is
    the permalink; ``source`` is ``reddit:r/<name>``. Without credentials ``fetch`` returns
    nothing and says so once. Call ``aclose`` when done.
    """

    name = "reddit"

    def __init__(self, config: RedditConfig, clock: Clock, *, metrics: Metrics | None = None):
        self._config = config
        self._clock = clock
        self._metrics = metrics
        self.poll_interval_seconds = config.poll_interval_seconds
        self._seen = SeenArticles(config.max_remembered)
        self._reddit: asyncpraw.Reddit | None = None
        self._said_off = False

    @property
    def enabled(self) -> bool:
        """Return whether credentials are configured."""
        return self._config.has_credentials

    async def fetch(self) -> list[RawArticle]:
        """Return new posts above the score threshold from every subreddit and listing."""
        if not self.enabled:
            if not self._said_off:
                log.warning(
                    "reddit_source_off",
                    reason="set client_id, client_secret and user_agent to read Reddit",
                )
                self._said_off = True
            return []
        reddit = self._client()
        batches = await asyncio.gather(
            *(
                self._read(reddit, subreddit, listing)
                for subreddit in self._config.subreddits
                for listing in self._config.listings
            )
        )
        articles = sorted(
            (article for batch in batches for article in batch),
            key=lambda article: article.published_at,
        )
        return self._seen.filter_new(articles)

    async def aclose(self) -> None:
        """Close the HTTP session."""
        if self._reddit is not None:
            await self._reddit.close()
            self._reddit = None

    def _client(self) -> asyncpraw.Reddit:
        if self._reddit is None:
            config = self._config
            self._reddit = asyncpraw.Reddit(
                client_id=_secret(config.client_id),
                client_secret=_secret(config.client_secret),
                user_agent=_secret(config.user_agent),
                oauth_url=config.oauth_url,
                reddit_url=config.reddit_url,
                timeout=config.timeout_seconds,
                check_for_updates=False,
            )
        return self._reddit

    async def _read(
        self, reddit: asyncpraw.Reddit, name: str, listing: Literal["hot", "new"]
    ) -> list[RawArticle]:
        articles: list[RawArticle] = []
        try:
            subreddit = await reddit.subreddit(name)
            posts = subreddit.hot if listing == "hot" else subreddit.new
            fetched_at = self._clock.now()
            async for post in posts(limit=self._config.limit):
                try:
                    article = self._article(post, name, fetched_at)
                except (AttributeError, TypeError, ValueError) as exc:  # ValidationError included
                    skip_entry(self.name, f"r/{name}: {exc}", self._metrics)
                    continue
                if article is not None:
                    articles.append(article)
        except Exception as exc:
            # asyncpraw raises its own tree and wraps aiohttp's; whatever one listing raises must
            # not stop the others, so it is logged and counted like any failed feed.
            log.warning(
                "news_feed_failed",
                source=self.name,
                feed=f"r/{name}/{listing}",
                error=f"{type(exc).__name__}: {exc}",
            )
            if self._metrics is not None:
                self._metrics.increment(
                    FETCH_ERRORS_METRIC, source=self.name, feed=f"r/{name}/{listing}"
                )
        return articles

    def _article(self, post: Any, subreddit: str, fetched_at: datetime) -> RawArticle | None:
        # ``post`` is an asyncpraw Submission, whose attributes come untyped from Reddit's JSON.
        if int(post.score) < self._config.min_score or bool(getattr(post, "stickied", False)):
            return None
        title = " ".join(str(post.title).split())[:MAX_TITLE_CHARS]
        selftext = str(getattr(post, "selftext", "") or "").strip()
        published = datetime.fromtimestamp(float(post.created_utc), UTC)
        return RawArticle.create(
            source=f"reddit:r/{subreddit}",
            url=PERMALINK_BASE + str(post.permalink),
            title=title,
            content=f"{title}\n\n{selftext}".strip(),
            published_at=min(published, fetched_at),
            available_at=fetched_at,
        )


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""
