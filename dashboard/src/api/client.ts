// The typed API client and its one global handler for expired sessions.
//
// Every request carries the access token. A 401 triggers one refresh (shared by every request
// that failed at the same time) and a retry; when the refresh fails too, the session is cleared
// and the app goes to the sign-in page.
import createClient, { type Client, type Middleware } from "openapi-fetch";

import type { paths } from "./schema";
import type { SessionStore } from "./session";

export type ApiClient = Client<paths>;

export interface ApiOptions {
  /** Origin of the gateway, e.g. `http://127.0.0.1:8000`; the page's own origin in the app. */
  baseUrl: string;
  session: SessionStore;
  fetch?: typeof globalThis.fetch;
}

export interface Api {
  readonly client: ApiClient;
  readonly session: SessionStore;
  /** Exchange the refresh cookie for a new access token; null when the session is over. */
  refreshAccessToken(): Promise<string | null>;
  /** Clear the session and send the user to the sign-in page. */
  expireSession(): void;
  /** Register how to reach the sign-in page (the router's navigate); replaces any earlier one. */
  setSignInNavigator(navigate: (path: string) => void): void;
}

const AUTH_PREFIX = "/auth/";

function isAuthCall(url: string, baseUrl: string): boolean {
  const path = new URL(url, baseUrl).pathname;
  return path.startsWith(AUTH_PREFIX);
}

function bearerOf(request: Request): string | null {
  const header = request.headers.get("Authorization");
  return header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : null;
}

async function readAccessToken(response: Response): Promise<string | null> {
  if (!response.ok) return null;
  try {
    const body: unknown = await response.json();
    if (typeof body === "object" && body !== null && "access_token" in body) {
      const token = body.access_token;
      return typeof token === "string" && token !== "" ? token : null;
    }
  } catch {
    // A body that is not JSON means no token, which the caller treats as a failed refresh.
  }
  return null;
}

/** Build the API client with the auth middleware for one session. */
export function createApi(options: ApiOptions): Api {
  const { baseUrl, session } = options;
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  let navigateToSignIn: (path: string) => void = (path) => {
    window.location.assign(path);
  };
  let inflightRefresh: Promise<string | null> | null = null;
  const pending = new Map<string, Request>();

  const refreshAccessToken = (): Promise<string | null> => {
    inflightRefresh ??= (async () => {
      try {
        const response = await doFetch(new URL("/auth/refresh", baseUrl), {
          method: "POST",
          credentials: "include",
          headers: { Accept: "application/json" },
        });
        const token = await readAccessToken(response);
        if (token) session.signIn(token);
        return token;
      } catch {
        return null;
      } finally {
        inflightRefresh = null;
      }
    })();
    return inflightRefresh;
  };

  const expireSession = (): void => {
    session.signOut();
    const here = `${window.location.pathname}${window.location.search}`;
    const next = here.startsWith("/signin") || here === "/" ? "" : `?next=${encodeURIComponent(here)}`;
    navigateToSignIn(`/signin${next}`);
  };

  const authMiddleware: Middleware = {
    onRequest({ request, id }) {
      const token = session.get().accessToken;
      if (token) request.headers.set("Authorization", `Bearer ${token}`);
      if (!isAuthCall(request.url, baseUrl)) pending.set(id, request.clone());
      return request;
    },
    async onResponse({ response, id }) {
      const original = pending.get(id);
      pending.delete(id);
      if (response.status !== 401 || !original) return response;
      const current = session.get().accessToken;
      // Another request may already have refreshed while this one was in flight.
      const token =
        current && current !== bearerOf(original) ? current : await refreshAccessToken();
      if (!token) {
        expireSession();
        return response;
      }
      const headers = new Headers(original.headers);
      headers.set("Authorization", `Bearer ${token}`);
      const retried = await doFetch(new Request(original, { headers }));
      if (retried.status === 401) expireSession();
      return retried;
    },
    onError({ id }) {
      pending.delete(id);
    },
  };

  const client = createClient<paths>({
    baseUrl,
    fetch: (request) => doFetch(request),
    credentials: "include",
  });
  client.use(authMiddleware);

  return {
    client,
    session,
    refreshAccessToken,
    expireSession,
    setSignInNavigator(navigate) {
      navigateToSignIn = navigate;
    },
  };
}
