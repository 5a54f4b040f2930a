import { describe, expect, it } from "vitest";

import { toNewsQuery } from "./filters";

describe("news filters", () => {
  it.each([
    ["all", {}],
    ["positive", { min_score: 0.15 }],
    ["neutral", { min_score: -0.15, max_score: 0.15 }],
    ["negative", { max_score: -0.15 }],
  ] as const)("test_news_query_when_sentiment_is_%s_sends_score_bounds_%j", (sentiment, bounds) => {
    expect(toNewsQuery({ ticker: "", source: "", sentiment })).toEqual({ limit: 50, offset: 0, ...bounds });
  });

  it("test_news_query_when_ticker_and_source_given_sends_them_trimmed", () => {
    expect(toNewsQuery({ ticker: " tsla", source: "Reuters ", sentiment: "all" })).toEqual({
      limit: 50,
      offset: 0,
      ticker: "TSLA",
      source: "Reuters",
    });
  });
});
