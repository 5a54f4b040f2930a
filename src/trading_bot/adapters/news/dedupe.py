"""The in-memory memory of a source: which article ids it has already returned."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from trading_bot.core.model import RawArticle

DEFAULT_REMEMBERED = 50_000
"""Ids a source remembers; feeds repeat their recent items, so this only needs to cover them."""


class SeenArticles:
    """Remember the ids of articles already returned, forgetting the least recently seen first.

    Seeing an id again refreshes it, so items a feed keeps repeating are never forgotten while it
    repeats them. Persistent deduplication across restarts is storage's job, not this one's.
    """

    def __init__(self, max_size: int = DEFAULT_REMEMBERED) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self._max_size = max_size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._ids

    def filter_new(self, articles: Iterable[RawArticle]) -> list[RawArticle]:
        """Return the articles not returned before (first of any repeats), and remember them."""
        fresh: list[RawArticle] = []
        for article in articles:
            if article.article_id in self._ids:
                self._ids.move_to_end(article.article_id)
                continue
            self._ids[article.article_id] = None
            fresh.append(article)
        while len(self._ids) > self._max_size:
            self._ids.popitem(last=False)
        return fresh
