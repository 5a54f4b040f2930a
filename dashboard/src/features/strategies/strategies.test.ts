import { describe, expect, it } from "vitest";

import type { Strategy, StrategyHistory } from "@/api/types";
import { testQueryClient } from "@/test/render";

import { toAdjustments, toHistoryRows } from "./history";
import { applyWeights, parseWeights } from "./live";
import { strategyKeys } from "./queries";

const MOMENTUM: StrategyHistory = {
  strategy: "momentum",
  weights: [
    { timestamp: "2025-03-02T00:00:00Z", old_weight: 0.34, new_weight: 0.3, reason: "lost 3 of 4" },
    { timestamp: "2025-03-01T00:00:00Z", old_weight: 0.333, new_weight: 0.34, reason: "won 2 of 3" },
  ],
  adjustments: [
    {
      timestamp: "2025-03-02T00:00:00Z",
      cycle: 2,
      old_weight: 0.34,
      new_weight: 0.3,
      reward: -0.4,
      trades_considered: 4,
      reason: "lost 3 of 4",
    },
  ],
};

const NEWS: StrategyHistory = {
  strategy: "news_driven",
  weights: [{ timestamp: "2025-03-02T00:00:00Z", old_weight: 0.333, new_weight: 0.37, reason: "won 4 of 5" }],
  adjustments: [
    {
      timestamp: "2025-03-03T00:00:00Z",
      cycle: 3,
      old_weight: 0.37,
      new_weight: 0.37,
      reward: null,
      trades_considered: 0,
      reason: "no closed trades",
    },
  ],
};

const HISTORIES = [
  { name: "momentum", history: MOMENTUM },
  { name: "news_driven", history: NEWS },
  { name: "mean_reversion", history: undefined },
];

describe("strategies", () => {
  it("test_history_rows_when_weights_change_start_from_the_old_weight_and_share_rows", () => {
    const day1 = Date.parse("2025-03-01T00:00:00Z");
    const day2 = Date.parse("2025-03-02T00:00:00Z");

    expect(toHistoryRows(HISTORIES)).toEqual([
      { time: day1 - 1, momentum: 0.333 },
      { time: day1, momentum: 0.34 },
      { time: day2 - 1, news_driven: 0.333 },
      { time: day2, momentum: 0.3, news_driven: 0.37 },
    ]);
  });

  it("test_adjustments_when_several_strategies_adjusted_lists_them_newest_first", () => {
    expect(toAdjustments(HISTORIES).map((a) => [a.strategy, a.cycle])).toEqual([
      ["news_driven", 3],
      ["momentum", 2],
    ]);
  });

  it("test_weights_live_when_an_update_arrives_patches_each_strategy", () => {
    const queryClient = testQueryClient();
    const list = [
      { id: "momentum", name: "momentum", weight: 0.33 },
      { id: "news_driven", name: "news_driven", weight: 0.33 },
    ] as Strategy[];
    queryClient.setQueryData(strategyKeys.list(), list);

    applyWeights(queryClient, { momentum: 0.25 });

    expect(queryClient.getQueryData<Strategy[]>(strategyKeys.list())?.map((s) => s.weight)).toEqual([0.25, 0.33]);
  });

  it.each([null, { weights: { momentum: 2 } }, { weights: { momentum: "high" } }, { weights: null }])(
    "test_parse_weights_when_malformed_%j_returns_null",
    (data) => {
      expect(parseWeights(data)).toBeNull();
    },
  );
});
