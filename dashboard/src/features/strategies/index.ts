// The strategies feature's public surface for the app shell.
export { strategiesLiveHandlers } from "./live";
