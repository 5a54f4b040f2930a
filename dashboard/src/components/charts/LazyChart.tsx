// Charts load on demand so the first page does not pay for the charting libraries.
import { Suspense, lazy } from "react";

import { LoadingState } from "@/components/states";

import type { TimeSeriesChartProps } from "./TimeSeriesChart";

const TimeSeriesChart = lazy(() => import("./TimeSeriesChart"));

/** A time-series chart, loaded the first time one is shown. */
export function LazyTimeSeriesChart(props: TimeSeriesChartProps) {
  return (
    <Suspense fallback={<LoadingState label="Loading chart…" />}>
      <TimeSeriesChart {...props} />
    </Suspense>
  );
}
