"""Who is calling: a bearer token (an access JWT or an API token) turned into a ``Principal``.

Scopes, from least to most: ``read`` (GET routes), ``control`` (also controls and backtests),
``session`` (a passkey sign-in: also passkeys, invitations and API tokens).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import IntEnum

from trading_bot.core.model import TokenScope
from trading_bot.core.ports import ApiTokenRepository, Clock
from trading_bot.entrypoints.api.auth.jwt import AccessTokens, TokenRejectedError
from trading_bot.entrypoints.api.auth.secrets import API_TOKEN_PREFIX, hash_token
from trading_bot.entrypoints.api.errors import ApiError, unauthorized


class Scope(IntEnum):
    """What a caller may do; a higher scope includes the lower ones."""

    READ = 1
    CONTROL = 2
    SESSION = 3


_API_SCOPES = {TokenScope.READ: Scope.READ, TokenScope.CONTROL: Scope.CONTROL}


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller."""

    user_id: uuid.UUID
    scope: Scope
    actor: str
    """How the audit log names the caller: ``alice`` or ``alice/token:nightly-report``."""
    username: str = ""
    api_token_id: uuid.UUID | None = None

    def require(self, scope: Scope) -> None:
        """Raise 403 unless this caller's scope includes ``scope``."""
        if self.scope < scope:
            raise ApiError(
                403,
                "insufficient_scope",
                f"this needs the {scope.name.lower()} scope; the token has "
                f"{self.scope.name.lower()}",
            )


class Authenticator:
    """Verify bearer tokens."""

    def __init__(self, *, access: AccessTokens, api_tokens: ApiTokenRepository, clock: Clock):
        self._access = access
        self._api_tokens = api_tokens
        self._clock = clock

    async def authenticate(self, token: str | None) -> Principal:
        """Return the caller a token identifies; raise 401 when it is missing or invalid."""
        if not token:
            raise unauthorized()
        if token.startswith(API_TOKEN_PREFIX):
            stored = await self._api_tokens.authenticate(hash_token(token), now=self._clock.now())
            if stored is None:
                raise unauthorized("the API token is unknown, expired or revoked")
            return Principal(
                user_id=stored.user_id,
                scope=_API_SCOPES[stored.scope],
                actor=f"token:{stored.name}",
                api_token_id=stored.token_id,
            )
        try:
            claims = self._access.verify(token)
        except TokenRejectedError as exc:
            raise unauthorized(f"the access token was refused ({exc})") from None
        return Principal(
            user_id=claims.user_id,
            scope=Scope.SESSION,
            actor=claims.username,
            username=claims.username,
        )
