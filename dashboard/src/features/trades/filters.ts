// The trade log's filters: kept in the URL, turned into the API's query parameters.
import type { TradeQuery } from "@/api/types";
import { compactQuery, dayBoundary, parseIntParam } from "@/lib/query";

export type Profitable = "all" | "winners" | "losers";

export interface TradeFilters {
  ticker: string;
  from: string;
  to: string;
  strategy: string;
  profitable: Profitable;
  page: number;
}

export const PAGE_SIZE = 25;

export const EMPTY_FILTERS: TradeFilters = {
  ticker: "",
  from: "",
  to: "",
  strategy: "",
  profitable: "all",
  page: 0,
};

const PROFITABLE: Record<Profitable, boolean | undefined> = {
  all: undefined,
  winners: true,
  losers: false,
};

/** Turn the filters into the query of `GET /api/trades` (dates become UTC day boundaries). */
export function toTradeQuery(filters: TradeFilters, pageSize = PAGE_SIZE): TradeQuery {
  return {
    limit: pageSize,
    offset: filters.page * pageSize,
    ...compactQuery({
      ticker: filters.ticker.trim().toUpperCase(),
      from: dayBoundary(filters.from, "start"),
      to: dayBoundary(filters.to, "end"),
      strategy: filters.strategy,
      profitable: PROFITABLE[filters.profitable],
    }),
  };
}

const isProfitable = (value: string | null): value is Profitable =>
  value === "all" || value === "winners" || value === "losers";

/** Read filters from the address bar; malformed values fall back to "no filter". */
export function filtersFromSearch(search: URLSearchParams): TradeFilters {
  const day = (key: string) => {
    const value = search.get(key) ?? "";
    return dayBoundary(value, "start") ? value : "";
  };
  const profitable = search.get("profitable");
  return {
    ticker: search.get("ticker") ?? "",
    from: day("from"),
    to: day("to"),
    strategy: search.get("strategy") ?? "",
    profitable: isProfitable(profitable) ? profitable : "all",
    page: parseIntParam(search.get("page"), 0),
  };
}

/** Write filters to the address bar, leaving out the defaults. */
export function filtersToSearch(filters: TradeFilters): URLSearchParams {
  const entries = compactQuery({
    ticker: filters.ticker,
    from: filters.from,
    to: filters.to,
    strategy: filters.strategy,
    profitable: filters.profitable === "all" ? undefined : filters.profitable,
    page: filters.page > 0 ? String(filters.page) : undefined,
  });
  return new URLSearchParams(entries);
}
