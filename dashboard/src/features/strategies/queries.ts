// Strategy queries: the list with weights, and each strategy's weight history.
import { useQueries, useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/api";

export const strategyKeys = {
  all: ["strategies"] as const,
  list: () => [...strategyKeys.all, "list"] as const,
  histories: () => [...strategyKeys.all, "history"] as const,
  history: (id: string) => [...strategyKeys.histories(), id] as const,
  metrics: (id: string) => [...strategyKeys.all, "metrics", id] as const,
};

export function useStrategies() {
  return useQuery({
    queryKey: strategyKeys.list(),
    queryFn: () => unwrap(api.client.GET("/api/strategies")),
  });
}

/** Load the weight history of every strategy in `ids`. */
export function useStrategyHistories(ids: readonly string[]) {
  return useQueries({
    queries: ids.map((id) => ({
      queryKey: strategyKeys.history(id),
      queryFn: () =>
        unwrap(
          api.client.GET("/api/strategies/{strategy_id}/history", {
            params: { path: { strategy_id: id } },
          }),
        ),
    })),
  });
}
