// The portfolio view: value and day P&L, the equity curve, open positions, key metrics.
import { Card, Stat } from "@/components/Card";
import { PageHeading } from "@/components/Layout";
import { QueryView } from "@/components/states";
import {
  formatDateTime,
  formatMoney,
  formatPercent,
  formatRatio,
  formatSignedMoney,
  pnlTone,
  toneClass,
} from "@/lib/format";

import { EquityCurve } from "./EquityCurve";
import { PositionsTable } from "./PositionsTable";
import { usePortfolio, usePortfolioMetrics } from "./queries";

function ValueCard() {
  const portfolio = usePortfolio();
  return (
    <Card title="Portfolio value">
      <QueryView query={portfolio} loadingLabel="Loading the portfolio…">
        {(data) => (
          <>
            <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4">
              <Stat label="Value" value={formatMoney(data.equity)} testId="portfolio-value" />
              <Stat
                label="Day P&L"
                value={formatSignedMoney(data.daily_pnl)}
                hint={formatPercent(data.daily_pnl_pct, { signed: true })}
                tone={toneClass(pnlTone(data.daily_pnl))}
                testId="portfolio-day-pnl"
              />
              <Stat label="Cash" value={formatMoney(data.cash)} />
              <Stat label="Buying power" value={formatMoney(data.buying_power)} />
            </dl>
            <p className="mt-3 text-xs text-slate-500">
              {data.positions_count} open position{data.positions_count === 1 ? "" : "s"} ·{" "}
              {data.as_of ? `as of ${formatDateTime(data.as_of)}` : "no figures recorded yet"}
            </p>
          </>
        )}
      </QueryView>
    </Card>
  );
}

function MetricsCard() {
  const metrics = usePortfolioMetrics();
  return (
    <Card title="Key metrics">
      <QueryView query={metrics} loadingLabel="Loading metrics…">
        {(data) => (
          <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4">
            <Stat
              label="ROI"
              value={formatPercent(data.roi, { signed: true })}
              tone={toneClass(pnlTone(data.roi))}
            />
            <Stat label="Sharpe" value={formatRatio(data.sharpe)} />
            <Stat label="Win rate" value={formatPercent(data.win_rate, { digits: 1 })} />
            <Stat
              label="Max drawdown"
              value={formatPercent(data.max_drawdown)}
              tone={toneClass(pnlTone(data.max_drawdown))}
            />
          </dl>
        )}
      </QueryView>
    </Card>
  );
}

export default function PortfolioPage() {
  return (
    <>
      <PageHeading title="Portfolio" />
      <div className="grid grid-cols-1 gap-4">
        <ValueCard />
        <EquityCurve />
        <MetricsCard />
        <PositionsTable />
      </div>
    </>
  );
}
