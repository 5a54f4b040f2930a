// An area chart of a time series (equity curves), drawn with TradingView's lightweight-charts.
import { AreaSeries, ColorType, createChart, type UTCTimestamp } from "lightweight-charts";
import { useEffect, useMemo, useRef } from "react";

import { toChartPoints, type TimePoint } from "./series";

const wholeDollars = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
  maximumFractionDigits: 0,
});
const cents = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

/** Below this spread the axis shows cents, or a flat curve would read "$99,999" on every tick. */
const CENTS_BELOW_SPREAD = 100;

export interface TimeSeriesChartProps {
  points: readonly TimePoint[];
  label: string;
  height?: number;
  testId?: string;
}

const UP = "#34d399";
const DOWN = "#fb7185";

export default function TimeSeriesChart({ points, label, height = 280, testId }: TimeSeriesChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const data = useMemo(() => toChartPoints(points), [points]);
  const first = data[0]?.value;
  const last = data[data.length - 1]?.value;
  const color = first !== undefined && last !== undefined && last < first ? DOWN : UP;
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const point of data) {
    low = Math.min(low, point.value);
    high = Math.max(high, point.value);
  }
  const axisMoney = high - low < CENTS_BELOW_SPREAD ? cents : wholeDollars;

  useEffect(() => {
    const element = container.current;
    if (!element) return undefined;
    const chart = createChart(element, {
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: "transparent" },
        textColor: "#94a3b8",
        attributionLogo: false,
      },
      grid: { vertLines: { color: "#1e293b" }, horzLines: { color: "#1e293b" } },
      localization: { priceFormatter: (price: number) => axisMoney.format(price) },
      rightPriceScale: { borderColor: "#334155" },
      timeScale: { borderColor: "#334155", timeVisible: true, secondsVisible: false },
      handleScroll: false,
      handleScale: false,
    });
    const series = chart.addSeries(AreaSeries, {
      lineColor: color,
      topColor: `${color}55`,
      bottomColor: `${color}05`,
      lineWidth: 2,
    });
    series.setData(data.map((point) => ({ time: point.time as UTCTimestamp, value: point.value })));
    chart.timeScale().fitContent();
    return () => {
      chart.remove();
    };
  }, [data, color, axisMoney]);

  return (
    <div
      ref={container}
      role="img"
      aria-label={`${label}: ${data.length} points`}
      data-testid={testId}
      data-points={data.length}
      style={{ height }}
      className="w-full"
    />
  );
}
