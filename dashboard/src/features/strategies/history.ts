// Turning per-strategy weight histories into chart rows and one adjustments log.
import type { StrategyHistory } from "@/api/types";

/** One row of the weight-history chart: a time and the weight of each strategy that changed. */
export interface HistoryRow {
  time: number;
  [strategy: string]: number;
}

export interface NamedHistory {
  name: string;
  history: StrategyHistory | undefined;
}

export type Adjustment = StrategyHistory["adjustments"][number] & { strategy: string };

/** Merge weight changes into rows keyed by time, one column per strategy, oldest first. */
export function toHistoryRows(histories: readonly NamedHistory[]): HistoryRow[] {
  const rows = new Map<number, HistoryRow>();
  const put = (time: number, name: string, weight: number) => {
    const row = rows.get(time) ?? { time };
    row[name] = weight;
    rows.set(time, row);
  };
  for (const { name, history } of histories) {
    const changes = [...(history?.weights ?? [])]
      .map((point) => ({ ...point, time: Date.parse(point.timestamp) }))
      .filter((point) => !Number.isNaN(point.time))
      .sort((a, b) => a.time - b.time);
    const first = changes[0];
    // The weight before the first change, so each line starts where the strategy started.
    if (first) put(first.time - 1, name, first.old_weight);
    for (const change of changes) put(change.time, name, change.new_weight);
  }
  return [...rows.values()].sort((a, b) => a.time - b.time);
}

/** Every strategy's adjustments in one list, newest first. */
export function toAdjustments(histories: readonly NamedHistory[]): Adjustment[] {
  return histories
    .flatMap(({ name, history }) =>
      (history?.adjustments ?? []).map((adjustment) => ({ ...adjustment, strategy: name })),
    )
    .sort((a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp));
}
