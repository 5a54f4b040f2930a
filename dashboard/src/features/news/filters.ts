// The news feed's filters and how they become the query of GET /api/news.
import type { NewsQuery } from "@/api/types";
import { SENTIMENT_THRESHOLD } from "@/lib/format";
import { compactQuery } from "@/lib/query";

export type SentimentFilter = "all" | "positive" | "neutral" | "negative";

export interface NewsFilters {
  ticker: string;
  source: string;
  sentiment: SentimentFilter;
}

export const NEWS_PAGE_SIZE = 50;

const RANGES: Record<SentimentFilter, { min_score?: number; max_score?: number }> = {
  all: {},
  positive: { min_score: SENTIMENT_THRESHOLD },
  neutral: { min_score: -SENTIMENT_THRESHOLD, max_score: SENTIMENT_THRESHOLD },
  negative: { max_score: -SENTIMENT_THRESHOLD },
};

/** Turn the filters into the query of `GET /api/news`. */
export function toNewsQuery(filters: NewsFilters, limit = NEWS_PAGE_SIZE): NewsQuery {
  return {
    limit,
    offset: 0,
    ...compactQuery({ ticker: filters.ticker.trim().toUpperCase(), source: filters.source }),
    ...RANGES[filters.sentiment],
  };
}
