// Live news: prepend each scored article to the feeds whose filters it passes.
import type { QueryClient, QueryKey } from "@tanstack/react-query";

import type { Article, NewsPage, NewsQuery } from "@/api/types";
import type { LiveHandlers } from "@/hooks/useLiveEvents";

import { newsKeys } from "./queries";

const isScore = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value) && value >= -1 && value <= 1;

const isTime = (value: unknown): value is string =>
  typeof value === "string" && !Number.isNaN(Date.parse(value));

function mentions(tickers: unknown): Article["tickers"] {
  if (!Array.isArray(tickers)) return [];
  return tickers.flatMap((t: unknown) => {
    if (typeof t !== "object" || t === null) return [];
    const { ticker, score, confidence } = t as Record<string, unknown>;
    if (typeof ticker !== "string" || !isScore(score)) return [];
    return [{ ticker, score, confidence: typeof confidence === "number" ? confidence : 0 }];
  });
}

/** Return the scored article (the shape of a `GET /api/news` row); null when malformed. */
export function parseNewsEvent(data: unknown): Article | null {
  if (typeof data !== "object" || data === null) return null;
  const raw = data as Record<string, unknown>;
  const { article_id, source, url, title, published_at, score, model_used } = raw;
  if (typeof article_id !== "string" || typeof title !== "string") return null;
  if (typeof source !== "string" || typeof url !== "string") return null;
  if (!isTime(published_at) || !isScore(score) || typeof model_used !== "string") return null;
  return {
    article_id,
    source,
    url,
    title,
    published_at,
    available_at: isTime(raw.available_at) ? raw.available_at : published_at,
    score,
    confidence: typeof raw.confidence === "number" ? raw.confidence : 0,
    model_used,
    reasoning: typeof raw.reasoning === "string" ? raw.reasoning : "",
    tickers: mentions(raw.tickers),
    scored_at: isTime(raw.scored_at) ? raw.scored_at : published_at,
  };
}

/** Say whether an article passes a feed's filters. */
export function passes(article: Article, query: NewsQuery): boolean {
  if ((query.offset ?? 0) > 0) return false;
  const ticker = query.ticker?.toUpperCase();
  if (ticker && !article.tickers.some((t) => t.ticker === ticker)) return false;
  if (query.source && query.source !== article.source) return false;
  if (query.min_score != null && article.score < query.min_score) return false;
  if (query.max_score != null && article.score > query.max_score) return false;
  return true;
}

/** Prepend the article to each cached feed it passes (once, even if delivered twice). */
export function applyNewsEvent(queryClient: QueryClient, article: Article): void {
  const feeds: [QueryKey, NewsPage | undefined][] = queryClient.getQueriesData<NewsPage>({
    queryKey: newsKeys.lists(),
  });
  for (const [key, page] of feeds) {
    const query = key[2] as NewsQuery | undefined;
    if (!page || !query || !passes(article, query)) continue;
    if (page.items.some((item) => item.article_id === article.article_id)) continue;
    queryClient.setQueryData<NewsPage>(key, {
      ...page,
      items: [article, ...page.items].slice(0, query.limit ?? page.items.length + 1),
      total: page.total + 1,
    });
  }
}

export const newsLiveHandlers: LiveHandlers = {
  news: [
    (data, { queryClient }) => {
      const article = parseNewsEvent(data);
      if (article) applyNewsEvent(queryClient, article);
      else console.warn("ignored a malformed news event");
    },
  ],
};
