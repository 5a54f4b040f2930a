"""The signed-in account: who it is, its passkeys, and the invitations it creates."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body

from trading_bot.core.model.auth import PasskeyRemoval
from trading_bot.entrypoints.api.deps import CurrentUser, GatewayDep, ReadScope
from trading_bot.entrypoints.api.errors import ERROR_RESPONSES, ApiError, ErrorBody
from trading_bot.entrypoints.api.routes.auth import user_out
from trading_bot.entrypoints.api.schemas.auth import (
    InvitationCreate,
    InvitationOut,
    PasskeyOut,
    Removed,
    UserOut,
)

router = APIRouter(prefix="/api", tags=["account"], responses=ERROR_RESPONSES)


@router.get("/me", response_model=UserOut)
async def me(principal: ReadScope, gateway: GatewayDep) -> UserOut:
    """Return the account the token belongs to."""
    user = await gateway.container.auth.users.get(principal.user_id)
    if user is None:
        raise ApiError(404, "not_found", "the account no longer exists")
    return user_out(user)


@router.get("/passkeys", response_model=list[PasskeyOut])
async def passkeys(principal: CurrentUser, gateway: GatewayDep) -> list[PasskeyOut]:
    """List the signed-in account's passkeys, oldest first."""
    return [
        PasskeyOut(
            id=passkey.passkey_id,
            name=passkey.name,
            transports=list(passkey.transports),
            created_at=passkey.created_at,
            last_used_at=passkey.last_used_at,
        )
        for passkey in await gateway.container.auth.passkeys.for_user(principal.user_id)
    ]


@router.delete(
    "/passkeys/{passkey_id}",
    response_model=Removed,
    responses={404: {"model": ErrorBody}, 409: {"model": ErrorBody}},
)
async def remove_passkey(
    passkey_id: uuid.UUID, principal: CurrentUser, gateway: GatewayDep
) -> Removed:
    """Remove one of the account's passkeys; the last one cannot be removed."""
    outcome = await gateway.container.auth.passkeys.remove(principal.user_id, passkey_id)
    if outcome is PasskeyRemoval.NOT_FOUND:
        raise ApiError(404, "not_found", "no such passkey on this account")
    if outcome is PasskeyRemoval.LAST_PASSKEY:
        raise ApiError(409, "last_passkey", "add another passkey before removing the last one")
    await gateway.container.repositories.audit.add(
        principal.actor, "auth.passkey_removed", {"passkey_id": str(passkey_id)}
    )
    return Removed(removed=True, id=passkey_id)


@router.post("/invitations", response_model=InvitationOut, status_code=201)
async def invite(
    principal: CurrentUser,
    gateway: GatewayDep,
    body: Annotated[InvitationCreate | None, Body()] = None,
) -> InvitationOut:
    """Create a one-time sign-up link (shown once)."""
    ttl = timedelta(days=(body or InvitationCreate()).ttl_days)
    issued = await gateway.invitations.create(created_by=principal.user_id, ttl=ttl)
    await gateway.container.repositories.audit.add(
        principal.actor, "auth.invitation_created", {"invitation_id": str(issued.invitation_id)}
    )
    return InvitationOut(
        id=issued.invitation_id,
        token=issued.token,
        url=issued.url,
        expires_at=issued.expires_at,
        bootstrap=issued.is_bootstrap,
    )
