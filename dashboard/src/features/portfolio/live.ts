// Live portfolio events: patch the summary and the equity curves, refetch positions and metrics.
import type { QueryClient } from "@tanstack/react-query";

import type { EquityHistory, Portfolio } from "@/api/types";
import type { LiveHandlers } from "@/hooks/useLiveEvents";
import type { Numeric } from "@/lib/format";

import { portfolioKeys } from "./queries";

/** The parts of a PortfolioUpdate event the dashboard uses. */
export interface PortfolioEvent {
  equity: Numeric;
  cash: Numeric;
  buying_power: Numeric;
  daily_pnl: Numeric;
  positions: readonly unknown[];
  as_of: string;
}

const isNumeric = (value: unknown): value is Numeric =>
  (typeof value === "number" && Number.isFinite(value)) ||
  (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)));

/** Return the event when it has every field the cache needs; null for anything malformed. */
export function parsePortfolioEvent(data: unknown): PortfolioEvent | null {
  if (typeof data !== "object" || data === null) return null;
  const event = data as Record<string, unknown>;
  const { equity, cash, buying_power, daily_pnl, positions, as_of } = event;
  if (![equity, cash, buying_power, daily_pnl].every(isNumeric)) return null;
  if (typeof as_of !== "string" || Number.isNaN(Date.parse(as_of))) return null;
  return {
    equity: equity as Numeric,
    cash: cash as Numeric,
    buying_power: buying_power as Numeric,
    daily_pnl: daily_pnl as Numeric,
    positions: Array.isArray(positions) ? positions : [],
    as_of,
  };
}

/** Write a portfolio event into the cached summary and equity curves. */
export function applyPortfolioEvent(queryClient: QueryClient, event: PortfolioEvent): void {
  queryClient.setQueryData<Portfolio>(portfolioKeys.summary(), (current) =>
    current
      ? {
          ...current,
          equity: String(event.equity),
          cash: String(event.cash),
          buying_power: String(event.buying_power),
          daily_pnl: String(event.daily_pnl),
          positions_count: event.positions.length,
          as_of: event.as_of,
          source: "live",
        }
      : current,
  );
  queryClient.setQueriesData<EquityHistory>({ queryKey: portfolioKeys.histories() }, (current) => {
    if (!current) return current;
    const last = current.points[current.points.length - 1];
    if (last && Date.parse(last.timestamp) >= Date.parse(event.as_of)) return current;
    return {
      ...current,
      points: [
        ...current.points,
        {
          timestamp: event.as_of,
          equity: String(event.equity),
          cash: String(event.cash),
          daily_pnl: String(event.daily_pnl),
          open_positions: event.positions.length,
        },
      ],
    };
  });
  void queryClient.invalidateQueries({ queryKey: portfolioKeys.positions() });
}

export const portfolioLiveHandlers: LiveHandlers = {
  portfolio: [
    (data, { queryClient }) => {
      const event = parsePortfolioEvent(data);
      if (event) applyPortfolioEvent(queryClient, event);
      else console.warn("ignored a malformed portfolio event");
    },
  ],
  trade: [
    (_data, { queryClient }) => {
      // A fill changes positions, cash and the metrics: refetch rather than recompute them here.
      void queryClient.invalidateQueries({ queryKey: portfolioKeys.all });
    },
  ],
};
