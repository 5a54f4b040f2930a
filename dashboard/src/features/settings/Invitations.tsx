// Invite someone: create a one-time sign-up link and copy it.
import { errorMessage } from "@/api";
import { Card } from "@/components/Card";
import { formatDateTime } from "@/lib/format";

import { CopyButton } from "./CopyButton";
import { useCreateInvitation } from "./queries";

export function Invitations() {
  const invite = useCreateInvitation();
  const link = invite.data ? new URL(invite.data.url, window.location.origin).toString() : null;
  return (
    <Card title="Invitations">
      <p className="mb-3 text-sm text-slate-400">
        An invitation is a one-time link that lets one person create an account with a passkey.
      </p>
      <button type="button" className="btn-primary" disabled={invite.isPending} onClick={() => { invite.mutate(); }}>
        {invite.isPending ? "Creating…" : "Create invitation link"}
      </button>
      {invite.error ? <p role="alert" className="mt-2 text-sm text-rose-300">{errorMessage(invite.error)}</p> : null}
      {link && invite.data ? (
        <div className="mt-3">
          <label htmlFor="invitation-link" className="field-label">Invitation link</label>
          <div className="flex gap-2">
            <input id="invitation-link" readOnly className="input font-mono" value={link}
              onFocus={(e) => { e.target.select(); }} />
            <CopyButton value={link} label="Copy invitation link" />
          </div>
          <p className="mt-1 text-xs text-slate-500">Valid until {formatDateTime(invite.data.expires_at)}.</p>
        </div>
      ) : null}
    </Card>
  );
}
