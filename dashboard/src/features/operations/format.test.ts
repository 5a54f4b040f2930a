import { describe, expect, it } from "vitest";

import { actionLabel, byHealth, detailSummary } from "./format";
import type { ServiceHealth } from "./types";

describe("operations format", () => {
  it("test_action_label_when_the_action_is_known_or_a_reconciliation_reads_as_a_sentence", () => {
    expect(actionLabel("trading.auto_pause")).toBe("Paused automatically");
    expect(actionLabel("reconcile.order_filled")).toBe("Reconciled: order filled");
    expect(actionLabel("custom.thing")).toBe("custom.thing");
  });

  it("test_detail_summary_puts_the_ticker_first_flattens_nesting_and_drops_empty_values", () => {
    const summary = detailSummary({
      trade: { status: "FILLED", price: "190.25", reason: "" },
      ticker: "AAPL",
      client_order_id: null,
      occurred_at: "2024-03-05T15:00:00Z",
    });

    expect(summary).toBe("ticker: AAPL · trade.status: FILLED · trade.price: 190.25");
  });

  it("test_by_health_puts_stale_services_first", () => {
    const service = (name: string, status: "ok" | "stale"): ServiceHealth => ({
      service: name,
      instance: "host-1",
      last_seen: "2024-03-05T15:00:00Z",
      interval_seconds: 10,
      age_seconds: status === "ok" ? 5 : 60,
      status,
    });

    const sorted = byHealth([service("api-gateway", "ok"), service("trade-executor", "stale")]);

    expect(sorted.map((s) => s.service)).toEqual(["trade-executor", "api-gateway"]);
  });
});
