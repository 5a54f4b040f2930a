import { describe, expect, it, vi } from "vitest";

import type { EquityHistory, Portfolio } from "@/api/types";
import { testQueryClient } from "@/test/render";

import { parsePortfolioEvent, portfolioLiveHandlers } from "./live";
import { portfolioKeys } from "./queries";

const SUMMARY: Portfolio = {
  equity: "100000.00",
  cash: "100000.00",
  buying_power: "200000.00",
  daily_pnl: "0",
  daily_pnl_pct: 0,
  positions_count: 0,
  trading_status: "active",
  as_of: "2025-03-04T14:00:00Z",
  source: "snapshot",
};

const START_POINT = {
  timestamp: "2025-03-04T14:00:00Z",
  equity: "100000.00",
  cash: "100000.00",
  daily_pnl: "0",
  open_positions: 0,
};

const UPDATE = {
  equity: "100812.40",
  cash: "92000.00",
  buying_power: "184000.00",
  daily_pnl: "812.40",
  positions: [{ ticker: "AAPL" }],
  as_of: "2025-03-04T15:00:00Z",
};

function handle(data: unknown, queryClient = testQueryClient()) {
  const [handler] = portfolioLiveHandlers.portfolio ?? [];
  handler?.(data, { queryClient, toast: { show: vi.fn() } });
  return queryClient;
}

describe("live portfolio", () => {
  it("test_portfolio_live_when_an_update_arrives_patches_value_and_day_pnl", () => {
    const queryClient = testQueryClient();
    queryClient.setQueryData(portfolioKeys.summary(), SUMMARY);

    handle(UPDATE, queryClient);

    expect(queryClient.getQueryData(portfolioKeys.summary())).toEqual({
      ...SUMMARY,
      equity: "100812.40",
      cash: "92000.00",
      buying_power: "184000.00",
      daily_pnl: "812.40",
      positions_count: 1,
      as_of: "2025-03-04T15:00:00Z",
      source: "live",
    });
  });

  it("test_portfolio_live_when_an_update_arrives_extends_the_equity_curve_once", () => {
    const queryClient = testQueryClient();
    const key = portfolioKeys.history("1d");
    queryClient.setQueryData<EquityHistory>(key, {
      period: "1d",
      points: [START_POINT],
    });

    handle(UPDATE, queryClient);
    handle(UPDATE, queryClient);

    expect(queryClient.getQueryData<EquityHistory>(key)?.points).toEqual([
      START_POINT,
      {
        timestamp: "2025-03-04T15:00:00Z",
        equity: "100812.40",
        cash: "92000.00",
        daily_pnl: "812.40",
        open_positions: 1,
      },
    ]);
  });

  it("test_portfolio_live_when_positions_change_refetches_them", () => {
    const queryClient = testQueryClient();
    queryClient.setQueryData(portfolioKeys.positions(), []);

    handle(UPDATE, queryClient);

    expect(queryClient.getQueryState(portfolioKeys.positions())?.isInvalidated).toBe(true);
  });

  it("test_portfolio_live_when_the_update_is_malformed_leaves_the_cache_alone", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const queryClient = testQueryClient();
    queryClient.setQueryData(portfolioKeys.summary(), SUMMARY);

    handle({ ...UPDATE, equity: "lots" }, queryClient);

    expect(queryClient.getQueryData(portfolioKeys.summary())).toEqual(SUMMARY);
    expect(warn).toHaveBeenCalledOnce();
  });

  it.each([null, "x", { ...UPDATE, as_of: "soon" }, { ...UPDATE, cash: Number.NaN }])(
    "test_parse_portfolio_event_when_given_%j_returns_null",
    (data) => {
      expect(parsePortfolioEvent(data)).toBeNull();
    },
  );
});
