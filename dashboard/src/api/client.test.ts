import { describe, expect, it, vi } from "vitest";

import { createApi } from "./client";
import { createSessionStore } from "./session";
import { unwrap } from "./unwrap";

const BASE = "http://gateway.test";

interface Call {
  method: string;
  path: string;
  authorization: string | null;
  body: string | null;
}

/** A fake gateway: accepts only `validToken`; /auth/refresh answers with `refreshTo` (or 401). */
function fakeGateway(options: { validToken: string; refreshTo: string | null }) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    const body = request.method === "GET" ? null : await request.text();
    calls.push({
      method: request.method,
      path: url.pathname,
      authorization: request.headers.get("Authorization"),
      body: body === "" ? null : body,
    });
    // Let concurrent requests pile up before any answer, as they would on a real network.
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (url.pathname === "/auth/refresh") {
      return options.refreshTo
        ? Response.json({ access_token: options.refreshTo, token_type: "bearer", expires_in: 900 })
        : Response.json({ error: { code: "unauthorized", message: "refresh token spent" } }, { status: 401 });
    }
    if (request.headers.get("Authorization") !== `Bearer ${options.validToken}`) {
      return Response.json({ error: { code: "unauthorized", message: "token expired" } }, { status: 401 });
    }
    return Response.json({ path: url.pathname, body: body ? (JSON.parse(body) as unknown) : null });
  });
  return { fetch, calls };
}

function signedInApi(gateway: ReturnType<typeof fakeGateway>, token = "old-token") {
  const session = createSessionStore();
  session.signIn(token);
  const api = createApi({ baseUrl: BASE, session, fetch: gateway.fetch });
  const navigate = vi.fn();
  api.setSignInNavigator(navigate);
  return { api, session, navigate };
}

describe("the API client's auth middleware", () => {
  it("test_client_when_signed_in_sends_the_access_token_as_bearer", async () => {
    const gateway = fakeGateway({ validToken: "old-token", refreshTo: null });
    const { api } = signedInApi(gateway);

    await unwrap(api.client.GET("/api/portfolio"));

    expect(gateway.calls).toEqual([
      { method: "GET", path: "/api/portfolio", authorization: "Bearer old-token", body: null },
    ]);
  });

  it("test_client_when_three_requests_get_401_refreshes_once_and_retries_each", async () => {
    const gateway = fakeGateway({ validToken: "new-token", refreshTo: "new-token" });
    const { api, session, navigate } = signedInApi(gateway);

    const results = await Promise.all([
      unwrap(api.client.GET("/api/portfolio")),
      unwrap(api.client.GET("/api/portfolio/positions")),
      unwrap(api.client.POST("/api/controls/close-position", { body: { ticker: "AAPL" } })),
    ]);

    expect(gateway.calls.filter((call) => call.path === "/auth/refresh")).toHaveLength(1);
    const retries = gateway.calls.filter((c) => c.authorization === "Bearer new-token");
    expect(retries.map((c) => c.path).sort()).toEqual([
      "/api/controls/close-position",
      "/api/portfolio",
      "/api/portfolio/positions",
    ]);
    expect(results[2]).toEqual({ path: "/api/controls/close-position", body: { ticker: "AAPL" } });
    expect(session.get()).toEqual({ status: "signed-in", accessToken: "new-token" });
    expect(navigate).not.toHaveBeenCalled();
  });

  it("test_client_when_refresh_fails_clears_session_and_goes_to_signin", async () => {
    const gateway = fakeGateway({ validToken: "never", refreshTo: null });
    const { api, session, navigate } = signedInApi(gateway);
    window.history.replaceState(null, "", "/trades?ticker=AAPL");

    const failure = unwrap(api.client.GET("/api/trades"));

    await expect(failure).rejects.toMatchObject({ status: 401 });
    expect(session.get()).toEqual({ status: "signed-out", accessToken: null });
    expect(navigate).toHaveBeenCalledExactlyOnceWith("/signin?next=%2Ftrades%3Fticker%3DAAPL");
    expect(gateway.calls.filter((call) => call.path === "/api/trades")).toHaveLength(1);
  });

  it("test_client_when_an_auth_ceremony_gets_401_does_not_refresh", async () => {
    const gateway = fakeGateway({ validToken: "never", refreshTo: "new-token" });
    const { api, navigate } = signedInApi(gateway);

    const failure = unwrap(api.client.POST("/auth/login/begin", { body: {} }));

    await expect(failure).rejects.toMatchObject({ status: 401, message: "token expired" });
    expect(gateway.calls.map((call) => call.path)).toEqual(["/auth/login/begin"]);
    expect(navigate).not.toHaveBeenCalled();
  });

  it("test_client_when_the_server_is_unreachable_rejects_with_a_clear_message", async () => {
    const session = createSessionStore();
    const api = createApi({
      baseUrl: BASE,
      session,
      fetch: () => Promise.reject(new TypeError("fetch failed")),
    });

    const failure = unwrap(api.client.GET("/api/portfolio"));

    await expect(failure).rejects.toMatchObject({
      status: 0,
      message: "The server could not be reached. Check that the bot is running.",
    });
  });
});
