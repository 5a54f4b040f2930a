// Operations queries: service health (polled), the audit log and the reconciler's events.
import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/api";
import { compactQuery } from "@/lib/query";

import type { AuditQuery } from "./types";

/** How often the service-health panel asks again, in milliseconds. */
export const HEALTH_REFRESH_MS = 15_000;

/** The actor the reconciler records its differences under. */
export const RECONCILER = "reconciler";

export const operationsKeys = {
  all: ["operations"] as const,
  health: () => [...operationsKeys.all, "health"] as const,
  audit: (query: AuditQuery) => [...operationsKeys.all, "audit", query] as const,
};

export function useServicesHealth() {
  return useQuery({
    queryKey: operationsKeys.health(),
    queryFn: () => unwrap(api.client.GET("/api/health/services")),
    refetchInterval: HEALTH_REFRESH_MS,
  });
}

export function useAuditLog(query: AuditQuery) {
  const params = compactQuery(query);
  return useQuery({
    queryKey: operationsKeys.audit(params),
    queryFn: () => unwrap(api.client.GET("/api/audit", { params: { query: params } })),
    placeholderData: keepPreviousData,
  });
}

/** The reconciler's latest differences (what start-up adopted from the broker). */
export function useReconciliationEvents(limit = 20) {
  return useAuditLog({ actor: RECONCILER, limit });
}
