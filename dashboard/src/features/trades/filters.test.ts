import { describe, expect, it } from "vitest";

import { EMPTY_FILTERS, filtersFromSearch, filtersToSearch, toTradeQuery } from "./filters";

describe("trade filters", () => {
  it("test_trade_query_when_no_filters_asks_for_the_first_page_only", () => {
    expect(toTradeQuery(EMPTY_FILTERS)).toEqual({ limit: 25, offset: 0 });
  });

  it("test_trade_query_when_every_filter_is_set_sends_each_as_the_api_expects", () => {
    const query = toTradeQuery({
      ticker: " aapl ",
      from: "2025-03-01",
      to: "2025-03-04",
      strategy: "momentum",
      profitable: "winners",
      page: 2,
    });

    expect(query).toEqual({
      limit: 25,
      offset: 50,
      ticker: "AAPL",
      from: "2025-03-01T00:00:00.000Z",
      to: "2025-03-05T00:00:00.000Z",
      strategy: "momentum",
      profitable: true,
    });
  });

  it("test_trade_query_when_losers_asked_sends_profitable_false", () => {
    expect(toTradeQuery({ ...EMPTY_FILTERS, profitable: "losers" }).profitable).toBe(false);
  });

  it("test_trade_filters_when_written_to_the_url_and_read_back_are_unchanged", () => {
    const filters = {
      ticker: "MSFT",
      from: "2025-01-02",
      to: "2025-02-03",
      strategy: "news_driven",
      profitable: "losers" as const,
      page: 3,
    };

    expect(filtersFromSearch(filtersToSearch(filters))).toEqual(filters);
    expect(filtersToSearch(EMPTY_FILTERS).toString()).toBe("");
  });

  it("test_trade_filters_when_the_url_is_malformed_fall_back_to_no_filter", () => {
    const filters = filtersFromSearch(
      new URLSearchParams("from=yesterday&to=2025-99-99&profitable=maybe&page=-4"),
    );

    expect(filters).toEqual(EMPTY_FILTERS);
  });
});
