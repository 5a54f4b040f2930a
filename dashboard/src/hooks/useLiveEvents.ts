// The live connection to the gateway's WebSocket: authenticate, dispatch events, reconnect.
//
// Features register handlers per event type; the hook owns the socket, the backoff and the
// bookkeeping, so no feature talks to the WebSocket directly.
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useLayoutEffect, useRef, useState } from "react";

import { useToast, type Toaster } from "@/components/toasts";

export const LIVE_EVENT_TYPES = ["trade", "signal", "portfolio", "weights", "news"] as const;
export type LiveEventType = (typeof LIVE_EVENT_TYPES)[number];

export interface LiveContext {
  queryClient: QueryClient;
  toast: Toaster;
}

/** Apply one event's `data` to the cache; malformed data should be ignored, not thrown. */
export type LiveHandler = (data: unknown, context: LiveContext) => void;
export type LiveHandlers = Partial<Record<LiveEventType, readonly LiveHandler[]>>;

export type LiveStatus = "idle" | "connecting" | "open" | "reconnecting";

/** Close code the gateway uses for a missing, invalid or expired token. */
export const CLOSE_UNAUTHORIZED = 4401;

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 1000, maxMs: 30_000 };

export interface LiveOptions {
  url: string;
  token: string | null;
  handlers: LiveHandlers;
  /** Called when the server refuses the token; should refresh it (a new token reconnects). */
  onUnauthorized: () => void;
  WebSocketImpl?: typeof WebSocket;
  backoff?: Backoff;
  random?: () => number;
}

/** Return the delay before reconnect attempt `attempt` (0-based): doubling, capped, jittered. */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt);
  // Jitter keeps many dashboards from reconnecting in lockstep after a gateway restart.
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** Merge the handlers of several features into one table. */
export function mergeHandlers(...tables: LiveHandlers[]): LiveHandlers {
  const merged: Partial<Record<LiveEventType, LiveHandler[]>> = {};
  for (const table of tables) {
    for (const type of LIVE_EVENT_TYPES) {
      const handlers = table[type];
      if (handlers) merged[type] = [...(merged[type] ?? []), ...handlers];
    }
  }
  return merged;
}

/** Messages that manage the connection rather than carry data. */
type ControlType = "ping" | "ready";

function parseEvent(raw: unknown): { type: LiveEventType | ControlType; data: unknown } | null {
  if (typeof raw !== "string") return null;
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof message !== "object" || message === null) return null;
  const { type, data } = message as { type?: unknown; data?: unknown };
  if (type === "ping" || type === "ready") return { type, data: null };
  if (typeof type === "string" && (LIVE_EVENT_TYPES as readonly string[]).includes(type)) {
    return { type: type as LiveEventType, data };
  }
  return null;
}

/** The WebSocket URL of the gateway that served `location`. */
export function liveUrl(location: Pick<Location, "protocol" | "host">): string {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
}

/** Keep a live connection while `token` is set, feeding each event to its handlers. */
export function useLiveEvents(options: LiveOptions): LiveStatus {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [status, setStatus] = useState<LiveStatus>("idle");
  // Handlers and callbacks may change identity on every render; the socket must not.
  const latest = useRef({ options, queryClient, toast });
  useLayoutEffect(() => {
    latest.current = { options, queryClient, toast };
  });
  const { url, token } = options;

  useEffect(() => {
    if (!token) return undefined;
    const Impl = latest.current.options.WebSocketImpl ?? WebSocket;
    let socket: WebSocket | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let attempt = 0;
    let disposed = false;

    const dispatch = (type: LiveEventType, data: unknown) => {
      const { options: current, queryClient: client, toast: toaster } = latest.current;
      for (const handler of current.handlers[type] ?? []) {
        try {
          handler(data, { queryClient: client, toast: toaster });
        } catch (error) {
          // One feature's bad handler must not starve the others of the event.
          console.error(`live ${type} handler failed`, error);
        }
      }
    };

    const connect = () => {
      setStatus(attempt === 0 ? "connecting" : "reconnecting");
      const ws = new Impl(url);
      socket = ws;
      ws.onopen = () => {
        ws.send(JSON.stringify({ type: "auth", token }));
        if (attempt > 0) {
          // Events were missed while the socket was down: refetch what is on screen.
          void latest.current.queryClient.invalidateQueries();
        }
        attempt = 0;
        setStatus("open");
      };
      ws.onmessage = (message: MessageEvent) => {
        const event = parseEvent(message.data);
        if (!event) {
          console.warn("ignored a malformed live message");
          return;
        }
        if (event.type !== "ping" && event.type !== "ready") dispatch(event.type, event.data);
      };
      ws.onclose = (close: CloseEvent) => {
        if (disposed) return;
        socket = null;
        if (close.code === CLOSE_UNAUTHORIZED) {
          setStatus("idle");
          latest.current.options.onUnauthorized();
          return;
        }
        const { backoff = DEFAULT_BACKOFF, random = Math.random } = latest.current.options;
        const delay = backoffDelay(attempt, backoff, random);
        attempt += 1;
        setStatus("reconnecting");
        timer = setTimeout(connect, delay);
      };
    };

    connect();
    return () => {
      disposed = true;
      if (timer) clearTimeout(timer);
      socket?.close(1000, "signed out or left");
    };
  }, [url, token]);

  return token ? status : "idle";
}
