import { describe, expect, it } from "vitest";

import { strategyColumns, toEquityPoints, toMetrics, toStrategyRows, toTrades } from "./results";

describe("backtest results", () => {
  it("test_metrics_when_reported_lists_the_usual_ones_first_with_their_kind", () => {
    const metrics = toMetrics({ sharpe: 1.2, zeta: 3, total_return: "0.12", max_drawdown: -0.05, note: "x" });

    expect(metrics.map((m) => [m.key, m.kind])).toEqual([
      ["total_return", "percent"],
      ["sharpe", "ratio"],
      ["max_drawdown", "percent"],
      ["zeta", "number"],
    ]);
    expect(metrics[0]?.value).toBe(0.12);
  });

  it.each([null, [], "metrics", 4])("test_metrics_when_malformed_%j_are_empty", (raw) => {
    expect(toMetrics(raw)).toEqual([]);
  });

  it("test_trades_when_keys_vary_reads_each_and_skips_rows_without_ticker", () => {
    const trades = toTrades([
      { ticker: "AAPL", side: "BUY", qty: "10", price: "190.1", executed_at: "2025-03-04T14:30:00Z" },
      { symbol: "MSFT", direction: "SELL", quantity: 5, fill_price: 400, pnl: -12, timestamp: "2025-03-05T14:30:00Z" },
      { side: "BUY" },
      "garbage",
    ]);

    expect(trades).toEqual([
      { time: "2025-03-04T14:30:00Z", ticker: "AAPL", side: "BUY", qty: "10", price: "190.1", pnl: null },
      { time: "2025-03-05T14:30:00Z", ticker: "MSFT", side: "SELL", qty: 5, price: 400, pnl: -12 },
    ]);
  });

  it("test_equity_points_when_some_are_malformed_keeps_the_valid_ones", () => {
    expect(
      toEquityPoints([{ timestamp: "2025-03-04T00:00:00Z", equity: "100000" }, { timestamp: 5 }, null]),
    ).toEqual([{ time: "2025-03-04T00:00:00Z", value: "100000" }]);
  });

  it("test_strategy_rows_when_figures_are_objects_or_numbers_reads_both", () => {
    const rows = toStrategyRows({ momentum: { trades: 4, total_pnl: "12.5", name: "m" }, news_driven: 0.3 });

    expect(rows).toEqual([
      { strategy: "momentum", values: { trades: 4, total_pnl: 12.5 } },
      { strategy: "news_driven", values: { value: 0.3 } },
    ]);
    expect(strategyColumns(rows)).toEqual(["trades", "total_pnl", "value"]);
  });
});
