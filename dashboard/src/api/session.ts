// The signed-in session: the short-lived access token, kept in memory and in this tab's storage.
//
// The refresh token never reaches JavaScript: the API keeps it in an HttpOnly cookie, so the
// access token alone is what a script (or an injected one) could ever read, and it expires soon.

export type SessionStatus = "unknown" | "signed-in" | "signed-out";

export interface SessionSnapshot {
  readonly status: SessionStatus;
  readonly accessToken: string | null;
}

export interface SessionStore {
  /** Return the current snapshot; the same object until the session changes. */
  get(): SessionSnapshot;
  /** Store a fresh access token and mark the session signed in. */
  signIn(accessToken: string): void;
  /** Forget the access token and mark the session signed out. */
  signOut(): void;
  /** Call `listener` after every change; return the function that unsubscribes it. */
  subscribe(listener: () => void): () => void;
}

const STORAGE_KEY = "trading-bot.access-token";

/** Create a session store; with `storage`, the token survives a reload of the tab. */
export function createSessionStore(storage: Storage | null = null): SessionStore {
  const stored = storage?.getItem(STORAGE_KEY) ?? null;
  let snapshot: SessionSnapshot = stored
    ? { status: "signed-in", accessToken: stored }
    : { status: "unknown", accessToken: null };
  const listeners = new Set<() => void>();

  const publish = (next: SessionSnapshot): void => {
    snapshot = next;
    for (const listener of listeners) listener();
  };

  return {
    get: () => snapshot,
    signIn(accessToken) {
      storage?.setItem(STORAGE_KEY, accessToken);
      publish({ status: "signed-in", accessToken });
    },
    signOut() {
      storage?.removeItem(STORAGE_KEY);
      publish({ status: "signed-out", accessToken: null });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
