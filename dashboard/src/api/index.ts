// The app's one API connection: typed client, session, and the expired-session handler.
import { createApi } from "./client";
import { createSessionStore } from "./session";

export type { Api, ApiClient } from "./client";
export { ApiError, errorMessage } from "./errors";
export type { SessionSnapshot, SessionStatus } from "./session";
export { unwrap } from "./unwrap";

/** The API of the gateway that served this page. */
export const api = createApi({
  baseUrl: window.location.origin,
  session: createSessionStore(window.sessionStorage),
});
