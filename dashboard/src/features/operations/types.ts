// The operations feature's shapes, read off the generated API schema.
import type { QueryOf, ResponseOf } from "@/api/types";

export type AuditPage = ResponseOf<"/api/audit", "get">;
export type AuditEntry = AuditPage["items"][number];
export type AuditQuery = QueryOf<"/api/audit", "get">;
export type ServicesHealth = ResponseOf<"/api/health/services", "get">;
export type ServiceHealth = ServicesHealth["services"][number];
export type AutoPause = ServicesHealth["auto_paused"][number];
