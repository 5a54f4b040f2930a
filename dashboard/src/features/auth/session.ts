// Reading the session in components, and restoring it from the refresh cookie after a reload.
import { useSyncExternalStore } from "react";

import { api, type SessionSnapshot } from "@/api";

/** Return the current session; re-render when it changes. */
export function useSession(): SessionSnapshot {
  return useSyncExternalStore(
    (listener) => api.session.subscribe(listener),
    () => api.session.get(),
  );
}

let restoring: Promise<void> | null = null;

/** Try the refresh cookie once; the session ends up signed in or signed out. */
export function restoreSession(): Promise<void> {
  restoring ??= api.refreshAccessToken().then((token) => {
    if (!token) api.session.signOut();
    restoring = null;
  });
  return restoring;
}
