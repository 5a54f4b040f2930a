import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { api } from "@/api";
import type { Trade, TradePage } from "@/api/types";
import { fakeApi } from "@/test/fakeApi";
import { providers, testQueryClient } from "@/test/render";

import TradesPage from "./TradesPage";

const TRADE: Trade = {
  trade_id: "t-1",
  signal_id: "s-1",
  client_order_id: "tb-1",
  ticker: "AAPL",
  side: "BUY",
  qty: "10",
  filled_qty: "10",
  price: "190.12",
  commission: "0.05",
  status: "FILLED",
  reason: "",
  is_exit: false,
  realized_pnl: null,
  strategy: "momentum",
  submitted_at: "2025-03-04T14:30:00Z",
  filled_at: "2025-03-04T14:30:01Z",
  updated_at: "2025-03-04T14:30:01Z",
};

function page(items: TradePage["items"], total: number): TradePage {
  return { items, total, limit: 25, offset: 0 };
}

describe("TradesPage", () => {
  beforeEach(() => {
    api.session.signIn("access-1");
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("test_trades_page_when_filters_are_in_the_url_asks_the_api_with_them", async () => {
    const requests = fakeApi({
      "/api/trades": () => page([TRADE], 1),
      "/api/strategies": () => [],
    });

    render(<TradesPage />, { wrapper: providers(testQueryClient(), "/?ticker=aapl&profitable=winners&from=2025-03-01") });

    expect(await screen.findByText("AAPL")).toBeInTheDocument();
    expect(requests.find((r) => r.path === "/api/trades")?.query).toEqual({
      limit: "25",
      offset: "0",
      ticker: "AAPL",
      from: "2025-03-01T00:00:00.000Z",
      profitable: "true",
    });
    expect(screen.getByLabelText("Ticker")).toHaveValue("aapl");
  });

  it("test_trades_page_when_typing_a_ticker_and_paging_refetches_with_the_new_query", async () => {
    const requests = fakeApi({
      "/api/trades": (query) => page([{ ...TRADE, trade_id: `t-${query.offset ?? "0"}` }], 60),
      "/api/strategies": () => [],
    });
    render(<TradesPage />, { wrapper: providers(testQueryClient(), "/") });
    await screen.findByText("1–1 of 60");

    await userEvent.type(screen.getByLabelText("Ticker"), "ms");
    await userEvent.click(screen.getByRole("button", { name: "Next" }));

    await waitFor(() => {
      expect(requests.filter((r) => r.path === "/api/trades").at(-1)?.query).toEqual({
        limit: "25",
        offset: "25",
        ticker: "MS",
      });
    });
  });

  it("test_trades_page_when_no_trade_matches_says_so", async () => {
    fakeApi({ "/api/trades": () => page([], 0), "/api/strategies": () => [] });

    render(<TradesPage />, { wrapper: providers(testQueryClient(), "/") });

    expect(await screen.findByText("No trades match these filters.")).toBeInTheDocument();
  });

  it("test_trades_page_when_the_api_fails_shows_the_error_with_a_retry", async () => {
    fakeApi({
      "/api/trades": () =>
        Response.json({ error: { code: "internal", message: "storage unavailable" } }, { status: 503 }),
      "/api/strategies": () => [],
    });

    render(<TradesPage />, { wrapper: providers(testQueryClient(), "/") });

    expect(await screen.findByRole("alert")).toHaveTextContent("storage unavailable");
    expect(screen.getByRole("button", { name: "Retry" })).toBeInTheDocument();
  });

  it("test_trades_page_when_a_row_is_expanded_shows_its_signal_strategies_and_news", async () => {
    fakeApi({
      "/api/trades": () => page([TRADE], 1),
      "/api/strategies": () => [],
      "/api/trades/t-1": () => ({
        trade: TRADE,
        signal: {
          signal_id: "s-1",
          ticker: "AAPL",
          direction: "LONG",
          strength: 0.7,
          price: 190,
          sentiment_score: 0.4,
          sources: [],
          article_ids: ["a-1"],
          generated_at: "2025-03-04T14:29:00Z",
          acted_on: true,
          outcome: "FILLED",
          outcome_reason: "",
        },
        contributions: [{ strategy: "momentum", direction: "LONG", strength: 0.8, weight: 0.33 }],
        articles: [
          {
            article_id: "a-1",
            source: "reuters",
            url: "https://example.com",
            title: "Apple beats estimates",
            published_at: "2025-03-04T14:00:00Z",
            available_at: "2025-03-04T14:01:00Z",
            score: 0.62,
            confidence: 0.8,
            model_used: "lexicon",
            reasoning: "",
            tickers: [{ ticker: "AAPL", score: 0.62, confidence: 0.8 }],
            scored_at: "2025-03-04T14:01:01Z",
          },
        ],
        outcome: null,
      }),
    });
    render(<TradesPage />, { wrapper: providers(testQueryClient(), "/") });

    await userEvent.click(await screen.findByRole("button", { name: "Show details of the AAPL trade" }));

    expect(await screen.findByText("Apple beats estimates")).toBeInTheDocument();
    expect(screen.getByRole("region", { name: "Strategy contributions" })).toHaveTextContent("momentum");
    expect(screen.getByLabelText("Sentiment +0.62")).toBeInTheDocument();
    expect(screen.getByText("Still open: no outcome yet.")).toBeInTheDocument();
  });
});
