// News and sentiment: a live feed of scored articles, filters, and a sparkline per ticker.
import { Suspense, lazy, useState } from "react";

import { Card } from "@/components/Card";
import { PageHeading } from "@/components/Layout";
import { EmptyState, LoadingState, QueryView } from "@/components/states";
import { formatDateTime, formatPercent } from "@/lib/format";

import { toNewsQuery, type NewsFilters, type SentimentFilter } from "./filters";
import { useNews } from "./queries";
import { SentimentBadge } from "./SentimentBadge";
import { sentimentByTicker } from "./sparklines";

const Sparklines = lazy(() => import("./Sparklines"));

export default function NewsPage() {
  const [filters, setFilters] = useState<NewsFilters>({ ticker: "", source: "", sentiment: "all" });
  const news = useNews(toNewsQuery(filters));
  const set = (patch: Partial<NewsFilters>) => {
    setFilters((current) => ({ ...current, ...patch }));
  };

  return (
    <>
      <PageHeading title="News & sentiment" />
      <Card>
        <form
          role="search"
          aria-label="Filter news"
          className="grid grid-cols-2 gap-3 md:grid-cols-3"
          onSubmit={(event) => {
            event.preventDefault();
          }}
        >
          <div>
            <label htmlFor="news-ticker" className="field-label">Ticker</label>
            <input
              id="news-ticker"
              type="search"
              className="input uppercase"
              placeholder="AAPL"
              value={filters.ticker}
              onChange={(event) => {
                set({ ticker: event.target.value });
              }}
            />
          </div>
          <div>
            <label htmlFor="news-source" className="field-label">Source</label>
            <input
              id="news-source"
              type="search"
              className="input"
              value={filters.source}
              onChange={(event) => {
                set({ source: event.target.value });
              }}
            />
          </div>
          <div className="col-span-2 md:col-span-1">
            <label htmlFor="news-sentiment" className="field-label">Sentiment</label>
            <select
              id="news-sentiment"
              className="input"
              value={filters.sentiment}
              onChange={(event) => {
                set({ sentiment: event.target.value as SentimentFilter });
              }}
            >
              <option value="all">All</option>
              <option value="positive">Positive</option>
              <option value="neutral">Neutral</option>
              <option value="negative">Negative</option>
            </select>
          </div>
        </form>
      </Card>
      <QueryView
        query={news}
        loadingLabel="Loading news…"
        isEmpty={(data) => data.items.length === 0}
        empty={
          <div className="mt-4">
            <EmptyState title="No scored articles match.">New articles appear here as they are scored.</EmptyState>
          </div>
        }
      >
        {(data) => (
          <div className="mt-4 grid gap-4">
            <Card title="Sentiment by ticker">
              <Suspense fallback={<LoadingState label="Loading sparklines…" />}>
                <Sparklines series={sentimentByTicker(data.items)} />
              </Suspense>
            </Card>
            <Card title={`Feed · ${data.total} articles`}>
              <ul className="divide-y divide-slate-800" aria-label="Scored articles" data-testid="news-feed">
                {data.items.map((article) => (
                  <li key={article.article_id} className="flex flex-col gap-1 py-3 sm:flex-row sm:items-start sm:gap-3">
                    <SentimentBadge score={article.score} />
                    <div className="min-w-0 flex-1">
                      <a
                        href={article.url}
                        target="_blank"
                        rel="noreferrer noopener"
                        className="font-medium text-slate-100 hover:underline"
                      >
                        {article.title}
                      </a>
                      <p className="mt-0.5 text-xs text-slate-400">
                        {article.source} · {formatDateTime(article.published_at)} · model{" "}
                        <span className="font-mono">{article.model_used}</span> · confidence{" "}
                        {formatPercent(article.confidence, { digits: 0 })}
                        {article.tickers.length > 0 ? ` · ${article.tickers.map((t) => t.ticker).join(", ")}` : ""}
                      </p>
                    </div>
                  </li>
                ))}
              </ul>
            </Card>
          </div>
        )}
      </QueryView>
    </>
  );
}
