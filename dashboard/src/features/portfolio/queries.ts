// Portfolio and trading-control queries: key factories, hooks, and the mutations that change them.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "@/api";
import type { HistoryPeriod } from "@/api/types";

export const portfolioKeys = {
  all: ["portfolio"] as const,
  summary: () => [...portfolioKeys.all, "summary"] as const,
  positions: () => [...portfolioKeys.all, "positions"] as const,
  histories: () => [...portfolioKeys.all, "history"] as const,
  history: (period: HistoryPeriod) => [...portfolioKeys.histories(), period] as const,
  metrics: () => [...portfolioKeys.all, "metrics"] as const,
};

export const controlKeys = {
  all: ["controls"] as const,
  status: () => [...controlKeys.all, "status"] as const,
};

export const HISTORY_PERIODS: readonly { value: HistoryPeriod; label: string }[] = [
  { value: "1d", label: "1D" },
  { value: "1w", label: "1W" },
  { value: "1m", label: "1M" },
  { value: "3m", label: "3M" },
  { value: "1y", label: "1Y" },
  { value: "all", label: "All" },
];

export function usePortfolio() {
  return useQuery({
    queryKey: portfolioKeys.summary(),
    queryFn: () => unwrap(api.client.GET("/api/portfolio")),
    refetchInterval: 30_000,
  });
}

export function usePositions() {
  return useQuery({
    queryKey: portfolioKeys.positions(),
    queryFn: () => unwrap(api.client.GET("/api/portfolio/positions")),
  });
}

export function useEquityHistory(period: HistoryPeriod) {
  return useQuery({
    queryKey: portfolioKeys.history(period),
    queryFn: () =>
      unwrap(api.client.GET("/api/portfolio/history", { params: { query: { period } } })),
  });
}

export function usePortfolioMetrics() {
  return useQuery({
    queryKey: portfolioKeys.metrics(),
    queryFn: () => unwrap(api.client.GET("/api/portfolio/metrics")),
  });
}

export function useTradingStatus() {
  return useQuery({
    queryKey: controlKeys.status(),
    queryFn: () => unwrap(api.client.GET("/api/controls/status")),
    refetchInterval: 30_000,
  });
}

/** Pause or resume new entries; the status in the cache follows the server's answer. */
export function useSetTrading() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (action: "pause" | "resume") =>
      unwrap(
        action === "pause"
          ? api.client.POST("/api/controls/pause")
          : api.client.POST("/api/controls/resume"),
      ),
    onSuccess: (status) => {
      queryClient.setQueryData(controlKeys.status(), status);
      void queryClient.invalidateQueries({ queryKey: portfolioKeys.summary() });
    },
  });
}

/** Ask the executor to close a whole position through its normal (risk-checked) path. */
export function useClosePosition() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (ticker: string) =>
      unwrap(api.client.POST("/api/controls/close-position", { body: { ticker } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: portfolioKeys.all }),
  });
}
