import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { FakeWebSocket, FakeWebSocketImpl } from "@/test/FakeWebSocket";
import { providers, testQueryClient } from "@/test/render";

import { backoffDelay, CLOSE_UNAUTHORIZED, useLiveEvents, type LiveHandlers } from "./useLiveEvents";

const EXECUTION = {
  trade_id: "6f1c2a4e-0000-4000-8000-000000000001",
  signal_id: null,
  client_order_id: "tb-1",
  ticker: "AAPL",
  side: "BUY",
  qty: "10",
  price: "190.12",
  filled_qty: "10",
  commission: "0.05",
  status: "FILLED",
  reason: "",
  is_exit: false,
  realized_pnl: null,
  executed_at: "2025-03-04T14:30:00Z",
};

function setup(handlers: LiveHandlers, token: string | null = "access-1") {
  const queryClient = testQueryClient();
  const onUnauthorized = vi.fn();
  const hook = renderHook(
    ({ current }: { current: string | null }) =>
      useLiveEvents({
        url: "ws://gateway.test/ws",
        token: current,
        handlers,
        onUnauthorized,
        WebSocketImpl: FakeWebSocketImpl,
        backoff: { initialMs: 1000, maxMs: 8000 },
        random: () => 1,
      }),
    { wrapper: providers(queryClient), initialProps: { current: token } },
  );
  return { queryClient, onUnauthorized, hook };
}

describe("useLiveEvents", () => {
  beforeEach(() => {
    FakeWebSocket.reset();
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("test_live_when_connected_authenticates_with_the_first_message", () => {
    const { hook } = setup({});

    act(() => {
      FakeWebSocket.latest().open();
    });

    expect(FakeWebSocket.latest().url).toBe("ws://gateway.test/ws");
    expect(FakeWebSocket.latest().sent.map((m) => JSON.parse(m) as unknown)).toEqual([
      { type: "auth", token: "access-1" },
    ]);
    expect(hook.result.current).toBe("open");
  });

  it("test_live_when_messages_are_malformed_ignores_them_and_keeps_the_connection", () => {
    const handler = vi.fn();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    setup({ trade: [handler] });

    act(() => {
      const socket = FakeWebSocket.latest();
      socket.open();
      socket.receive("not json");
      socket.receive({ type: "unknown", data: {} });
      socket.receive({ type: "ready", data: { actor: "alice" } });
      socket.receive({ type: "ping" });
      socket.receive({ type: "trade", data: EXECUTION });
    });

    expect(handler).toHaveBeenCalledExactlyOnceWith(EXECUTION, expect.anything());
    expect(warn).toHaveBeenCalledTimes(2);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(FakeWebSocket.latest().closedWith).toBeNull();
  });

  it("test_live_when_a_handler_throws_the_other_handlers_still_run", () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const second = vi.fn();
    setup({
      trade: [
        () => {
          throw new Error("boom");
        },
        second,
      ],
    });

    act(() => {
      FakeWebSocket.latest().open();
      FakeWebSocket.latest().receive({ type: "trade", data: EXECUTION });
    });

    expect(second).toHaveBeenCalledOnce();
    expect(error).toHaveBeenCalledOnce();
  });

  it("test_live_when_the_connection_drops_reconnects_with_doubling_delays", () => {
    const { hook } = setup({});

    act(() => {
      FakeWebSocket.latest().drop();
    });
    expect(hook.result.current).toBe("reconnecting");
    act(() => {
      vi.advanceTimersByTime(999);
    });
    expect(FakeWebSocket.instances).toHaveLength(1);
    act(() => {
      vi.advanceTimersByTime(1);
    });
    expect(FakeWebSocket.instances).toHaveLength(2);

    act(() => {
      FakeWebSocket.latest().drop();
      vi.advanceTimersByTime(1999);
    });
    expect(FakeWebSocket.instances).toHaveLength(2);
    act(() => {
      vi.advanceTimersByTime(1);
    });
    expect(FakeWebSocket.instances).toHaveLength(3);

    act(() => {
      FakeWebSocket.latest().open();
    });
    expect(hook.result.current).toBe("open");
    expect(FakeWebSocket.latest().sent).toHaveLength(1);
  });

  it("test_live_when_reconnected_refetches_what_was_missed", () => {
    const { queryClient } = setup({});
    const invalidate = vi.spyOn(queryClient, "invalidateQueries");
    act(() => {
      FakeWebSocket.latest().open();
    });
    expect(invalidate).not.toHaveBeenCalled();

    act(() => {
      FakeWebSocket.latest().drop();
      vi.advanceTimersByTime(1000);
      FakeWebSocket.latest().open();
    });

    expect(invalidate).toHaveBeenCalledOnce();
  });

  it("test_live_when_the_server_refuses_the_token_asks_for_a_new_one_instead_of_retrying", () => {
    const { onUnauthorized, hook } = setup({});

    act(() => {
      FakeWebSocket.latest().open();
      FakeWebSocket.latest().drop(CLOSE_UNAUTHORIZED, "invalid token");
      vi.advanceTimersByTime(60_000);
    });

    expect(onUnauthorized).toHaveBeenCalledOnce();
    expect(FakeWebSocket.instances).toHaveLength(1);

    hook.rerender({ current: "access-2" });
    act(() => {
      FakeWebSocket.latest().open();
    });
    expect(FakeWebSocket.instances).toHaveLength(2);
    expect(JSON.parse(FakeWebSocket.latest().sent[0] ?? "{}")).toEqual({ type: "auth", token: "access-2" });
  });

  it("test_live_when_signed_out_closes_the_socket_and_stays_idle", () => {
    const { hook } = setup({});
    act(() => {
      FakeWebSocket.latest().open();
    });

    hook.rerender({ current: null });

    expect(FakeWebSocket.instances[0]?.closedWith?.code).toBe(1000);
    expect(hook.result.current).toBe("idle");
    act(() => {
      vi.advanceTimersByTime(60_000);
    });
    expect(FakeWebSocket.instances).toHaveLength(1);
  });
});

describe("backoffDelay", () => {
  it("test_backoff_when_attempts_grow_doubles_up_to_the_cap_with_jitter", () => {
    const backoff = { initialMs: 1000, maxMs: 30_000 };

    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, backoff, () => 1))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
    expect(backoffDelay(3, backoff, () => 0)).toBe(4000);
  });
});
