import { render, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { api } from "@/api";
import { fakeApi } from "@/test/fakeApi";
import { providers, testQueryClient } from "@/test/render";

import OperationsPage from "./OperationsPage";
import type { AuditPage, ServicesHealth } from "./types";

const HEALTH: ServicesHealth = {
  checked_at: "2024-03-05T15:00:00Z",
  stale_after_intervals: 3,
  services: [
    {
      service: "trade-executor",
      instance: "host-1",
      last_seen: "2024-03-05T14:59:55Z",
      interval_seconds: 10,
      age_seconds: 5,
      status: "ok",
    },
    {
      service: "signal-generator",
      instance: "host-2",
      last_seen: "2024-03-05T14:58:00Z",
      interval_seconds: 10,
      age_seconds: 120,
      status: "stale",
    },
  ],
  missing: ["news-fetcher"],
  auto_paused: [
    {
      condition: "market_data",
      since: "2024-03-05T14:58:00Z",
      detail: "no bar for AAPL for over 10 min while the market is open",
    },
  ],
};

const RECONCILED: AuditPage = {
  items: [
    {
      id: "e-1",
      actor: "reconciler",
      action: "reconcile.position_created",
      detail: { ticker: "TSLA", broker: { qty: "7", avg_entry_price: "195" } },
      timestamp: "2024-03-05T14:30:00Z",
    },
  ],
  total: 1,
  limit: 20,
  offset: 0,
};

describe("OperationsPage", () => {
  beforeEach(() => {
    api.session.signIn("access-1");
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("test_operations_page_shows_the_pause_the_stale_service_and_the_reconciliation", async () => {
    const requests = fakeApi({
      "/api/health/services": () => HEALTH,
      "/api/audit": () => RECONCILED,
    });

    render(<OperationsPage />, { wrapper: providers(testQueryClient()) });

    expect(await screen.findByRole("alert")).toHaveTextContent("Paused automatically: market_data");
    const health = screen.getByRole("region", { name: "Service health" });
    const rows = within(health).getAllByRole("row");
    expect(rows[1]).toHaveTextContent("signal-generator");
    expect(rows[1]).toHaveTextContent("stale");
    expect(within(health).getByText("news-fetcher")).toBeInTheDocument();
    expect(await screen.findByText("Reconciled: position created")).toBeInTheDocument();
    expect(screen.getByText(/ticker: TSLA · broker\.qty: 7/)).toBeInTheDocument();
    expect(requests.find((r) => r.path === "/api/audit")?.query).toEqual({
      actor: "reconciler",
      limit: "20",
    });
  });

  it("test_operations_page_when_nothing_happened_says_storage_matched_the_broker", async () => {
    fakeApi({
      "/api/health/services": () => ({ ...HEALTH, auto_paused: [], services: [] }),
      "/api/audit": () => ({ ...RECONCILED, items: [], total: 0 }),
    });

    render(<OperationsPage />, { wrapper: providers(testQueryClient()) });

    expect(await screen.findByText("Storage has always matched the broker.")).toBeInTheDocument();
    expect(screen.getByText("New entries are not paused automatically.")).toBeInTheDocument();
    expect(screen.getByText("No heartbeat has arrived yet.")).toBeInTheDocument();
  });
});
