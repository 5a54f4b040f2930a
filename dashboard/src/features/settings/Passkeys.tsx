// The account's passkeys: list, add another device, remove one (never the last).
import { useState } from "react";

import { errorMessage } from "@/api";
import type { Passkey } from "@/api/types";
import { Card } from "@/components/Card";
import { ConfirmDialog } from "@/components/ConfirmDialog";
import { EmptyState, QueryView } from "@/components/states";
import { useToast } from "@/components/toasts";
import { formatDateTime } from "@/lib/format";

import { useAddPasskey, usePasskeys, useRemovePasskey } from "./queries";

export function Passkeys() {
  const passkeys = usePasskeys();
  const add = useAddPasskey();
  const remove = useRemovePasskey();
  const toast = useToast();
  const [name, setName] = useState("");
  const [removing, setRemoving] = useState<Passkey | null>(null);

  return (
    <Card title="Passkeys">
      <QueryView
        query={passkeys}
        loadingLabel="Loading passkeys…"
        isEmpty={(data) => data.length === 0}
        empty={<EmptyState title="No passkeys." />}
      >
        {(data) => (
          <ul className="divide-y divide-slate-800" aria-label="Your passkeys">
            {data.map((passkey) => (
              <li key={passkey.id} className="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
                <span>
                  <span className="font-medium">{passkey.name}</span>
                  <span className="block text-xs text-slate-400">
                    Added {formatDateTime(passkey.created_at)} · last used {formatDateTime(passkey.last_used_at)}
                  </span>
                </span>
                <button
                  type="button"
                  className="btn-secondary"
                  aria-label={`Remove passkey ${passkey.name}`}
                  disabled={data.length <= 1}
                  title={data.length <= 1 ? "Your only passkey cannot be removed." : undefined}
                  onClick={() => { setRemoving(passkey); }}
                >
                  Remove
                </button>
              </li>
            ))}
          </ul>
        )}
      </QueryView>
      <form
        className="mt-3 flex flex-wrap items-end gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          add.mutate(name.trim(), {
            onSuccess: () => {
              setName("");
              toast.show("Passkey added.", "success");
            },
          });
        }}
      >
        <div className="min-w-48 flex-1">
          <label htmlFor="passkey-name" className="field-label">Name of the new passkey</label>
          <input id="passkey-name" className="input" placeholder="Laptop" value={name}
            onChange={(e) => { setName(e.target.value); }} />
        </div>
        <button type="submit" className="btn-primary" disabled={add.isPending}>
          {add.isPending ? "Waiting for your passkey…" : "Add a passkey"}
        </button>
      </form>
      {add.error ? <p role="alert" className="mt-2 text-sm text-rose-300">{errorMessage(add.error)}</p> : null}
      <ConfirmDialog
        open={removing !== null}
        title={`Remove passkey ${removing?.name ?? ""}?`}
        confirmLabel="Remove passkey"
        busy={remove.isPending}
        onCancel={() => { setRemoving(null); }}
        onConfirm={() => {
          if (!removing) return;
          remove.mutate(removing.id, {
            onSuccess: () => { toast.show("Passkey removed.", "success"); },
            onError: (error) => { toast.show(errorMessage(error), "error"); },
            onSettled: () => { setRemoving(null); },
          });
        }}
      >
        That device will no longer sign in to this account.
      </ConfirmDialog>
    </Card>
  );
}
