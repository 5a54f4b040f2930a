// API tokens for scripts: mint one (shown once), list them, revoke one.
import { useState, type FormEvent } from "react";

import { errorMessage } from "@/api";
import type { ApiToken, MintedToken } from "@/api/types";
import { Card } from "@/components/Card";
import { ConfirmDialog } from "@/components/ConfirmDialog";
import { EmptyState, QueryView } from "@/components/states";
import { useToast } from "@/components/toasts";
import { formatDateTime } from "@/lib/format";

import { CopyButton } from "./CopyButton";
import { useApiTokens, useMintToken, useRevokeToken } from "./queries";

type Scope = "read" | "control";

export function ApiTokens() {
  const tokens = useApiTokens();
  const mint = useMintToken();
  const revoke = useRevokeToken();
  const toast = useToast();
  const [name, setName] = useState("");
  const [scope, setScope] = useState<Scope>("read");
  const [ttlDays, setTtlDays] = useState("30");
  const [minted, setMinted] = useState<MintedToken | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const [formError, setFormError] = useState<string | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const days = Number(ttlDays);
    if (!name.trim()) {
      setFormError("Name the token after the script that will use it.");
      return;
    }
    if (!Number.isInteger(days) || days < 1 || days > 365) {
      setFormError("Validity must be a whole number of days from 1 to 365.");
      return;
    }
    setFormError(null);
    mint.mutate(
      { name: name.trim(), scope, ttl_days: days },
      {
        onSuccess: (token) => {
          setMinted(token);
          setName("");
        },
      },
    );
  };

  return (
    <Card title="API tokens">
      {minted ? (
        <div role="status" className="mb-4 rounded-lg border border-emerald-700 bg-emerald-950/40 p-3 text-sm">
          <p className="font-medium">Token “{minted.name}” created. Copy it now: it is shown only once.</p>
          <div className="mt-2 flex gap-2">
            <label htmlFor="minted-token" className="sr-only">New API token</label>
            <input id="minted-token" readOnly className="input font-mono" value={minted.token}
              onFocus={(e) => { e.target.select(); }} />
            <CopyButton value={minted.token} label="Copy the new API token" />
          </div>
          <button type="button" className="mt-2 text-xs text-slate-400 underline" onClick={() => { setMinted(null); }}>
            I have stored it; hide it
          </button>
        </div>
      ) : null}
      <form onSubmit={submit} className="grid grid-cols-2 gap-3 md:grid-cols-[1fr_auto_auto_auto] md:items-end" noValidate>
        <div className="col-span-2 md:col-span-1">
          <label htmlFor="token-name" className="field-label">Name</label>
          <input id="token-name" className="input" placeholder="nightly-report" value={name}
            onChange={(e) => { setName(e.target.value); }} />
        </div>
        <div>
          <label htmlFor="token-scope" className="field-label">Scope</label>
          <select id="token-scope" className="input" value={scope}
            onChange={(e) => { setScope(e.target.value as Scope); }}>
            <option value="read">Read only</option>
            <option value="control">Read and control</option>
          </select>
        </div>
        <div>
          <label htmlFor="token-ttl" className="field-label">Valid (days)</label>
          <input id="token-ttl" inputMode="numeric" className="input w-24" value={ttlDays}
            onChange={(e) => { setTtlDays(e.target.value); }} />
        </div>
        <button type="submit" className="btn-primary col-span-2 md:col-span-1" disabled={mint.isPending}>
          Create token
        </button>
      </form>
      {formError ?? mint.error ? (
        <p role="alert" className="mt-2 text-sm text-rose-300">{formError ?? errorMessage(mint.error)}</p>
      ) : null}
      <div className="mt-4">
        <QueryView
          query={tokens}
          loadingLabel="Loading tokens…"
          isEmpty={(data) => data.length === 0}
          empty={<EmptyState title="No API tokens." />}
        >
          {(data) => (
            <div className="relative overflow-x-auto">
              <table className="table-base" aria-label="API tokens">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Scope</th>
                    <th scope="col">Created</th>
                    <th scope="col">Expires</th>
                    <th scope="col">Last used</th>
                    <th scope="col"><span className="sr-only">Actions</span></th>
                  </tr>
                </thead>
                <tbody>
                  {data.map((token) => (
                    <tr key={token.id}>
                      <td>{token.name}</td>
                      <td>{token.scope}</td>
                      <td className="whitespace-nowrap">{formatDateTime(token.created_at)}</td>
                      <td className="whitespace-nowrap">{formatDateTime(token.expires_at)}</td>
                      <td className="whitespace-nowrap">{formatDateTime(token.last_used_at)}</td>
                      <td className="text-right">
                        <button type="button" className="btn-secondary" aria-label={`Revoke token ${token.name}`}
                          onClick={() => { setRevoking(token); }}>
                          Revoke
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </QueryView>
      </div>
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke token ${revoking?.name ?? ""}?`}
        confirmLabel="Revoke token"
        busy={revoke.isPending}
        onCancel={() => { setRevoking(null); }}
        onConfirm={() => {
          if (!revoking) return;
          revoke.mutate(revoking.id, {
            onSuccess: () => { toast.show("Token revoked.", "success"); },
            onError: (error) => { toast.show(errorMessage(error), "error"); },
            onSettled: () => { setRevoking(null); },
          });
        }}
      >
        Scripts using it will be refused from now on.
      </ConfirmDialog>
    </Card>
  );
}
