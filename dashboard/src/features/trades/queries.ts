// Trade-log queries: key factories and hooks.
import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/api";
import type { TradeQuery } from "@/api/types";

export const tradeKeys = {
  all: ["trades"] as const,
  lists: () => [...tradeKeys.all, "list"] as const,
  list: (query: TradeQuery) => [...tradeKeys.lists(), query] as const,
  details: () => [...tradeKeys.all, "detail"] as const,
  detail: (id: string) => [...tradeKeys.details(), id] as const,
  strategyOptions: () => [...tradeKeys.all, "strategy-options"] as const,
};

export function useTrades(query: TradeQuery) {
  return useQuery({
    queryKey: tradeKeys.list(query),
    queryFn: () => unwrap(api.client.GET("/api/trades", { params: { query } })),
    placeholderData: keepPreviousData,
  });
}

export function useTradeDetail(id: string) {
  return useQuery({
    queryKey: tradeKeys.detail(id),
    queryFn: () =>
      unwrap(api.client.GET("/api/trades/{trade_id}", { params: { path: { trade_id: id } } })),
  });
}

/** Names of the strategies, for the filter's drop-down. */
export function useStrategyOptions() {
  return useQuery({
    queryKey: tradeKeys.strategyOptions(),
    queryFn: async () => {
      const strategies = await unwrap(api.client.GET("/api/strategies"));
      return strategies.map((strategy) => strategy.name).sort();
    },
    staleTime: 5 * 60_000,
  });
}
