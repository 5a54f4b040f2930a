// Create an account with a passkey; the first one needs the server's bootstrap token.
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";

import { errorMessage } from "@/api";

import { signUp } from "./api";
import { AuthFrame } from "./AuthFrame";

const USERNAME = /^[A-Za-z0-9._-]{3,64}$/;

export default function SignUpPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [username, setUsername] = useState("");
  const [token, setToken] = useState(params.get("token") ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const name = username.trim();
    if (!USERNAME.test(name)) {
      setError("Choose a username of 3 to 64 letters, digits, dots, dashes or underscores.");
      return;
    }
    if (!token.trim()) {
      setError("Paste the invitation or bootstrap token.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await signUp({ username: name, invitationToken: token.trim() });
      void navigate("/portfolio", { replace: true });
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthFrame title="Create an account">
      <form onSubmit={onSubmit} className="space-y-4" noValidate>
        <div>
          <label htmlFor="signup-username" className="field-label">
            Username
          </label>
          <input
            id="signup-username"
            className="input"
            autoComplete="username"
            required
            value={username}
            onChange={(event) => {
              setUsername(event.target.value);
            }}
          />
        </div>
        <div>
          <label htmlFor="signup-token" className="field-label">
            Invitation or bootstrap token
          </label>
          <input
            id="signup-token"
            className="input font-mono"
            autoComplete="off"
            spellCheck={false}
            required
            aria-describedby="signup-token-help"
            value={token}
            onChange={(event) => {
              setToken(event.target.value);
            }}
          />
          <p id="signup-token-help" className="mt-1 text-xs text-slate-500">
            The first account uses the bootstrap token the server printed at its first start
            (<code>trading-bot user invite</code> prints a new one). Later accounts need an
            invitation from a signed-in user.
          </p>
        </div>
        {error ? (
          <p role="alert" className="text-sm text-rose-300">
            {error}
          </p>
        ) : null}
        <button type="submit" className="btn-primary w-full" disabled={busy}>
          {busy ? "Waiting for your passkey…" : "Create a passkey"}
        </button>
      </form>
      <p className="mt-5 text-sm text-slate-400">
        Already registered?{" "}
        <Link to="/signin" className="text-sky-400 underline hover:text-sky-300">
          Sign in
        </Link>
      </p>
    </AuthFrame>
  );
}
