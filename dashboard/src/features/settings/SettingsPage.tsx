// Settings: invitations, passkeys and API tokens.
import { PageHeading } from "@/components/Layout";

import { ApiTokens } from "./ApiTokens";
import { Invitations } from "./Invitations";
import { Passkeys } from "./Passkeys";

export default function SettingsPage() {
  return (
    <>
      <PageHeading title="Settings" />
      <div className="grid grid-cols-1 gap-4">
        <Passkeys />
        <ApiTokens />
        <Invitations />
      </div>
    </>
  );
}
