// The expanded row of a trade: its signal, each strategy's contribution, the news, the outcome.
import { Fragment } from "react";

import { Badge } from "@/components/Badge";
import { EmptyState, QueryView } from "@/components/states";
import {
  formatDateTime,
  formatDuration,
  formatMoney,
  formatPercent,
  formatRatio,
  formatScore,
  formatSignedMoney,
  pnlTone,
  sentimentTone,
  toneClass,
} from "@/lib/format";

import { useTradeDetail } from "./queries";

const SENTIMENT_COLOR = { positive: "green", neutral: "amber", negative: "red" } as const;

export function TradeDetailPanel({ tradeId }: { tradeId: string }) {
  const detail = useTradeDetail(tradeId);
  return (
    <QueryView query={detail} loadingLabel="Loading the trade's story…">
      {(data) => (
        <div className="grid grid-cols-1 gap-4 p-2 md:grid-cols-2">
          <section aria-label="Signal">
            <h3 className="mb-2 text-xs font-semibold uppercase text-slate-400">Signal</h3>
            {data.signal ? (
              <dl className="grid grid-cols-2 gap-2 text-sm">
                <dt className="text-slate-400">Direction</dt>
                <dd>{data.signal.direction}</dd>
                <dt className="text-slate-400">Strength</dt>
                <dd>{formatPercent(data.signal.strength, { digits: 0 })}</dd>
                <dt className="text-slate-400">Price</dt>
                <dd>{formatMoney(data.signal.price)}</dd>
                <dt className="text-slate-400">Sentiment</dt>
                <dd>{formatScore(data.signal.sentiment_score)}</dd>
                <dt className="text-slate-400">Generated</dt>
                <dd>{formatDateTime(data.signal.generated_at)}</dd>
              </dl>
            ) : (
              <p className="text-sm text-slate-400">A manual or protective order: no signal.</p>
            )}
          </section>
          <section aria-label="Outcome">
            <h3 className="mb-2 text-xs font-semibold uppercase text-slate-400">Outcome</h3>
            {data.outcome ? (
              <dl className="grid grid-cols-2 gap-2 text-sm">
                <dt className="text-slate-400">Realised P&amp;L</dt>
                <dd className={toneClass(pnlTone(data.outcome.realized_pnl))}>
                  {formatSignedMoney(data.outcome.realized_pnl)}
                </dd>
                <dt className="text-slate-400">Return</dt>
                <dd>{formatPercent(data.outcome.roi_pct / 100, { signed: true })}</dd>
                <dt className="text-slate-400">Held</dt>
                <dd>{formatDuration(data.outcome.hold_seconds)}</dd>
                <dt className="text-slate-400">Closed</dt>
                <dd>{formatDateTime(data.outcome.closed_at)}</dd>
                {Object.entries(data.outcome.strategy_credits).map(([strategy, credit]) => (
                  <Fragment key={strategy}>
                    <dt className="text-slate-400">Credit to {strategy}</dt>
                    <dd className={toneClass(pnlTone(credit))}>{formatRatio(credit)}</dd>
                  </Fragment>
                ))}
              </dl>
            ) : (
              <p className="text-sm text-slate-400">Still open: no outcome yet.</p>
            )}
          </section>
          <section aria-label="Strategy contributions">
            <h3 className="mb-2 text-xs font-semibold uppercase text-slate-400">
              Strategy contributions
            </h3>
            {data.contributions.length === 0 ? (
              <p className="text-sm text-slate-400">No strategy contributed.</p>
            ) : (
              <table className="table-base">
                <thead>
                  <tr>
                    <th scope="col">Strategy</th>
                    <th scope="col">Direction</th>
                    <th scope="col" className="text-right">Strength</th>
                    <th scope="col" className="text-right">Weight</th>
                  </tr>
                </thead>
                <tbody>
                  {data.contributions.map((part) => (
                    <tr key={part.strategy}>
                      <td>{part.strategy}</td>
                      <td>{part.direction}</td>
                      <td className="text-right">{formatPercent(part.strength, { digits: 0 })}</td>
                      <td className="text-right">{formatPercent(part.weight, { digits: 0 })}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section aria-label="News behind the trade">
            <h3 className="mb-2 text-xs font-semibold uppercase text-slate-400">News</h3>
            {data.articles.length === 0 ? (
              <EmptyState title="No articles behind this trade." />
            ) : (
              <ul className="space-y-2">
                {data.articles.map((article) => (
                  <li key={article.article_id} className="flex items-start gap-2 text-sm">
                    <Badge
                      color={SENTIMENT_COLOR[sentimentTone(article.score)]}
                      label={`Sentiment ${formatScore(article.score)}`}
                    >
                      {formatScore(article.score)}
                    </Badge>
                    <a
                      href={article.url}
                      target="_blank"
                      rel="noreferrer noopener"
                      className="text-sky-300 hover:underline"
                    >
                      {article.title}
                    </a>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      )}
    </QueryView>
  );
}
