"""Signed-in sessions: an access token plus a rotating refresh token with reuse detection.

A sign-in starts a refresh-token family. Each ``POST /auth/refresh`` spends the presented
token and issues the next one of the family; presenting a spent token revokes the family, so
whoever stole a token and whoever still holds the newest one are both signed out.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from trading_bot.core.model.auth import RefreshOutcome, User
from trading_bot.core.ports import Clock, RefreshTokenRepository, UserRepository
from trading_bot.entrypoints.api.auth.jwt import AccessTokens
from trading_bot.entrypoints.api.auth.secrets import REFRESH_TOKEN_PREFIX, hash_token, new_token
from trading_bot.entrypoints.api.errors import ApiError, unauthorized

_REFUSALS = {
    RefreshOutcome.UNKNOWN: "the refresh token is not known",
    RefreshOutcome.EXPIRED: "the refresh token has expired; sign in again",
    RefreshOutcome.REVOKED: "the refresh token was revoked; sign in again",
    RefreshOutcome.REUSED: "the refresh token was already used; every session of this sign-in "
    "is now revoked",
}


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    """What a sign-in or a refresh hands the client."""

    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


class Sessions:
    """Start, refresh and end signed-in sessions."""

    def __init__(
        self,
        *,
        access: AccessTokens,
        refresh_tokens: RefreshTokenRepository,
        users: UserRepository,
        clock: Clock,
        refresh_ttl: timedelta,
    ) -> None:
        self._access = access
        self._refresh_tokens = refresh_tokens
        self._users = users
        self._clock = clock
        self._refresh_ttl = refresh_ttl

    async def start(self, user_id: uuid.UUID, username: str) -> IssuedTokens:
        """Issue the first tokens of a new refresh-token family."""
        now = self._clock.now()
        refresh = new_token(REFRESH_TOKEN_PREFIX)
        expires = now + self._refresh_ttl
        await self._refresh_tokens.issue(
            user_id=user_id,
            family_id=uuid.uuid4(),
            token_hash=hash_token(refresh),
            expires_at=expires,
            now=now,
        )
        access, access_expires = self._access.issue(user_id, username)
        return IssuedTokens(access, access_expires, refresh, expires)

    async def refresh(self, refresh_token: str) -> tuple[IssuedTokens, User]:
        """Spend ``refresh_token``; return the next tokens and whose; raise 401 if refused."""
        now = self._clock.now()
        replacement = new_token(REFRESH_TOKEN_PREFIX)
        expires = now + self._refresh_ttl
        rotation = await self._refresh_tokens.rotate(
            hash_token(refresh_token),
            new_hash=hash_token(replacement),
            new_expires_at=expires,
            now=now,
        )
        if rotation.outcome is not RefreshOutcome.ROTATED or rotation.user_id is None:
            raise ApiError(
                401,
                f"refresh_{rotation.outcome.value}",
                _REFUSALS.get(rotation.outcome, "refused"),
                headers={"WWW-Authenticate": "Bearer"},
            )
        user = await self._users.get(rotation.user_id)
        if user is None:
            raise unauthorized("the account no longer exists")
        access, access_expires = self._access.issue(user.user_id, user.username)
        return IssuedTokens(access, access_expires, replacement, expires), user

    async def end(self, refresh_token: str) -> bool:
        """Revoke the family of ``refresh_token``; return False if the token is unknown."""
        return await self._refresh_tokens.revoke_family(
            hash_token(refresh_token), now=self._clock.now()
        )
