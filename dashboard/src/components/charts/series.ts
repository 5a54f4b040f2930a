// Preparing time series for lightweight-charts: ascending, one point per second, finite values.
import { toNumber, type Numeric } from "@/lib/format";

export interface TimePoint {
  time: string;
  value: Numeric | null;
}

export interface ChartPoint {
  /** Seconds since the epoch (lightweight-charts' UTCTimestamp). */
  time: number;
  value: number;
}

/** Return the points sorted by time, the last value winning when two share a second. */
export function toChartPoints(points: readonly TimePoint[]): ChartPoint[] {
  const bySecond = new Map<number, number>();
  for (const point of points) {
    const ms = Date.parse(point.time);
    const value = toNumber(point.value);
    if (Number.isNaN(ms) || value === null) continue;
    bySecond.set(Math.floor(ms / 1000), value);
  }
  return [...bySecond.entries()]
    .sort(([a], [b]) => a - b)
    .map(([time, value]) => ({ time, value }));
}
