// Backtest queries: past runs, one run (polled while it runs), and starting a run.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "@/api";
import type { BacktestConfig, BacktestRun } from "@/api/types";

export const backtestKeys = {
  all: ["backtests"] as const,
  runs: () => [...backtestKeys.all, "runs"] as const,
  run: (id: string) => [...backtestKeys.all, "run", id] as const,
  strategyOptions: () => [...backtestKeys.all, "strategy-options"] as const,
  marketDate: () => [...backtestKeys.all, "market-date"] as const,
};

/** How often a running backtest is polled for progress. */
export const POLL_MS = 1000;

export function isFinished(run: Pick<BacktestRun, "status"> | undefined): boolean {
  return run?.status === "succeeded" || run?.status === "failed";
}

export function useBacktestRuns() {
  return useQuery({
    queryKey: backtestKeys.runs(),
    queryFn: () => unwrap(api.client.GET("/api/backtest", { params: { query: { limit: 20 } } })),
  });
}

export function useBacktestRun(runId: string) {
  return useQuery({
    queryKey: backtestKeys.run(runId),
    queryFn: () =>
      unwrap(api.client.GET("/api/backtest/{run_id}", { params: { path: { run_id: runId } } })),
    refetchInterval: (query) => (isFinished(query.state.data) ? false : POLL_MS),
  });
}

/** The strategies and their live weights, as the form's defaults. */
export function useStrategyDefaults() {
  return useQuery({
    queryKey: backtestKeys.strategyOptions(),
    queryFn: async () => {
      const strategies = await unwrap(api.client.GET("/api/strategies"));
      return strategies.map((s) => ({ name: s.name, weight: s.weight }));
    },
    staleTime: 5 * 60_000,
  });
}

/** The day the bot's market last reached (the demo market runs on simulated time), else today. */
export function useMarketDate() {
  return useQuery({
    queryKey: backtestKeys.marketDate(),
    queryFn: async () => {
      const portfolio = await unwrap(api.client.GET("/api/portfolio"));
      return portfolio.as_of ? new Date(portfolio.as_of) : new Date();
    },
    staleTime: 60_000,
  });
}

export function useStartBacktest() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (config: BacktestConfig) =>
      unwrap(api.client.POST("/api/backtest/run", { body: config })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: backtestKeys.runs() }),
  });
}
