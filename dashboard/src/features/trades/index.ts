// The trades feature's public surface for the app shell.
import { createTradesLiveHandlers } from "./live";

export const tradesLiveHandlers = createTradesLiveHandlers();
