// Reading a backtest's results, which the API passes through as loosely typed JSON.
import { toNumber, type Numeric } from "@/lib/format";

export type MetricKind = "percent" | "ratio" | "count" | "money" | "number";

export interface Metric {
  key: string;
  label: string;
  value: number;
  kind: MetricKind;
}

export interface ResultTrade {
  time: string | null;
  ticker: string;
  side: string;
  qty: Numeric | null;
  price: Numeric | null;
  pnl: Numeric | null;
}

export interface StrategyRow {
  strategy: string;
  values: Record<string, number>;
}

/** The metrics shown first, in this order; any others follow alphabetically. */
const PREFERRED = [
  "total_return",
  "cagr",
  "sharpe",
  "sortino",
  "max_drawdown",
  "win_rate",
  "trades",
  "trade_count",
  "final_equity",
];

const LABELS: Record<string, string> = {
  total_return: "Total return",
  cagr: "CAGR",
  sharpe: "Sharpe",
  sortino: "Sortino",
  max_drawdown: "Max drawdown",
  win_rate: "Win rate",
  trades: "Trades",
  trade_count: "Trades",
  final_equity: "Final equity",
};

/** Say how a metric named `key` is best shown. */
export function metricKind(key: string): MetricKind {
  if (/(return|drawdown|rate|cagr|pct|percent|exposure)/.test(key)) return "percent";
  if (/(sharpe|sortino|calmar|ratio|factor)/.test(key)) return "ratio";
  if (/(equity|pnl|capital|commission|cash)/.test(key)) return "money";
  if (/(trades|count|bars|wins|losses)/.test(key)) return "count";
  return "number";
}

function label(key: string): string {
  return LABELS[key] ?? key.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** List the numeric metrics, the usual ones first; non-numeric values are left out. */
export function toMetrics(metrics: unknown): Metric[] {
  if (!isRecord(metrics)) return [];
  const entries = Object.entries(metrics)
    .map(([key, raw]) => ({ key, value: toNumber(raw as Numeric | null) }))
    .filter((entry): entry is { key: string; value: number } => entry.value !== null);
  const rank = (key: string) => {
    const index = PREFERRED.indexOf(key);
    return index === -1 ? PREFERRED.length : index;
  };
  entries.sort((a, b) => rank(a.key) - rank(b.key) || a.key.localeCompare(b.key));
  return entries.map(({ key, value }) => ({ key, label: label(key), value, kind: metricKind(key) }));
}

function pick(record: Record<string, unknown>, keys: readonly string[]): unknown {
  for (const key of keys) if (record[key] !== undefined && record[key] !== null) return record[key];
  return null;
}

const numeric = (value: unknown): Numeric | null =>
  typeof value === "number" || typeof value === "string" ? value : null;

/** Read the trade log; rows without a ticker are left out. */
export function toTrades(trades: unknown): ResultTrade[] {
  if (!Array.isArray(trades)) return [];
  return trades.filter(isRecord).flatMap((trade) => {
    const ticker = pick(trade, ["ticker", "symbol"]);
    if (typeof ticker !== "string") return [];
    const time = pick(trade, ["executed_at", "timestamp", "time", "filled_at", "exit_time"]);
    const side = pick(trade, ["side", "direction"]);
    return [
      {
        time: typeof time === "string" ? time : null,
        ticker,
        side: typeof side === "string" ? side : "",
        qty: numeric(pick(trade, ["qty", "quantity", "filled_qty"])),
        price: numeric(pick(trade, ["price", "fill_price", "filled_avg_price", "exit_price"])),
        pnl: numeric(pick(trade, ["realized_pnl", "pnl", "profit"])),
      },
    ];
  });
}

/** Read the equity curve as chart points; malformed points are left out. */
export function toEquityPoints(curve: unknown): { time: string; value: Numeric }[] {
  if (!Array.isArray(curve)) return [];
  return curve.filter(isRecord).flatMap((point) => {
    const time = pick(point, ["timestamp", "time", "at"]);
    const value = numeric(pick(point, ["equity", "value"]));
    return typeof time === "string" && value !== null ? [{ time, value }] : [];
  });
}

/** Read the per-strategy breakdown: one row per strategy with its numeric figures. */
export function toStrategyRows(perStrategy: unknown): StrategyRow[] {
  if (!isRecord(perStrategy)) return [];
  return Object.entries(perStrategy)
    .map(([strategy, figures]) => {
      const values: Record<string, number> = {};
      if (isRecord(figures)) {
        for (const [key, raw] of Object.entries(figures)) {
          const value = toNumber(numeric(raw));
          if (value !== null) values[key] = value;
        }
      } else {
        const value = toNumber(numeric(figures));
        if (value !== null) values.value = value;
      }
      return { strategy, values };
    })
    .sort((a, b) => a.strategy.localeCompare(b.strategy));
}

/** The union of figure names across strategies, for the table's columns. */
export function strategyColumns(rows: readonly StrategyRow[]): string[] {
  return [...new Set(rows.flatMap((row) => Object.keys(row.values)))].sort(
    (a, b) => (PREFERRED.indexOf(a) + 1 || 99) - (PREFERRED.indexOf(b) + 1 || 99) || a.localeCompare(b),
  );
}

export { label as metricLabel };
