"""API tokens for scripts: minted (shown once), listed and revoked by the signed-in user."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter

from trading_bot.core.model.auth import ApiToken
from trading_bot.entrypoints.api.auth.secrets import API_TOKEN_PREFIX, hash_token, new_token
from trading_bot.entrypoints.api.deps import CurrentUser, GatewayDep
from trading_bot.entrypoints.api.errors import ERROR_RESPONSES, ApiError, ErrorBody
from trading_bot.entrypoints.api.schemas.auth import (
    ApiTokenMinted,
    ApiTokenOut,
    Removed,
    TokenCreate,
)

router = APIRouter(prefix="/api/tokens", tags=["account"], responses=ERROR_RESPONSES)


def api_token_out(token: ApiToken) -> ApiTokenOut:
    """Return an API token as listed (never its secret)."""
    return ApiTokenOut(
        id=token.token_id,
        name=token.name,
        scope=token.scope,
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        last_used_at=token.last_used_at,
    )


@router.get("", response_model=list[ApiTokenOut])
async def tokens(principal: CurrentUser, gateway: GatewayDep) -> list[ApiTokenOut]:
    """List the account's API tokens, newest first (revoked ones included)."""
    found = await gateway.container.auth.api_tokens.tokens(user_id=principal.user_id)
    return [api_token_out(token) for token in found]


@router.post("", response_model=ApiTokenMinted, status_code=201)
async def mint(body: TokenCreate, principal: CurrentUser, gateway: GatewayDep) -> ApiTokenMinted:
    """Mint an API token; its secret is in this answer only."""
    container = gateway.container
    secret = new_token(API_TOKEN_PREFIX)
    now = container.clock.now()
    stored = await container.auth.api_tokens.create(
        user_id=principal.user_id,
        name=body.name,
        scope=body.scope,
        token_hash=hash_token(secret),
        expires_at=None if body.ttl_days is None else now + timedelta(days=body.ttl_days),
        now=now,
    )
    await container.repositories.audit.add(
        principal.actor,
        "auth.token_minted",
        {"token_id": str(stored.token_id), "name": stored.name, "scope": stored.scope.value},
    )
    return ApiTokenMinted(**api_token_out(stored).model_dump(), token=secret)


@router.delete("/{token_id}", response_model=Removed, responses={404: {"model": ErrorBody}})
async def revoke(token_id: uuid.UUID, principal: CurrentUser, gateway: GatewayDep) -> Removed:
    """Revoke one of the account's API tokens."""
    container = gateway.container
    revoked = await container.auth.api_tokens.revoke(
        token_id, user_id=principal.user_id, now=container.clock.now()
    )
    if not revoked:
        raise ApiError(404, "not_found", "no live API token with this id on this account")
    await container.repositories.audit.add(
        principal.actor, "auth.token_revoked", {"token_id": str(token_id)}
    )
    return Removed(removed=True, id=token_id)
