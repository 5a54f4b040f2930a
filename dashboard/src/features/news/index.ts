// The news feature's public surface for the app shell.
export { newsLiveHandlers } from "./live";
