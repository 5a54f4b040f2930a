// Live weight updates: patch each strategy's weight, refetch the histories.
import type { QueryClient } from "@tanstack/react-query";

import type { Strategy } from "@/api/types";
import type { LiveHandlers } from "@/hooks/useLiveEvents";

import { strategyKeys } from "./queries";

/** Return `{name: weight}` from a WeightUpdate event; null when malformed. */
export function parseWeights(data: unknown): Record<string, number> | null {
  if (typeof data !== "object" || data === null) return null;
  const weights = (data as { weights?: unknown }).weights;
  if (typeof weights !== "object" || weights === null) return null;
  const result: Record<string, number> = {};
  for (const [name, weight] of Object.entries(weights)) {
    if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0 || weight > 1) {
      return null;
    }
    result[name] = weight;
  }
  return result;
}

/** Write new weights into the cached strategy list and refetch the weight histories. */
export function applyWeights(queryClient: QueryClient, weights: Record<string, number>): void {
  queryClient.setQueryData<Strategy[]>(strategyKeys.list(), (current) =>
    current?.map((strategy) => {
      const weight = weights[strategy.id] ?? weights[strategy.name];
      return weight === undefined ? strategy : { ...strategy, weight };
    }),
  );
  void queryClient.invalidateQueries({ queryKey: strategyKeys.histories() });
}

export const strategiesLiveHandlers: LiveHandlers = {
  weights: [
    (data, { queryClient }) => {
      const weights = parseWeights(data);
      if (weights) applyWeights(queryClient, weights);
      else console.warn("ignored a malformed weights event");
    },
  ],
  trade: [
    (_data, { queryClient }) => {
      // Win rates and P&L per strategy move with each closed trade.
      void queryClient.invalidateQueries({ queryKey: strategyKeys.list() });
    },
  ],
};
