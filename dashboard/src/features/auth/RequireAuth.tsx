// Routes behind the sign-in: restore the session from the refresh cookie, or go to /signin.
import { useEffect, type ReactNode } from "react";
import { Navigate, useLocation } from "react-router-dom";

import { LoadingState } from "@/components/states";

import { restoreSession, useSession } from "./session";

export function RequireAuth({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();

  useEffect(() => {
    if (session.status === "unknown") void restoreSession();
  }, [session.status]);

  if (session.status === "signed-in") return <>{children}</>;
  if (session.status === "unknown") return <LoadingState label="Checking your session…" />;
  const here = `${location.pathname}${location.search}`;
  const next = here === "/" ? "" : `?next=${encodeURIComponent(here)}`;
  return <Navigate to={`/signin${next}`} replace />;
}
