// The portfolio feature's public surface for the app shell.
export { portfolioLiveHandlers } from "./live";
export { TradingStatusBar } from "./TradingStatusBar";
