"""strip_html: the plain text of feed markup."""

from __future__ import annotations

import pytest

from trading_bot.adapters.news.text import MAX_MARKUP_CHARS, strip_html


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>Apple <b>beats</b> estimates</p>", "Apple beats estimates"),
        ("<p>One</p><p>Two</p>", "One Two"),
        ("line<br/>break", "line break"),
        ("AT&amp;T &lt;T&gt; rises &#8364;5", "AT&T <T> rises €5"),
        ("<script>alert('x')</script>Safe <style>p {}</style>text", "Safe text"),
        ("  plain\n\ttext  ", "plain text"),
        ("<p>unclosed <b>tags", "unclosed tags"),
        ("", ""),
    ],
)
def test_strip_html_returns_the_text_on_one_line(markup: str, text: str) -> None:
    assert strip_html(markup) == text


def test_strip_html_when_markup_is_enormous_reads_only_its_beginning() -> None:
    markup = "<p>" + "word " * (MAX_MARKUP_CHARS // 5 * 3)

    text = strip_html(markup)

    assert len(text) < MAX_MARKUP_CHARS
    assert text.startswith("word word")
