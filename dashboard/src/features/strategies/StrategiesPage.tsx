// The strategies view: a card per strategy, the weight donut and history, the adjustments log.
import { Suspense, lazy } from "react";

import { Card, Stat } from "@/components/Card";
import { PageHeading } from "@/components/Layout";
import { EmptyState, ErrorState, LoadingState, QueryView } from "@/components/states";
import {
  formatDateTime,
  formatPercent,
  formatRatio,
  formatSignedMoney,
  pnlTone,
  toneClass,
} from "@/lib/format";

import { toAdjustments, toHistoryRows, type NamedHistory } from "./history";
import { useStrategies, useStrategyHistories } from "./queries";

const StrategyCharts = lazy(() => import("./StrategyCharts"));

function Charts({ strategies }: { strategies: readonly { id: string; name: string; weight: number }[] }) {
  const queries = useStrategyHistories(strategies.map((s) => s.id));
  const failed = queries.find((query) => query.isError);
  if (failed) return <ErrorState error={failed.error} onRetry={() => void failed.refetch()} />;
  if (queries.some((query) => query.isPending)) return <LoadingState label="Loading weight history…" />;
  const histories: NamedHistory[] = strategies.map((strategy, index) => ({
    name: strategy.name,
    history: queries[index]?.data,
  }));
  const adjustments = toAdjustments(histories);
  return (
    <>
      <Card title="Weights">
        <Suspense fallback={<LoadingState label="Loading charts…" />}>
          <StrategyCharts
            allocation={strategies.map((s) => ({ name: s.name, weight: s.weight }))}
            history={toHistoryRows(histories)}
            names={strategies.map((s) => s.name)}
          />
        </Suspense>
      </Card>
      <Card title="Adjustments log">
        {adjustments.length === 0 ? (
          <EmptyState title="The learning engine has not adjusted any weight yet." />
        ) : (
          <div className="relative overflow-x-auto">
            <table className="table-base">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Strategy</th>
                  <th scope="col" className="text-right">Weight</th>
                  <th scope="col" className="text-right">Reward</th>
                  <th scope="col" className="text-right">Trades</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {adjustments.map((a) => (
                  <tr key={`${a.strategy}-${a.cycle}-${a.timestamp}`}>
                    <td className="whitespace-nowrap">{formatDateTime(a.timestamp)}</td>
                    <td>{a.strategy}</td>
                    <td className="text-right whitespace-nowrap">
                      {formatPercent(a.old_weight, { digits: 1 })} → {formatPercent(a.new_weight, { digits: 1 })}
                    </td>
                    <td className="text-right">{formatRatio(a.reward, 3)}</td>
                    <td className="text-right">{a.trades_considered}</td>
                    <td className="text-slate-300">{a.reason || "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </>
  );
}

export default function StrategiesPage() {
  const strategies = useStrategies();
  return (
    <>
      <PageHeading title="Strategies" />
      <QueryView
        query={strategies}
        loadingLabel="Loading strategies…"
        isEmpty={(data) => data.length === 0}
        empty={<EmptyState title="No strategies are configured." />}
      >
        {(data) => (
          <div className="grid grid-cols-1 gap-4">
            <ul className="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-3" aria-label="Strategies">
              {data.map((strategy) => (
                <li key={strategy.id}>
                  <Card title={strategy.name} headingLevel={3}>
                    <dl className="grid grid-cols-3 gap-3">
                      <Stat label="Weight" value={formatPercent(strategy.weight, { digits: 1 })} />
                      <Stat label="Win rate" value={formatPercent(strategy.win_rate, { digits: 1 })} />
                      <Stat
                        label="Total P&L"
                        value={formatSignedMoney(strategy.total_pnl, { compact: true })}
                        tone={toneClass(pnlTone(strategy.total_pnl))}
                        hint={`${strategy.trades} trades`}
                      />
                    </dl>
                  </Card>
                </li>
              ))}
            </ul>
            <Charts strategies={data} />
          </div>
        )}
      </QueryView>
    </>
  );
}
