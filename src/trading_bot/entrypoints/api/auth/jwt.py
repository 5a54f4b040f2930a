"""Signed tokens with PyJWT (HS256): short-lived access tokens and WebAuthn ceremony tokens.

Expiry is checked against the injected clock, not the wall clock PyJWT would read, so a test
can expire a token by advancing a ``SimulatedClock``.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from trading_bot.core.ports import Clock

ALGORITHM = "HS256"
ISSUER = "trading-bot"
ACCESS_AUDIENCE = "trading-bot-api"
CEREMONY_AUDIENCE = "trading-bot-webauthn"
_REQUIRED = ["iss", "aud", "exp", "iat", "sub", "jti"]


class TokenRejectedError(Exception):
    """A token is malformed, wrongly signed, meant for something else, or expired."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a verified access token says."""

    user_id: uuid.UUID
    username: str
    token_id: str
    expires_at: datetime


class _Signer:
    """Sign and verify claims for one audience, with expiry on the injected clock."""

    def __init__(self, secret: str, clock: Clock, audience: str) -> None:
        self._secret = secret
        self._clock = clock
        self._audience = audience

    def sign(self, subject: str, ttl: timedelta, extra: dict[str, Any]) -> tuple[str, datetime]:
        # Any: JWT claims are JSON values of several types.
        issued = self._clock.now()
        expires = issued + ttl
        claims = {
            **extra,
            "iss": ISSUER,
            "aud": self._audience,
            "sub": subject,
            "iat": int(issued.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": secrets.token_hex(16),
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM), expires

    def verify(self, token: str) -> dict[str, Any]:
        # Any: JWT claims are JSON values of several types.
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=ISSUER,
                options={
                    "require": _REQUIRED,
                    "verify_exp": False,  # checked below against the injected clock
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise TokenRejectedError(type(exc).__name__) from exc
        expires = claims.get("exp")
        if not isinstance(expires, int) or expires <= self._clock.now().timestamp():
            raise TokenRejectedError("expired")
        return claims


class AccessTokens:
    """Issue and verify the access tokens that authenticate API calls."""

    def __init__(self, secret: str, clock: Clock, *, ttl: timedelta) -> None:
        self._signer = _Signer(secret, clock, ACCESS_AUDIENCE)
        self._clock = clock
        self.ttl = ttl

    def issue(self, user_id: uuid.UUID, username: str) -> tuple[str, datetime]:
        """Return a signed access token for the user and when it expires."""
        return self._signer.sign(str(user_id), self.ttl, {"name": username})

    def verify(self, token: str) -> AccessClaims:
        """Return the claims of a valid token; raise ``TokenRejectedError`` otherwise."""
        claims = self._signer.verify(token)
        try:
            user_id = uuid.UUID(str(claims["sub"]))
        except ValueError as exc:
            raise TokenRejectedError("subject is not a user id") from exc
        username = claims.get("name")
        if not isinstance(username, str) or not username:
            raise TokenRejectedError("no user name")
        return AccessClaims(
            user_id=user_id,
            username=username,
            token_id=str(claims["jti"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=self._clock.now().tzinfo),
        )


class CeremonyTokens:
    """Sign the state of a WebAuthn ceremony so the client can hand it back at ``complete``.

    The token names the server-side challenge (which stays single-use and expiring) and, for a
    sign-up, the account being created; the signature stops a client from changing either.
    """

    def __init__(self, secret: str, clock: Clock, *, ttl: timedelta) -> None:
        self._signer = _Signer(secret, clock, CEREMONY_AUDIENCE)
        self.ttl = ttl

    def sign(self, challenge_id: uuid.UUID, state: dict[str, str]) -> str:
        """Return a token carrying ``state`` for the challenge ``challenge_id``."""
        token, _ = self._signer.sign(str(challenge_id), self.ttl, {"state": state})
        return token

    def read(self, token: str) -> tuple[uuid.UUID, dict[str, str]]:
        """Return the challenge id and state of a valid token; raise ``TokenRejectedError``."""
        claims = self._signer.verify(token)
        state = claims.get("state")
        if not isinstance(state, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in state.items()
        ):
            raise TokenRejectedError("malformed ceremony state")
        try:
            return uuid.UUID(str(claims["sub"])), dict(state)
        except ValueError as exc:
            raise TokenRejectedError("subject is not a challenge id") from exc
