// Names for the API's shapes, read off the generated schema by path so they follow it exactly.
import type { paths } from "./schema";

type JsonOf<R> = R extends { content: { "application/json": infer T } } ? T : never;

type SuccessOf<Op> = Op extends { responses: infer Rs }
  ? JsonOf<Rs[200 & keyof Rs] | Rs[201 & keyof Rs] | Rs[202 & keyof Rs]>
  : never;

/** The JSON a successful call to `method path` returns. */
export type ResponseOf<P extends keyof paths, M extends keyof paths[P]> = SuccessOf<paths[P][M]>;

/** The JSON body `method path` accepts. */
export type BodyOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { "application/json": infer B } };
}
  ? B
  : never;

/** The query parameters `method path` accepts. */
export type QueryOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  parameters: { query?: infer Q };
}
  ? NonNullable<Q>
  : never;

export type Portfolio = ResponseOf<"/api/portfolio", "get">;
export type Position = ResponseOf<"/api/portfolio/positions", "get">[number];
export type EquityHistory = ResponseOf<"/api/portfolio/history", "get">;
export type HistoryPeriod = NonNullable<QueryOf<"/api/portfolio/history", "get">["period"]>;
export type PortfolioMetrics = ResponseOf<"/api/portfolio/metrics", "get">;
export type TradingStatus = ResponseOf<"/api/controls/status", "get">;

export type TradePage = ResponseOf<"/api/trades", "get">;
export type Trade = TradePage["items"][number];
export type TradeQuery = QueryOf<"/api/trades", "get">;
export type TradeDetail = ResponseOf<"/api/trades/{trade_id}", "get">;

export type Strategy = ResponseOf<"/api/strategies", "get">[number];
export type StrategyHistory = ResponseOf<"/api/strategies/{strategy_id}/history", "get">;

export type NewsPage = ResponseOf<"/api/news", "get">;
export type Article = NewsPage["items"][number];
export type NewsQuery = QueryOf<"/api/news", "get">;

export type BacktestConfig = BodyOf<"/api/backtest/run", "post">;
export type BacktestRun = ResponseOf<"/api/backtest/{run_id}", "get">;
export type BacktestSummary = ResponseOf<"/api/backtest", "get">["items"][number];

export type Passkey = ResponseOf<"/api/passkeys", "get">[number];
export type ApiToken = ResponseOf<"/api/tokens", "get">[number];
export type MintedToken = ResponseOf<"/api/tokens", "post">;
export type TokenRequest = BodyOf<"/api/tokens", "post">;
export type Invitation = ResponseOf<"/api/invitations", "post">;
