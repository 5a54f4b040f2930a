// The equity curve with a choice of period.
import { useState } from "react";

import type { HistoryPeriod } from "@/api/types";
import { Card } from "@/components/Card";
import { LazyTimeSeriesChart } from "@/components/charts/LazyChart";
import { EmptyState, QueryView } from "@/components/states";

import { HISTORY_PERIODS, useEquityHistory } from "./queries";

export function EquityCurve() {
  const [period, setPeriod] = useState<HistoryPeriod>("1m");
  const history = useEquityHistory(period);

  const choices = (
    <div role="group" aria-label="Period" className="flex gap-1">
      {HISTORY_PERIODS.map((choice) => (
        <button
          key={choice.value}
          type="button"
          aria-pressed={period === choice.value}
          className={`rounded px-2 py-1 text-xs font-medium ${
            period === choice.value ? "bg-sky-700 text-white" : "text-slate-400 hover:bg-slate-800"
          }`}
          onClick={() => {
            setPeriod(choice.value);
          }}
        >
          {choice.label}
        </button>
      ))}
    </div>
  );

  return (
    <Card title="Equity curve" actions={choices}>
      <QueryView
        query={history}
        loadingLabel="Loading the equity curve…"
        isEmpty={(data) => data.points.length === 0}
        empty={
          <EmptyState title="No equity history for this period yet.">
            <p>Snapshots are recorded while the bot runs.</p>
            {period === "all" ? null : (
              <button
                type="button"
                className="mt-2 text-sky-400 underline hover:text-sky-300"
                onClick={() => {
                  setPeriod("all");
                }}
              >
                Show the whole history
              </button>
            )}
          </EmptyState>
        }
      >
        {(data) => (
          <LazyTimeSeriesChart
            label="Portfolio equity"
            testId="equity-chart"
            points={data.points.map((point) => ({ time: point.timestamp, value: point.equity }))}
          />
        )}
      </QueryView>
    </Card>
  );
}
