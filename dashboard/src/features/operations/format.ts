// Words for operational records: what an audit action means, and a short line of its detail.
import type { AuditEntry, ServiceHealth } from "./types";

const ACTIONS: Record<string, string> = {
  "controls.pause": "Paused trading",
  "controls.resume": "Resumed trading",
  "controls.close_position": "Asked to close a position",
  "trading.auto_pause": "Paused automatically",
  "trading.auto_resume": "Resumed automatically",
  "heartbeat.lost": "Heartbeat lost",
  "heartbeat.restored": "Heartbeat back",
  "risk.kill_switch": "Kill switch tripped",
  "auth.signup": "Signed up",
  "auth.invitation_created": "Created an invitation",
  "auth.token_minted": "Minted an API token",
  "auth.token_revoked": "Revoked an API token",
  "auth.passkey_added": "Added a passkey",
  "auth.passkey_removed": "Removed a passkey",
};

/** Return a sentence for an audit action; reconciliation kinds read `Reconciled: order filled`. */
export function actionLabel(action: string): string {
  const known = ACTIONS[action];
  if (known) return known;
  if (action.startsWith("reconcile.")) {
    return `Reconciled: ${action.slice("reconcile.".length).replaceAll("_", " ")}`;
  }
  return action;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Return the detail of an entry as `key: value` pairs, nested objects flattened with dots. */
export function detailPairs(detail: Record<string, unknown>, prefix = ""): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [key, value] of Object.entries(detail)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value === null || value === undefined || value === "") continue;
    if (isRecord(value)) {
      pairs.push(...detailPairs(value, name));
    } else {
      pairs.push([name, typeof value === "string" ? value : JSON.stringify(value)]);
    }
  }
  return pairs;
}

/** Return one line summing up an entry's detail (the ticker and condition first). */
export function detailSummary(detail: AuditEntry["detail"]): string {
  const pairs = detailPairs(detail).filter(([key]) => key !== "occurred_at");
  const first = ["ticker", "condition", "service", "detail"];
  pairs.sort(([a], [b]) => rank(a, first) - rank(b, first));
  return pairs.map(([key, value]) => `${key}: ${value}`).join(" · ");
}

function rank(key: string, first: string[]): number {
  const index = first.indexOf(key);
  return index === -1 ? first.length : index;
}

/** Sort services so the stale ones come first, then by name. */
export function byHealth(services: readonly ServiceHealth[]): ServiceHealth[] {
  return [...services].sort(
    (a, b) =>
      Number(b.status === "stale") - Number(a.status === "stale") ||
      a.service.localeCompare(b.service) ||
      a.instance.localeCompare(b.instance),
  );
}
