import { act, renderHook, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";

import type { TradePage, TradeQuery } from "@/api/types";
import { useLiveEvents } from "@/hooks/useLiveEvents";
import { FakeWebSocket, FakeWebSocketImpl } from "@/test/FakeWebSocket";
import { providers, testQueryClient } from "@/test/render";

import {
  applyTradeEvent,
  belongsTo,
  createTradesLiveHandlers,
  describeTrade,
  parseTradeEvent,
  type TradeEvent,
} from "./live";
import { tradeKeys } from "./queries";

const EXECUTION: Record<string, unknown> = {
  trade_id: "6f1c2a4e-0000-4000-8000-000000000001",
  signal_id: null,
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
  strategy: null,
  submitted_at: "2025-03-04T14:30:00Z",
  filled_at: "2025-03-04T14:30:00Z",
  updated_at: "2025-03-04T14:30:00Z",
};

function event(overrides: Record<string, unknown> = {}): TradeEvent {
  const parsed = parseTradeEvent({ ...EXECUTION, ...overrides });
  if (!parsed) throw new Error("fixture must parse");
  return parsed;
}

function page(items: TradePage["items"] = [], total = items.length): TradePage {
  return { items, total, limit: 2, offset: 0 };
}

describe("live trades", () => {
  beforeEach(() => {
    FakeWebSocket.reset();
  });

  it("test_trades_live_when_a_trade_arrives_over_the_socket_prepends_it_and_toasts", () => {
    const queryClient = testQueryClient();
    const key = tradeKeys.list({ limit: 25, offset: 0 });
    queryClient.setQueryData(key, page());
    const handlers = createTradesLiveHandlers();
    renderHook(
      () =>
        useLiveEvents({
          url: "ws://gateway.test/ws",
          token: "access-1",
          handlers,
          onUnauthorized: vi.fn(),
          WebSocketImpl: FakeWebSocketImpl,
        }),
      { wrapper: providers(queryClient) },
    );

    act(() => {
      FakeWebSocket.latest().open();
      FakeWebSocket.latest().receive({ type: "trade", data: EXECUTION });
    });

    const cached = queryClient.getQueryData<TradePage>(key);
    expect(cached?.total).toBe(1);
    expect(cached?.items[0]).toMatchObject({ ticker: "AAPL", side: "BUY", qty: "10", price: "190.12" });
    expect(screen.getByText("Bought 10 AAPL at $190.12")).toBeInTheDocument();
  });

  it("test_trades_live_when_the_same_trade_is_delivered_twice_keeps_one_row_and_one_toast", () => {
    const queryClient = testQueryClient();
    const key = tradeKeys.list({ limit: 25, offset: 0 });
    queryClient.setQueryData(key, page());
    const toast = { show: vi.fn() };
    const [handler] = createTradesLiveHandlers().trade ?? [];

    handler?.(EXECUTION, { queryClient, toast });
    handler?.(EXECUTION, { queryClient, toast });

    expect(queryClient.getQueryData<TradePage>(key)?.items).toHaveLength(1);
    expect(queryClient.getQueryData<TradePage>(key)?.total).toBe(1);
    expect(toast.show).toHaveBeenCalledOnce();
  });

  it("test_trades_live_when_the_list_is_full_keeps_the_page_size", () => {
    const queryClient = testQueryClient();
    const key = tradeKeys.list({ limit: 2, offset: 0 });
    const older = [event({ trade_id: "a" }), event({ trade_id: "b" })];
    queryClient.setQueryData(key, page(older, 40));

    applyTradeEvent(queryClient, event({ trade_id: "c" }));

    const cached = queryClient.getQueryData<TradePage>(key);
    expect(cached?.items.map((t) => t.trade_id)).toEqual(["c", "a"]);
    expect(cached?.total).toBe(41);
  });

  it("test_trades_live_when_a_list_filters_another_ticker_leaves_it_alone", () => {
    const queryClient = testQueryClient();
    const key = tradeKeys.list({ limit: 25, offset: 0, ticker: "MSFT" });
    queryClient.setQueryData(key, page());

    applyTradeEvent(queryClient, event());

    expect(queryClient.getQueryData<TradePage>(key)?.items).toEqual([]);
  });

  it("test_trades_live_when_a_list_filters_by_strategy_refetches_it_instead_of_guessing", () => {
    const queryClient = testQueryClient();
    const key = tradeKeys.list({ limit: 25, offset: 0, strategy: "momentum" });
    queryClient.setQueryData(key, page());

    applyTradeEvent(queryClient, event());

    expect(queryClient.getQueryState(key)?.isInvalidated).toBe(true);
    expect(queryClient.getQueryData<TradePage>(key)?.items).toEqual([]);
  });

  it("test_trades_live_when_a_pending_order_arrives_keeps_it_unfilled", () => {
    expect(parseTradeEvent({ ...EXECUTION, status: "PENDING", filled_at: null, price: null })).toMatchObject({
      status: "PENDING",
      filled_at: null,
      price: null,
    });
  });

  it("test_trades_live_when_data_is_malformed_parses_to_null", () => {
    expect(parseTradeEvent(null)).toBeNull();
    expect(parseTradeEvent({ ...EXECUTION, side: "HOLD" })).toBeNull();
    expect(parseTradeEvent({ ...EXECUTION, qty: "NaN" })).toBeNull();
    expect(parseTradeEvent({ ...EXECUTION, submitted_at: "yesterday" })).toBeNull();
    expect(parseTradeEvent({ ...EXECUTION, status: "LOST" })).toBeNull();
    expect(parseTradeEvent({ ...EXECUTION, trade_id: 7 })).toBeNull();
  });
});

describe("belongsTo", () => {
  const query = (q: Partial<TradeQuery>): TradeQuery => ({ limit: 25, offset: 0, ...q });

  it.each([
    [{}, true],
    [{ ticker: "aapl" }, true],
    [{ ticker: "MSFT" }, false],
    [{ offset: 25 }, "unknown"],
    [{ from: "2025-03-05T00:00:00.000Z" }, false],
    [{ to: "2025-03-04T00:00:00.000Z" }, false],
    [{ profitable: true }, false],
    [{ strategy: "momentum" }, "unknown"],
  ] as const)("test_belongs_to_when_query_is_%j_answers_%s", (filters, expected) => {
    expect(belongsTo(event(), query(filters))).toBe(expected);
  });

  it("test_belongs_to_when_an_exit_made_money_fits_the_winners_only", () => {
    const exit = event({ side: "SELL", is_exit: true, realized_pnl: "48.80" });

    expect(belongsTo(exit, query({ profitable: true }))).toBe(true);
    expect(belongsTo(exit, query({ profitable: false }))).toBe(false);
  });
});

describe("describeTrade", () => {
  it("test_describe_trade_when_filled_exit_includes_realised_pnl", () => {
    expect(describeTrade(event({ side: "SELL", realized_pnl: "-12.5" }))).toBe(
      "Sold 10 AAPL at $190.12 · P&L −$12.50",
    );
  });

  it("test_describe_trade_when_rejected_gives_the_reason", () => {
    expect(describeTrade(event({ status: "REJECTED", reason: "exposure cap reached", price: null }))).toBe(
      "Order to buy 10 AAPL rejected: exposure cap reached",
    );
  });
});
