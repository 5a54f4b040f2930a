// Live trades: prepend each execution to the trade lists it belongs to, and announce it.
import type { QueryClient, QueryKey } from "@tanstack/react-query";

import type { Trade, TradePage, TradeQuery } from "@/api/types";
import type { LiveHandlers } from "@/hooks/useLiveEvents";
import { formatMoney, formatQuantity, formatSignedMoney, toNumber } from "@/lib/format";

import { tradeKeys } from "./queries";

export type TradeStatus = Trade["status"];

const STATUSES: readonly TradeStatus[] = [
  "PENDING",
  "PARTIALLY_FILLED",
  "FILLED",
  "CANCELLED",
  "REJECTED",
];

const isStatus = (value: unknown): value is TradeStatus =>
  typeof value === "string" && (STATUSES as readonly string[]).includes(value);

const asString = (value: unknown): string | null =>
  typeof value === "string" ? value : typeof value === "number" ? String(value) : null;

const isTime = (value: unknown): value is string =>
  typeof value === "string" && !Number.isNaN(Date.parse(value));

/** A trade as the gateway pushes it: the same shape as a row of `GET /api/trades`. */
export type TradeEvent = Trade;

/** Return the trade when it has what the trade log needs; null when malformed. */
export function parseTradeEvent(data: unknown): TradeEvent | null {
  if (typeof data !== "object" || data === null) return null;
  const raw = data as Record<string, unknown>;
  const { trade_id, ticker, side, status, submitted_at } = raw;
  const qty = asString(raw.qty);
  if (typeof trade_id !== "string" || typeof ticker !== "string" || !ticker) return null;
  if (side !== "BUY" && side !== "SELL") return null;
  if (!isStatus(status) || qty === null || toNumber(qty) === null) return null;
  if (!isTime(submitted_at)) return null;
  const filledAt = isTime(raw.filled_at) ? raw.filled_at : null;
  return {
    trade_id,
    signal_id: typeof raw.signal_id === "string" ? raw.signal_id : null,
    client_order_id: typeof raw.client_order_id === "string" ? raw.client_order_id : "",
    ticker,
    side,
    qty,
    filled_qty: asString(raw.filled_qty) ?? "0",
    price: asString(raw.price),
    commission: asString(raw.commission) ?? "0",
    status,
    reason: typeof raw.reason === "string" ? raw.reason : "",
    is_exit: raw.is_exit === true,
    realized_pnl: asString(raw.realized_pnl),
    strategy: typeof raw.strategy === "string" ? raw.strategy : null,
    submitted_at,
    filled_at: filledAt,
    updated_at: isTime(raw.updated_at) ? raw.updated_at : (filledAt ?? submitted_at),
  };
}

/** When the trade happened, as the trade log shows it. */
export function tradeTime(trade: Pick<Trade, "filled_at" | "submitted_at">): string {
  return trade.filled_at ?? trade.submitted_at;
}

/** Say whether a new trade belongs at the top of a cached list, or "unknown" (refetch it). */
export function belongsTo(event: TradeEvent, query: TradeQuery): boolean | "unknown" {
  if ((query.offset ?? 0) > 0) return "unknown";
  if (query.ticker && query.ticker.toUpperCase() !== event.ticker) return false;
  const at = Date.parse(tradeTime(event));
  if (query.from && at < Date.parse(query.from)) return false;
  if (query.to && at > Date.parse(query.to)) return false;
  if (query.strategy) return "unknown";
  if (query.profitable !== undefined && query.profitable !== null) {
    const pnl = toNumber(event.realized_pnl);
    if (pnl === null) return false;
    return query.profitable ? pnl > 0 : pnl <= 0;
  }
  return true;
}

function queryOf(key: QueryKey): TradeQuery | null {
  const query = key[2];
  return typeof query === "object" && query !== null ? query : null;
}

/** Put an execution into every cached trade list it belongs to; refetch the ones in doubt. */
export function applyTradeEvent(queryClient: QueryClient, event: TradeEvent): void {
  const row = event;
  for (const [key, page] of queryClient.getQueriesData<TradePage>({ queryKey: tradeKeys.lists() })) {
    const query = queryOf(key);
    if (!page || !query) continue;
    const fits = belongsTo(event, query);
    if (fits === "unknown") {
      void queryClient.invalidateQueries({ queryKey: key, exact: true });
      continue;
    }
    if (!fits) continue;
    const existing = page.items.findIndex((item) => item.trade_id === event.trade_id);
    const items =
      existing >= 0
        ? page.items.map((item, index) => (index === existing ? row : item))
        : [row, ...page.items].slice(0, query.limit ?? page.items.length + 1);
    queryClient.setQueryData<TradePage>(key, {
      ...page,
      items,
      total: existing >= 0 ? page.total : page.total + 1,
    });
  }
  void queryClient.invalidateQueries({ queryKey: tradeKeys.detail(event.trade_id) });
}

/** Describe an execution in one line, as a person would say it. */
export function describeTrade(event: TradeEvent): string {
  const verb = event.side === "BUY" ? "Bought" : "Sold";
  const shares = `${formatQuantity(event.qty)} ${event.ticker}`;
  if (event.status === "FILLED" || event.status === "PARTIALLY_FILLED") {
    const pnl = event.realized_pnl === null ? "" : ` · P&L ${formatSignedMoney(event.realized_pnl)}`;
    return `${verb} ${shares} at ${formatMoney(event.price)}${pnl}`;
  }
  const action = event.side === "BUY" ? "buy" : "sell";
  if (event.status === "REJECTED") {
    return `Order to ${action} ${shares} rejected${event.reason ? `: ${event.reason}` : ""}`;
  }
  if (event.status === "CANCELLED") return `Order to ${action} ${shares} cancelled`;
  return `Order to ${action} ${shares}: ${event.status.toLowerCase()}`;
}

const SEEN_LIMIT = 500;

/** Build the trade handlers; each instance announces a redelivered execution only once. */
export function createTradesLiveHandlers(): LiveHandlers {
  const seen = new Set<string>();
  return {
    trade: [
      (data, { queryClient, toast }) => {
        const event = parseTradeEvent(data);
        if (!event) {
          console.warn("ignored a malformed trade event");
          return;
        }
        applyTradeEvent(queryClient, event);
        const key = `${event.trade_id}:${event.status}`;
        if (seen.has(key)) return;
        seen.add(key);
        if (seen.size > SEEN_LIMIT) {
          const oldest = seen.values().next().value;
          if (oldest !== undefined) seen.delete(oldest);
        }
        toast.show(describeTrade(event), event.status === "FILLED" ? "success" : "info");
      },
    ],
  };
}
