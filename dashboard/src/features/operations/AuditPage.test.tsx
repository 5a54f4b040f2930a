import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { api } from "@/api";
import { fakeApi } from "@/test/fakeApi";
import { providers, testQueryClient } from "@/test/render";

import AuditPage from "./AuditPage";
import type { AuditEntry } from "./types";

function entry(id: number, action: string, actor = "alice"): AuditEntry {
  return {
    id: `e-${id}`,
    actor,
    action,
    detail: action === "controls.close_position" ? { ticker: "AAPL" } : {},
    timestamp: `2024-03-05T15:0${id}:00Z`,
  };
}

describe("AuditPage", () => {
  beforeEach(() => {
    api.session.signIn("access-1");
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("test_audit_page_lists_who_did_what_with_the_detail", async () => {
    fakeApi({
      "/api/audit": () => ({
        items: [entry(2, "controls.close_position"), entry(1, "controls.pause")],
        total: 2,
        limit: 50,
        offset: 0,
      }),
    });

    render(<AuditPage />, { wrapper: providers(testQueryClient()) });

    expect(await screen.findByText("Asked to close a position")).toBeInTheDocument();
    expect(screen.getByText("Paused trading")).toBeInTheDocument();
    expect(screen.getByText("ticker: AAPL")).toBeInTheDocument();
    expect(screen.getByText("1–2 of 2")).toBeInTheDocument();
  });

  it("test_audit_page_when_filtered_and_paged_asks_the_api_with_actor_action_and_offset", async () => {
    const requests = fakeApi({
      "/api/audit": (query) => ({
        items: [entry(1, "controls.pause")],
        total: 120,
        limit: 50,
        offset: Number(query.offset ?? "0"),
      }),
    });
    render(<AuditPage />, { wrapper: providers(testQueryClient(), "/?actor=alice") });
    await screen.findByText("1–1 of 120");

    await userEvent.type(screen.getByLabelText("Action"), "controls.pause");
    await userEvent.click(screen.getByRole("button", { name: "Next" }));

    await waitFor(() => {
      expect(requests.filter((r) => r.path === "/api/audit").at(-1)?.query).toEqual({
        actor: "alice",
        action: "controls.pause",
        limit: "50",
        offset: "50",
      });
    });
  });

  it("test_audit_page_when_the_api_refuses_shows_the_error", async () => {
    fakeApi({
      "/api/audit": () =>
        Response.json({ error: { code: "forbidden", message: "not allowed" } }, { status: 403 }),
    });

    render(<AuditPage />, { wrapper: providers(testQueryClient()) });

    expect(await screen.findByRole("alert")).toHaveTextContent("not allowed");
  });
});
