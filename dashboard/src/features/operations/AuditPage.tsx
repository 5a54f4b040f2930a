// The audit log: who did what and when, filtered by actor and action, a page at a time.
import { useSearchParams } from "react-router-dom";

import { Card } from "@/components/Card";
import { PageHeading } from "@/components/Layout";
import { EmptyState, QueryView } from "@/components/states";
import { formatDateTime } from "@/lib/format";
import { parseIntParam } from "@/lib/query";

import { actionLabel, detailSummary } from "./format";
import { useAuditLog } from "./queries";

export const AUDIT_PAGE_SIZE = 50;

export default function AuditPage() {
  const [params, setParams] = useSearchParams();
  const actor = params.get("actor") ?? "";
  const action = params.get("action") ?? "";
  const page = parseIntParam(params.get("page"), 0);
  const query = useAuditLog({
    actor: actor.trim() || undefined,
    action: action.trim() || undefined,
    limit: AUDIT_PAGE_SIZE,
    offset: page * AUDIT_PAGE_SIZE,
  });

  function update(next: { actor?: string; action?: string; page?: number }) {
    const values = { actor, action, page: 0, ...next };
    const search = new URLSearchParams();
    if (values.actor) search.set("actor", values.actor);
    if (values.action) search.set("action", values.action);
    if (values.page > 0) search.set("page", String(values.page));
    setParams(search, { replace: true });
  }

  return (
    <>
      <PageHeading title="Audit log" />
      <Card>
        <form
          className="mb-4 flex flex-wrap gap-3"
          onSubmit={(event) => {
            event.preventDefault();
          }}
        >
          <label className="flex flex-col text-sm text-slate-400">
            Actor
            <input
              className="input"
              value={actor}
              placeholder="alice, reconciler, health-watch"
              onChange={(event) => {
                update({ actor: event.target.value });
              }}
            />
          </label>
          <label className="flex flex-col text-sm text-slate-400">
            Action
            <input
              className="input"
              value={action}
              placeholder="controls.pause"
              onChange={(event) => {
                update({ action: event.target.value });
              }}
            />
          </label>
        </form>
        <QueryView
          query={query}
          loadingLabel="Loading the audit log…"
          isEmpty={(data) => data.items.length === 0}
          empty={<EmptyState title="No entry matches these filters." />}
        >
          {(data) => {
            const first = data.offset + 1;
            const last = data.offset + data.items.length;
            return (
              <>
                <div className="relative overflow-x-auto">
                  <table className="table-base">
                    <thead>
                      <tr>
                        <th scope="col">When</th>
                        <th scope="col">Who</th>
                        <th scope="col">What</th>
                        <th scope="col">Detail</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.items.map((entry) => (
                        <tr key={entry.id}>
                          <td className="whitespace-nowrap">{formatDateTime(entry.timestamp)}</td>
                          <td>{entry.actor}</td>
                          <td title={entry.action}>{actionLabel(entry.action)}</td>
                          <td className="break-words text-slate-400">{detailSummary(entry.detail)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <nav aria-label="Pages" className="mt-3 flex items-center justify-between text-sm text-slate-400">
                  <span>
                    {first}–{last} of {data.total}
                  </span>
                  <span className="flex gap-2">
                    <button
                      type="button"
                      className="btn-secondary"
                      disabled={page === 0}
                      onClick={() => {
                        update({ page: page - 1 });
                      }}
                    >
                      Previous
                    </button>
                    <button
                      type="button"
                      className="btn-secondary"
                      disabled={last >= data.total}
                      onClick={() => {
                        update({ page: page + 1 });
                      }}
                    >
                      Next
                    </button>
                  </span>
                </nav>
              </>
            );
          }}
        </QueryView>
      </Card>
    </>
  );
}
