// Backtests: the form, the selected run (progress or results), and the past runs.
import { Link, useNavigate, useParams } from "react-router-dom";

import { Card } from "@/components/Card";
import { PageHeading } from "@/components/Layout";
import { EmptyState, QueryView } from "@/components/states";
import { formatDateTime, formatPercent } from "@/lib/format";

import { BacktestFormView } from "./BacktestFormView";
import { defaultForm } from "./form";
import { useBacktestRuns, useMarketDate, useStartBacktest, useStrategyDefaults } from "./queries";
import { RunStatusBadge, RunView } from "./RunView";

function NewRun() {
  const strategies = useStrategyDefaults();
  const marketDate = useMarketDate();
  const start = useStartBacktest();
  const navigate = useNavigate();
  if (marketDate.isPending) {
    return <Card title="New backtest">Loading…</Card>;
  }
  return (
    <Card title="New backtest">
      <QueryView query={strategies} loadingLabel="Loading strategies…">
        {(data) => (
          <BacktestFormView
            initial={defaultForm(marketDate.data ?? new Date(), data)}
            busy={start.isPending}
            error={start.error}
            onSubmit={(config) => {
              start.mutate(config, {
                onSuccess: (created) => {
                  void navigate(`/backtests/${created.run_id}`);
                },
              });
            }}
          />
        )}
      </QueryView>
    </Card>
  );
}

function PastRuns({ current }: { current: string | undefined }) {
  const runs = useBacktestRuns();
  return (
    <Card title="Past runs">
      <QueryView
        query={runs}
        loadingLabel="Loading past runs…"
        isEmpty={(data) => data.items.length === 0}
        empty={<EmptyState title="No backtests yet." />}
      >
        {(data) => (
          <ul className="divide-y divide-slate-800" aria-label="Past backtests">
            {data.items.map((run) => (
              <li key={run.run_id}>
                <Link
                  to={`/backtests/${run.run_id}`}
                  aria-current={run.run_id === current ? "page" : undefined}
                  className={`flex items-center justify-between gap-2 px-1 py-2 text-sm hover:bg-slate-800/60 ${
                    run.run_id === current ? "bg-slate-800/60" : ""
                  }`}
                >
                  <span>{formatDateTime(run.created_at)}</span>
                  <span className="flex items-center gap-2">
                    {run.status === "running" ? formatPercent(run.progress, { digits: 0 }) : null}
                    <RunStatusBadge status={run.status} />
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </QueryView>
    </Card>
  );
}

export default function BacktestPage() {
  const { runId } = useParams();
  return (
    <>
      <PageHeading title="Backtests" />
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-[minmax(0,22rem)_minmax(0,1fr)]">
        <div className="grid grid-cols-1 content-start gap-4">
          <NewRun />
          <PastRuns current={runId} />
        </div>
        <div>
          {runId ? (
            <RunView runId={runId} />
          ) : (
            <EmptyState title="Run a backtest or pick a past run.">
              A backtest replays history through the same strategies, ensemble and risk manager as
              the live bot.
            </EmptyState>
          )}
        </div>
      </div>
    </>
  );
}
