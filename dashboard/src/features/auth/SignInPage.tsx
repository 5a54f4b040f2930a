// Sign in with a passkey; the username is optional (a discoverable passkey identifies its user).
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";

import { errorMessage } from "@/api";

import { signIn } from "./api";
import { AuthFrame } from "./AuthFrame";
import { safeNext } from "./next";

export default function SignInPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [username, setUsername] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username.trim());
      void navigate(safeNext(params.get("next")), { replace: true });
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthFrame title="Sign in">
      <form onSubmit={onSubmit} className="space-y-4" aria-describedby={error ? "signin-error" : undefined}>
        <div>
          <label htmlFor="signin-username" className="field-label">
            Username (optional)
          </label>
          <input
            id="signin-username"
            className="input"
            autoComplete="username webauthn"
            value={username}
            onChange={(event) => {
              setUsername(event.target.value);
            }}
          />
        </div>
        {error ? (
          <p id="signin-error" role="alert" className="text-sm text-rose-300">
            {error}
          </p>
        ) : null}
        <button type="submit" className="btn-primary w-full" disabled={busy}>
          {busy ? "Waiting for your passkey…" : "Sign in with a passkey"}
        </button>
      </form>
      <p className="mt-5 text-sm text-slate-400">
        Have an invitation?{" "}
        <Link to="/signup" className="text-sky-400 underline hover:text-sky-300">
          Create an account
        </Link>
      </p>
    </AuthFrame>
  );
}
