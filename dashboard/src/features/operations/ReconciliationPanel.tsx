// The reconciler's latest differences: what storage adopted from the broker, and when.
import { Link } from "react-router-dom";

import { Card } from "@/components/Card";
import { EmptyState, QueryView } from "@/components/states";
import { formatDateTime } from "@/lib/format";

import { actionLabel, detailSummary } from "./format";
import { RECONCILER, useReconciliationEvents } from "./queries";

export function ReconciliationPanel() {
  const query = useReconciliationEvents();
  return (
    <Card
      title="Reconciliation with the broker"
      actions={
        <Link to={`/operations/audit?actor=${RECONCILER}`} className="text-sm text-sky-400 underline">
          All of them
        </Link>
      }
    >
      <QueryView
        query={query}
        loadingLabel="Loading reconciliation events…"
        isEmpty={(page) => page.items.length === 0}
        empty={<EmptyState title="Storage has always matched the broker." />}
      >
        {(page) => (
          <ul className="divide-y divide-slate-800">
            {page.items.map((entry) => (
              <li key={entry.id} className="py-2 text-sm">
                <div className="flex flex-wrap items-baseline justify-between gap-2">
                  <span className="font-medium text-slate-200">{actionLabel(entry.action)}</span>
                  <time className="text-slate-400" dateTime={entry.timestamp}>
                    {formatDateTime(entry.timestamp)}
                  </time>
                </div>
                <p className="break-words text-slate-400">{detailSummary(entry.detail)}</p>
              </li>
            ))}
          </ul>
        )}
      </QueryView>
    </Card>
  );
}
