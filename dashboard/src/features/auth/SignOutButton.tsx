// Ends the session on the server and here, then shows the sign-in page.
import { useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router-dom";

import { signOut } from "./api";

export function SignOutButton() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return (
    <button
      type="button"
      className="btn-secondary"
      onClick={async () => {
        await signOut().catch(() => undefined);
        queryClient.clear();
        void navigate("/signin", { replace: true });
      }}
    >
      Sign out
    </button>
  );
}
