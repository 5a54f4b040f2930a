"""Authentication: passkeys (WebAuthn), access and refresh tokens, API tokens, invitations."""
