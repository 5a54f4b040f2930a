import { describe, expect, it } from "vitest";

import type { Article, NewsPage } from "@/api/types";
import { testQueryClient } from "@/test/render";

import { applyNewsEvent, parseNewsEvent, passes } from "./live";
import { newsKeys } from "./queries";
import { sentimentByTicker } from "./sparklines";

const SCORED = {
  article_id: "a".repeat(64),
  source: "reuters",
  url: "https://example.com/aapl",
  title: "Apple beats estimates",
  published_at: "2025-03-04T14:00:00Z",
  available_at: "2025-03-04T14:01:00Z",
  score: 0.62,
  confidence: 0.8,
  model_used: "lexicon",
  reasoning: "",
  tickers: [{ ticker: "AAPL", score: 0.62, confidence: 0.8 }],
  scored_at: "2025-03-04T14:01:01Z",
};

function article(): Article {
  const parsed = parseNewsEvent(SCORED);
  if (!parsed) throw new Error("fixture must parse");
  return parsed;
}

const emptyFeed = (): NewsPage => ({ items: [], total: 0, limit: 50, offset: 0 });

describe("live news", () => {
  it("test_news_live_when_an_article_is_scored_prepends_it_to_matching_feeds_once", () => {
    const queryClient = testQueryClient();
    const all = newsKeys.list({ limit: 50, offset: 0 });
    const aapl = newsKeys.list({ limit: 50, offset: 0, ticker: "AAPL" });
    const negative = newsKeys.list({ limit: 50, offset: 0, max_score: -0.15 });
    for (const key of [all, aapl, negative]) queryClient.setQueryData(key, emptyFeed());

    applyNewsEvent(queryClient, article());
    applyNewsEvent(queryClient, article());

    expect(queryClient.getQueryData<NewsPage>(all)?.items.map((a) => a.title)).toEqual(["Apple beats estimates"]);
    expect(queryClient.getQueryData<NewsPage>(aapl)?.total).toBe(1);
    expect(queryClient.getQueryData<NewsPage>(negative)?.items).toEqual([]);
  });

  it("test_news_live_when_the_source_filter_differs_skips_the_feed", () => {
    expect(passes(article(), { limit: 50, offset: 0, source: "bloomberg" })).toBe(false);
    expect(passes(article(), { limit: 50, offset: 0, ticker: "msft" })).toBe(false);
    expect(passes(article(), { limit: 50, offset: 0, min_score: 0.5 })).toBe(true);
  });

  it("test_parse_news_event_when_a_ticker_mention_is_malformed_drops_only_that_mention", () => {
    const parsed = parseNewsEvent({ ...SCORED, tickers: [{ ticker: "AAPL", score: 9 }, ...SCORED.tickers] });

    expect(parsed?.tickers).toEqual([{ ticker: "AAPL", score: 0.62, confidence: 0.8 }]);
  });

  it.each([
    null,
    { ...SCORED, score: 3 },
    { ...SCORED, article_id: null },
    { ...SCORED, published_at: "later" },
    { ...SCORED, model_used: 7 },
  ])("test_parse_news_event_when_malformed_%#_returns_null", (data) => {
    expect(parseNewsEvent(data)).toBeNull();
  });

  it("test_sentiment_by_ticker_when_articles_mention_tickers_groups_oldest_first", () => {
    const a = article();
    const series = sentimentByTicker([
      {
        ...a,
        published_at: "2025-03-04T15:00:00Z",
        score: 0.1,
        tickers: [
          { ticker: "AAPL", score: -0.2, confidence: 0.7 },
          { ticker: "MSFT", score: 0.5, confidence: 0.7 },
        ],
      },
      { ...a, published_at: "2025-03-04T14:00:00Z", tickers: [{ ticker: "AAPL", score: 0.6, confidence: 0.9 }] },
    ]);

    expect(series.map((s) => s.ticker)).toEqual(["AAPL", "MSFT"]);
    expect(series[0]?.points.map((p) => p.score)).toEqual([0.6, -0.2]);
    expect(series[0]?.average).toBeCloseTo(0.2);
    expect(series[1]?.points.map((p) => p.score)).toEqual([0.5]);
  });
});
