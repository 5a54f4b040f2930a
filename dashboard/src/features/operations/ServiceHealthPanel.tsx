// Service health: each service instance's last heartbeat, the silent ones, and what paused trading.
import { Badge } from "@/components/Badge";
import { Card } from "@/components/Card";
import { EmptyState, QueryView } from "@/components/states";
import { formatDateTime, formatDuration } from "@/lib/format";

import { byHealth } from "./format";
import { useServicesHealth } from "./queries";
import type { ServicesHealth } from "./types";

function AutoPauses({ health }: { health: ServicesHealth }) {
  if (health.auto_paused.length === 0) {
    return <p className="text-sm text-emerald-300">New entries are not paused automatically.</p>;
  }
  return (
    <ul role="alert" className="space-y-2">
      {health.auto_paused.map((pause) => (
        <li
          key={pause.condition}
          className="rounded-lg border border-amber-700 bg-amber-950/40 p-3 text-sm text-amber-200"
        >
          <span className="font-semibold">Paused automatically: {pause.condition}</span>
          <span className="text-amber-300/80"> since {formatDateTime(pause.since)}</span>
          <p className="mt-1 text-amber-100/80">{pause.detail}</p>
        </li>
      ))}
    </ul>
  );
}

export function ServiceHealthPanel() {
  const query = useServicesHealth();
  return (
    <Card title="Service health">
      <QueryView query={query} loadingLabel="Loading service health…">
        {(health) => (
          <div className="space-y-4">
            <AutoPauses health={health} />
            {health.services.length === 0 ? (
              <EmptyState title="No heartbeat has arrived yet." />
            ) : (
              <div className="relative overflow-x-auto">
                <table className="table-base">
                  <thead>
                    <tr>
                      <th scope="col">Service</th>
                      <th scope="col">Instance</th>
                      <th scope="col">Last heartbeat</th>
                      <th scope="col" className="text-right">Silent for</th>
                      <th scope="col">Status</th>
                    </tr>
                  </thead>
                  <tbody>
                    {byHealth(health.services).map((service) => (
                      <tr key={`${service.service}-${service.instance}`}>
                        <td>{service.service}</td>
                        <td className="text-slate-400">{service.instance}</td>
                        <td className="whitespace-nowrap">{formatDateTime(service.last_seen)}</td>
                        <td className="text-right">{formatDuration(service.age_seconds)}</td>
                        <td>
                          <Badge color={service.status === "ok" ? "green" : "red"}>
                            {service.status === "ok" ? "alive" : "stale"}
                          </Badge>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            {health.missing.length > 0 ? (
              <p className="text-sm text-slate-400">
                Never heard from: <span className="text-slate-300">{health.missing.join(", ")}</span>
              </p>
            ) : null}
          </div>
        )}
      </QueryView>
    </Card>
  );
}
