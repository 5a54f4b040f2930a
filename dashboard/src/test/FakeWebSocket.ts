// A WebSocket stand-in for hook tests: records what was sent, lets the test play the server.

export class FakeWebSocket {
  static instances: FakeWebSocket[] = [];

  static reset(): void {
    FakeWebSocket.instances = [];
  }

  static latest(): FakeWebSocket {
    const socket = FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
    if (!socket) throw new Error("no WebSocket was opened");
    return socket;
  }

  readonly url: string;
  readonly sent: string[] = [];
  closedWith: { code?: number; reason?: string } | null = null;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;

  constructor(url: string | URL) {
    this.url = String(url);
    FakeWebSocket.instances.push(this);
  }

  send(data: string): void {
    this.sent.push(data);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
  }

  /** Play the server: accept the connection. */
  open(): void {
    this.onopen?.(new Event("open"));
  }

  /** Play the server: push a message (objects are sent as JSON). */
  receive(message: unknown): void {
    const data = typeof message === "string" ? message : JSON.stringify(message);
    this.onmessage?.(new MessageEvent("message", { data }));
  }

  /** Play the server or the network: drop the connection with `code`. */
  drop(code = 1006, reason = ""): void {
    this.onclose?.(new CloseEvent("close", { code, reason }));
  }
}

/** The constructor to hand to code that expects `typeof WebSocket`. */
export const FakeWebSocketImpl = FakeWebSocket as unknown as typeof WebSocket;
