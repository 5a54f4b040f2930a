"""Plain text out of feed markup: tags stripped, entities decoded, whitespace collapsed."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Final

MAX_MARKUP_CHARS: Final = 1_000_000
"""Markup beyond this many characters is never parsed: bodies are truncated far below it anyway."""

# No HTML sanitising library (bleach, lxml, BeautifulSoup) is installed; feedparser has already
# sanitised the markup, so the stdlib parser only has to pull the text out of it.
_SKIPPED: Final = frozenset({"script", "style", "head", "template", "noscript", "iframe", "svg"})
_BLOCKS: Final = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
        "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre",
        "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag in _BLOCKS:
            self._parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self._parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._parts.append(data)

    def text(self) -> str:
        return " ".join("".join(self._parts).split())


def strip_html(markup: str) -> str:
    """Return the text of ``markup`` on one line: no tags, entities decoded, spaces collapsed."""
    markup = markup[:MAX_MARKUP_CHARS]
    if "<" not in markup and "&" not in markup:
        return " ".join(markup.split())
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    return collector.text()
