import { render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Route, Routes } from "react-router-dom";

import { api } from "@/api";
import { fakeApi } from "@/test/fakeApi";
import { providers, testQueryClient } from "@/test/render";

import { RequireAuth } from "./RequireAuth";

function renderAt(route: string) {
  render(
    <Routes>
      <Route path="/signin" element={<p>sign-in page</p>} />
      <Route
        path="*"
        element={
          <RequireAuth>
            <p>secret page</p>
          </RequireAuth>
        }
      />
    </Routes>,
    { wrapper: providers(testQueryClient(), route) },
  );
}

describe("RequireAuth", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    api.session.signOut();
  });

  it("test_require_auth_when_signed_in_shows_the_page", () => {
    api.session.signIn("access-1");

    renderAt("/trades");

    expect(screen.getByText("secret page")).toBeInTheDocument();
  });

  it("test_require_auth_when_signed_out_goes_to_signin", () => {
    api.session.signOut();

    renderAt("/trades");

    expect(screen.getByText("sign-in page")).toBeInTheDocument();
  });

  it.each([
    ["works", 200, "secret page"],
    ["was spent", 401, "sign-in page"],
  ] as const)(
    "test_require_auth_after_a_reload_when_the_refresh_cookie_%s_shows_the_%s",
    async (_case, status, expected) => {
      sessionStorage.clear();
      const requests = fakeApi({
        "/auth/refresh": () =>
          status === 200
            ? { access_token: "fresh", token_type: "bearer", expires_in: 900 }
            : Response.json({ error: { code: "refresh_reused", message: "spent" } }, { status }),
      });
      // A reload: fresh modules, nothing in memory, the session unknown until the cookie is tried.
      vi.resetModules();
      const fresh = await import("./RequireAuth");
      const { api: freshApi } = await import("@/api");
      expect(freshApi.session.get().status).toBe("unknown");

      render(
        <Routes>
          <Route path="/signin" element={<p>sign-in page</p>} />
          <Route path="*" element={<fresh.RequireAuth><p>secret page</p></fresh.RequireAuth>} />
        </Routes>,
        { wrapper: providers(testQueryClient(), "/trades") },
      );

      expect(await screen.findByText(expected)).toBeInTheDocument();
      expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /auth/refresh"]);
    },
  );
});
