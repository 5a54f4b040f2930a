"""Regenerate the bundled demo news file (``adapters/news/data/demo_news.jsonl``) from the
synthetic market.

For each news shock of the synthetic market (default seed, NYSE sessions) it writes an article
about that ticker, good news for a jump up and bad news for a drop, available a few minutes
BEFORE the jump: the news causes the move. Neutral filler articles (company announcements and
market wrap-ups) surround them, so a strategy must tell news that matters from news that does
not. The output is deterministic for a seed:

    .venv/bin/python scripts/generate_demo_news.py [--seed 6] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from trading_bot.adapters.market_data.synthetic import (
    NewsShock,
    SyntheticMarket,
    SyntheticMarketConfig,
    bar_times,
)
from trading_bot.adapters.sentiment.ticker_list import read_entries
from trading_bot.core.calendar import NyseCalendar
from trading_bot.core.ports import MarketHours

TARGET = Path(__file__).resolve().parents[1] / "src/trading_bot/adapters/news/data/demo_news.jsonl"

PUBLISHED_BEFORE_SHOCK = timedelta(minutes=4)
"""A shock's article is published this long before the bar in which the price jumps opens..."""
AVAILABLE_AFTER_PUBLISHED = timedelta(minutes=1)
"""...and can be read this long after publication (what a live fetcher needs)."""
FILLER_PER_SESSION = 5
FILLER_CLEARANCE = timedelta(minutes=30)
"""No neutral article about a ticker this close to one of its shocks: the cause stays clear."""
MARKET_WRAPS_PER_SESSION = 1

COMPANY_NAMES = {
    "AAPL": "Apple",
    "MSFT": "Microsoft",
    "NVDA": "Nvidia",
    "TSLA": "Tesla",
    "AMZN": "Amazon",
}
"""Names as headlines write them; other tickers take their name from the bundled ticker list."""

GOOD_NEWS = (
    (
        "{name} ({ticker}) shares surge after quarterly revenue beats estimates",
        "{name} reported stronger than expected results and raised its full-year outlook. "
        "Analysts said demand was strong across every region.",
    ),
    (
        "{name} ({ticker}) jumps as analysts upgrade the stock on strong demand",
        "Two brokerages upgraded {name} to buy, citing robust orders and improving margins.",
    ),
    (
        "{name} ({ticker}) soars after record profit and a bigger buyback",
        "{name} posted record quarterly profit, beat estimates and expanded its share "
        "repurchase program.",
    ),
    (
        "{name} ({ticker}) rallies after winning a major contract",
        "{name} won a multiyear contract that analysts expect to boost revenue and profit "
        "growth next year.",
    ),
    (
        "{name} ({ticker}) climbs after strong earnings and an upbeat forecast",
        "{name} reported strong earnings growth, beat expectations and raised its forecast "
        "for the year.",
    ),
    (
        "{name} ({ticker}) gains after a profitable quarter and a higher dividend",
        "{name} posted a profitable quarter with record sales and raised its dividend.",
    ),
)
"""Headline and body pairs for a jump up: several words of the financial lexicon, all positive."""

BAD_NEWS = (
    (
        "{name} ({ticker}) shares plunge after the company cuts its outlook",
        "{name} cut its full-year forecast, warning of weak demand and falling margins.",
    ),
    (
        "{name} ({ticker}) slumps after analysts downgrade the stock on weak demand",
        "Two brokerages downgraded {name} to sell, citing slowing orders and losses in its "
        "newest unit.",
    ),
    (
        "{name} ({ticker}) tumbles as regulators open an antitrust probe",
        "Regulators opened an antitrust investigation into {name}, and analysts warned of "
        "penalties and a costly lawsuit.",
    ),
    (
        "{name} ({ticker}) falls after quarterly revenue misses estimates",
        "{name} missed revenue estimates and reported a decline in profit, disappointing "
        "investors.",
    ),
    (
        "{name} ({ticker}) drops after a profit warning and job cuts",
        "{name} warned that profit will fall short, announced layoffs and reported weak sales.",
    ),
    (
        "{name} ({ticker}) sinks after disclosing an accounting investigation",
        "{name} disclosed an investigation into accounting irregularities, delayed its annual "
        "report and warned of losses.",
    ),
)
"""Headline and body pairs for a drop: several words of the financial lexicon, all negative."""

COMPANY_FILLER = (
    (
        "{name} ({ticker}) to present at an industry conference next week",
        "{name} will webcast the presentation on its investor relations website.",
    ),
    (
        "{name} ({ticker}) schedules its quarterly earnings call",
        "{name} said it will publish results after the close and host a call with analysts.",
    ),
    (
        "{name} ({ticker}) names a new head of investor relations",
        "The appointment takes effect at the start of next month, {name} said.",
    ),
    (
        "{name} ({ticker}) announces the date of its annual shareholder meeting",
        "Shareholders of record at the end of the month may vote at the meeting.",
    ),
    (
        "{name} ({ticker}) opens a new office in Austin",
        "{name} said the office will house engineering and sales teams.",
    ),
    (
        "{name} ({ticker}) updates its mobile app with new features",
        "The update is available in app stores from today, {name} said.",
    ),
)
"""Company announcements that move nothing: no word of the financial lexicon."""

MARKET_FILLER = (
    (
        "Stocks open mixed as investors await Federal Reserve minutes",
        "Traders are watching for clues about the path of interest rates.",
    ),
    (
        "Treasury yields little changed ahead of the jobs report",
        "The ten-year yield held near its level of the previous session.",
    ),
    (
        "Oil prices steady as traders weigh the supply outlook",
        "Brent crude and West Texas Intermediate traded within a narrow range.",
    ),
    (
        "Dollar holds steady against the yen in quiet trading",
        "Currency markets were calm ahead of data due later in the week.",
    ),
    (
        "Wall Street week ahead: inflation data and retail sales on the calendar",
        "Investors will also hear from several Federal Reserve officials.",
    ),
)
"""Market-wide news about no listed company: tagged with no ticker."""


@dataclass(frozen=True, slots=True)
class DemoArticle:
    """One line of the demo file."""

    source: str
    title: str
    content: str
    published_at: datetime
    available_at: datetime
    kind: str
    """What it is about: shock-up, shock-down, company or market (kept out of the file)."""

    def line(self) -> str:
        """Return the article as one JSONL line in the replay format."""
        day = self.published_at.strftime("%Y/%m/%d")
        slug = re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")
        record = {
            "source": self.source,
            "url": f"https://news.example.com/demo/{day}/{slug}",
            "title": self.title,
            "content": self.content,
            "published_at": self.published_at.isoformat(),
            "available_at": self.available_at.isoformat(),
        }
        return json.dumps(record, ensure_ascii=False)


def company_name(ticker: str) -> str:
    """Return the name headlines use for ``ticker``."""
    if ticker in COMPANY_NAMES:
        return COMPANY_NAMES[ticker]
    names = {entry.symbol: entry.name for entry in read_entries()}
    return names.get(ticker, ticker)


def shock_articles(shocks: Sequence[NewsShock], rng: random.Random) -> list[DemoArticle]:
    """Return one article per shock, each available just before its jump; no headline twice."""
    good, bad = rng.sample(GOOD_NEWS, len(GOOD_NEWS)), rng.sample(BAD_NEWS, len(BAD_NEWS))
    # Each ticker cycles through the templates on its own, so its headlines repeat only after
    # it has had every one of them (the titles carry the ticker, so no two tickers collide).
    used: dict[tuple[str, int], int] = {}
    articles = []
    for index, shock in enumerate(shocks):
        templates = good if shock.direction > 0 else bad
        turn = used.get((shock.ticker, shock.direction), index)
        used[(shock.ticker, shock.direction)] = turn + 1
        articles.append(shock_article(shock, *templates[turn % len(templates)]))
    return articles


def shock_article(shock: NewsShock, title: str, body: str) -> DemoArticle:
    """Return the article that explains ``shock``, available just before it."""
    kind = "shock-up" if shock.direction > 0 else "shock-down"
    name = company_name(shock.ticker)
    published = shock.at - PUBLISHED_BEFORE_SHOCK
    return DemoArticle(
        source="demo-newswire",
        title=title.format(name=name, ticker=shock.ticker),
        content=body.format(name=name, ticker=shock.ticker),
        published_at=published,
        available_at=published + AVAILABLE_AFTER_PUBLISHED,
        kind=kind,
    )


def filler_articles(
    config: SyntheticMarketConfig,
    hours: MarketHours,
    shocks: Sequence[NewsShock],
    rng: random.Random,
) -> list[DemoArticle]:
    """Return neutral articles spread over each session of the market, titles never repeated,
    none about a ticker within ``FILLER_CLEARANCE`` of one of its shocks."""
    times = bar_times(config.start, config.n_bars, config.interval_seconds, hours)
    sessions = sorted({t.date() for t in times})
    used: set[str] = set()
    articles: list[DemoArticle] = []
    for day in sessions:
        minutes = [t for t in times if t.date() == day]
        for index in range(FILLER_PER_SESSION + MARKET_WRAPS_PER_SESSION):
            at = rng.choice(minutes)
            if index < FILLER_PER_SESSION:
                ticker = rng.choice(config.tickers)
                if any(s.ticker == ticker and abs(s.at - at) < FILLER_CLEARANCE for s in shocks):
                    continue
                name = company_name(ticker)
                options = [
                    (t.format(name=name, ticker=ticker), b.format(name=name, ticker=ticker))
                    for t, b in COMPANY_FILLER
                ]
                source, kind = "demo-newswire", "company"
            else:
                options, source, kind = list(MARKET_FILLER), "demo-markets", "market"
            fresh = [option for option in options if option[0] not in used]
            if not fresh:
                continue
            title, body = rng.choice(fresh)
            used.add(title)
            articles.append(
                DemoArticle(source, title, body, at, at + AVAILABLE_AFTER_PUBLISHED, kind)
            )
    return articles


def demo_articles(seed: int = SyntheticMarketConfig().seed) -> list[DemoArticle]:
    """Return the demo articles paired with the synthetic market of ``seed``, by availability."""
    config = SyntheticMarketConfig(seed=seed)
    hours = NyseCalendar()
    market = SyntheticMarket(config, clock=_NoClock(), hours=hours)
    rng = random.Random(seed)  # noqa: S311 -- reproducible demo data, not security
    shocks = market.shocks()
    articles = shock_articles(shocks, rng)
    articles += filler_articles(config, hours, shocks, rng)
    return sorted(articles, key=lambda a: (a.available_at, a.title))


def render(articles: Sequence[DemoArticle]) -> str:
    """Return the JSONL text of ``articles``."""
    return "".join(article.line() + "\n" for article in articles)


class _NoClock:
    """The market is only asked for its shocks, which need no clock."""

    def now(self) -> datetime:
        raise RuntimeError("generating the demo news reads no clock")

    async def sleep(self, seconds: float) -> None:
        raise RuntimeError("generating the demo news reads no clock")

    async def sleep_until(self, when: datetime) -> None:
        raise RuntimeError("generating the demo news reads no clock")


def main(argv: Sequence[str] | None = None) -> None:
    """Write the demo news file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=SyntheticMarketConfig().seed)
    parser.add_argument("--output", type=Path, default=TARGET)
    args = parser.parse_args(argv)
    articles = demo_articles(args.seed)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(articles), encoding="utf-8")
    shocks = sum(a.kind.startswith("shock") for a in articles)
    print(f"wrote {len(articles)} articles ({shocks} about shocks) to {args.output}")


if __name__ == "__main__":
    main()
