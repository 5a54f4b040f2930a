// Canned API answers for measuring the dashboard alone (typed by the generated schema).
import type {
  EquityHistory,
  Portfolio,
  PortfolioMetrics,
  Position,
  TradingStatus,
} from "../../src/api/types";

const AS_OF = "2025-03-04T15:00:00Z";

export const portfolio: Portfolio = {
  equity: "104250.18",
  cash: "61210.55",
  buying_power: "122421.10",
  daily_pnl: "812.40",
  daily_pnl_pct: 0.0078,
  positions_count: 2,
  trading_status: "active",
  as_of: AS_OF,
  source: "live",
};

export const positions: Position[] = [
  {
    ticker: "AAPL",
    qty: "40",
    avg_entry_price: "188.20",
    market_price: "191.05",
    market_value: "7642.00",
    unrealized_pnl: "114.00",
    unrealized_pnl_pct: 0.0151,
    stop_loss: "182.55",
    take_profit: "199.50",
    opened_at: "2025-03-03T14:31:00Z",
    entry_signal_id: null,
    updated_at: AS_OF,
  },
  {
    ticker: "MSFT",
    qty: "15",
    avg_entry_price: "402.10",
    market_price: "398.70",
    market_value: "5980.50",
    unrealized_pnl: "-51.00",
    unrealized_pnl_pct: -0.0085,
    stop_loss: "390.04",
    take_profit: "426.23",
    opened_at: "2025-03-04T14:45:00Z",
    entry_signal_id: null,
    updated_at: AS_OF,
  },
];

/** A month of hourly equity points: a gentle climb with noise, deterministic. */
export function history(): EquityHistory {
  const start = Date.parse("2025-02-04T15:00:00Z");
  const points = Array.from({ length: 24 * 28 }, (_, i) => ({
    timestamp: new Date(start + i * 3_600_000).toISOString(),
    equity: (100_000 + i * 6 + Math.sin(i / 7) * 350).toFixed(2),
    cash: "61210.55",
    daily_pnl: (Math.sin(i / 7) * 120).toFixed(2),
    open_positions: 2,
  }));
  return { period: "1m", points };
}

export const metrics: PortfolioMetrics = {
  roi: 0.0425,
  sharpe: 1.38,
  win_rate: 0.57,
  max_drawdown: -0.031,
  total_trades: 84,
  total_pnl: "4250.18",
  snapshots: 672,
};

export const status: TradingStatus = {
  status: "active",
  paused: false,
  kill_switch: false,
  since: AS_OF,
  by: "alice",
};

/** The JSON to answer for each API path the portfolio view calls. */
export function answerFor(path: string): unknown {
  if (path === "/api/portfolio") return portfolio;
  if (path === "/api/portfolio/positions") return positions;
  if (path === "/api/portfolio/history") return history();
  if (path === "/api/portfolio/metrics") return metrics;
  if (path === "/api/controls/status") return status;
  if (path === "/auth/refresh") {
    return {
      access_token: "benchmark-token",
      token_type: "bearer",
      expires_in: 900,
      expires_at: "2025-03-04T15:15:00Z",
      refresh_expires_at: "2025-03-11T15:00:00Z",
      user: { id: "00000000-0000-4000-8000-000000000001", username: "alice", display_name: "alice", created_at: AS_OF },
    };
  }
  return null;
}
