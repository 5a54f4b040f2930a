// Per-ticker sentiment series from the articles in the feed, for the sparklines.
import type { Article } from "@/api/types";

export interface TickerSeries {
  ticker: string;
  points: { time: number; score: number }[];
  average: number;
}

/** Each ticker's sentiment over time (oldest first), busiest tickers first (at most `limit`). */
export function sentimentByTicker(articles: readonly Article[], limit = 8): TickerSeries[] {
  const series = new Map<string, { time: number; score: number }[]>();
  for (const article of articles) {
    const time = Date.parse(article.published_at);
    if (Number.isNaN(time)) continue;
    for (const mention of article.tickers) {
      const points = series.get(mention.ticker) ?? [];
      // The article's sentiment about this ticker, not its overall tone.
      points.push({ time, score: mention.score });
      series.set(mention.ticker, points);
    }
  }
  return [...series.entries()]
    .map(([ticker, points]) => {
      points.sort((a, b) => a.time - b.time);
      const average = points.reduce((sum, p) => sum + p.score, 0) / points.length;
      return { ticker, points, average };
    })
    .sort((a, b) => b.points.length - a.points.length || a.ticker.localeCompare(b.ticker))
    .slice(0, limit);
}
