// Passkey sign-up, sign-in and sign-out against the gateway's /auth ceremonies.
//
// Each ceremony is two calls: `begin` returns the browser's WebAuthn options and a ceremony
// token; `complete` returns that token with the authenticator's answer. The session's refresh
// token comes back as an HttpOnly cookie; only the short-lived access token reaches this code.
import { api, unwrap } from "@/api";
import { createPasskey, signWithPasskey } from "@/lib/passkeys";

export interface SignUpInput {
  username: string;
  invitationToken: string;
}

/** Create an account with a new passkey, using an invitation (or the bootstrap) token. */
export async function signUp({ username, invitationToken }: SignUpInput): Promise<void> {
  const begin = await unwrap(
    api.client.POST("/auth/register/begin", {
      body: { username, display_name: username, invitation_token: invitationToken },
    }),
  );
  const credential = await createPasskey(begin.options);
  const session = await unwrap(
    api.client.POST("/auth/register/complete", {
      body: { ceremony: begin.ceremony, credential, passkey_name: "First passkey" },
    }),
  );
  api.session.signIn(session.access_token);
}

/** Sign in with a passkey; without a username the authenticator offers its passkeys. */
export async function signIn(username: string): Promise<void> {
  const begin = await unwrap(
    api.client.POST("/auth/login/begin", { body: { username: username || null } }),
  );
  const credential = await signWithPasskey(begin.options);
  const session = await unwrap(
    api.client.POST("/auth/login/complete", { body: { ceremony: begin.ceremony, credential } }),
  );
  api.session.signIn(session.access_token);
}

/** Revoke the refresh token on the server and forget the session here, even if offline. */
export async function signOut(): Promise<void> {
  try {
    await api.client.POST("/auth/logout");
  } finally {
    api.session.signOut();
  }
}
