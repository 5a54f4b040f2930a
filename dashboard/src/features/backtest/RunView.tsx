// One backtest: progress while it runs, then its equity curve, metrics, trades and strategies.
import { Badge, type BadgeColor } from "@/components/Badge";
import { Card, Stat } from "@/components/Card";
import { LazyTimeSeriesChart } from "@/components/charts/LazyChart";
import { EmptyState, QueryView } from "@/components/states";
import {
  formatDateTime,
  formatMoney,
  formatPercent,
  formatQuantity,
  formatRatio,
  formatSignedMoney,
  pnlTone,
  toneClass,
} from "@/lib/format";

import { isFinished, useBacktestRun } from "./queries";
import {
  metricKind,
  metricLabel,
  strategyColumns,
  toEquityPoints,
  toMetrics,
  toStrategyRows,
  toTrades,
  type Metric,
  type MetricKind,
} from "./results";

function formatMetric(value: number, kind: MetricKind): string {
  switch (kind) {
    case "percent":
      return formatPercent(value, { digits: 2 });
    case "ratio":
      return formatRatio(value);
    case "money":
      return formatMoney(value);
    case "count":
      return String(Math.round(value));
    case "number":
      return formatRatio(value, 3);
  }
}

function metricTone(metric: Metric): string {
  return /(return|drawdown|cagr|pnl)/.test(metric.key) ? toneClass(pnlTone(metric.value)) : "";
}

function Progress({ progress, status }: { progress: number; status: string }) {
  const percent = Math.round(Math.min(1, Math.max(0, progress)) * 100);
  return (
    <Card title="Running">
      <div
        role="progressbar"
        aria-label="Backtest progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        className="h-3 w-full overflow-hidden rounded-full bg-slate-800"
      >
        <div className="h-full bg-sky-500 transition-all" style={{ width: `${percent}%` }} />
      </div>
      <p className="mt-2 text-sm text-slate-400">
        {percent}% · {status}
      </p>
    </Card>
  );
}

export function RunView({ runId }: { runId: string }) {
  const run = useBacktestRun(runId);
  return (
    <QueryView query={run} loadingLabel="Loading the backtest…">
      {(data) => {
        if (!isFinished(data)) return <Progress progress={data.progress} status={data.status} />;
        if (data.status === "failed") {
          return (
            <div role="alert" className="rounded-lg border border-rose-800 bg-rose-950/40 p-4 text-rose-200">
              The backtest failed: {data.error ?? "no reason was given"}.
            </div>
          );
        }
        const metrics = toMetrics(data.metrics);
        const trades = toTrades(data.trades);
        const strategies = toStrategyRows(data.per_strategy);
        const columns = strategyColumns(strategies);
        return (
          <div className="grid grid-cols-1 gap-4" data-testid="backtest-results">
            <Card title="Equity curve">
              <LazyTimeSeriesChart
                label="Backtest equity"
                testId="backtest-equity-chart"
                points={toEquityPoints(data.equity_curve)}
              />
            </Card>
            <Card title="Metrics">
              {metrics.length === 0 ? (
                <EmptyState title="No metrics were reported." />
              ) : (
                <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4">
                  {metrics.map((metric) => (
                    <Stat
                      key={metric.key}
                      label={metric.label}
                      value={formatMetric(metric.value, metric.kind)}
                      tone={metricTone(metric)}
                      testId={`backtest-metric-${metric.key}`}
                    />
                  ))}
                </dl>
              )}
            </Card>
            <Card title="Per strategy">
              {strategies.length === 0 ? (
                <EmptyState title="No per-strategy breakdown was reported." />
              ) : (
                <div className="relative overflow-x-auto">
                  <table className="table-base">
                    <thead>
                      <tr>
                        <th scope="col">Strategy</th>
                        {columns.map((column) => (
                          <th key={column} scope="col" className="text-right">
                            {metricLabel(column)}
                          </th>
                        ))}
                      </tr>
                    </thead>
                    <tbody>
                      {strategies.map((row) => (
                        <tr key={row.strategy}>
                          <td>{row.strategy}</td>
                          {columns.map((column) => {
                            const value = row.values[column];
                            return (
                              <td key={column} className="text-right">
                                {value === undefined ? "—" : formatMetric(value, metricKind(column))}
                              </td>
                            );
                          })}
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </Card>
            <Card title={`Trades (${trades.length})`}>
              {trades.length === 0 ? (
                <EmptyState title="The run made no trades." />
              ) : (
                <div className="relative max-h-96 overflow-auto">
                  <table className="table-base">
                    <thead>
                      <tr>
                        <th scope="col">Time</th>
                        <th scope="col">Ticker</th>
                        <th scope="col">Side</th>
                        <th scope="col" className="text-right">Qty</th>
                        <th scope="col" className="text-right">Price</th>
                        <th scope="col" className="text-right">P&amp;L</th>
                      </tr>
                    </thead>
                    <tbody>
                      {trades.map((t, index) => (
                        <tr key={`${t.time ?? ""}-${t.ticker}-${index}`}>
                          <td className="whitespace-nowrap">{formatDateTime(t.time)}</td>
                          <td>{t.ticker}</td>
                          <td>{t.side}</td>
                          <td className="text-right">{formatQuantity(t.qty)}</td>
                          <td className="text-right">{formatMoney(t.price)}</td>
                          <td className={`text-right ${toneClass(pnlTone(t.pnl))}`}>{formatSignedMoney(t.pnl)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </Card>
          </div>
        );
      }}
    </QueryView>
  );
}

const STATUS_COLOR: Record<string, BadgeColor> = {
  succeeded: "green",
  failed: "red",
  running: "sky",
  queued: "slate",
};

export function RunStatusBadge({ status }: { status: string }) {
  return <Badge color={STATUS_COLOR[status] ?? "slate"}>{status}</Badge>;
}
