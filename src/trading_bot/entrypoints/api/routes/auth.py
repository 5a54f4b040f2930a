"""Sign-up, sign-in, session refresh and sign-out with passkeys; adding passkeys.

The refresh token travels in an HttpOnly, SameSite=Strict cookie scoped to ``/auth`` (Secure
when the dashboard's origin is https), so page scripts never see it. Scripts that hold it may
send it in the body of ``/auth/refresh`` and ``/auth/logout`` instead; the body wins.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response

from trading_bot.core.model.auth import Registration, User
from trading_bot.entrypoints.api.auth.secrets import hash_token
from trading_bot.entrypoints.api.auth.sessions import IssuedTokens
from trading_bot.entrypoints.api.deps import AuthRateLimit, CurrentUser, GatewayDep
from trading_bot.entrypoints.api.errors import ApiError, ErrorBody
from trading_bot.entrypoints.api.gateway import Gateway
from trading_bot.entrypoints.api.schemas.auth import (
    CeremonyOptions,
    LoginBegin,
    LoginComplete,
    PasskeyAddComplete,
    PasskeyOut,
    RefreshRequest,
    RegisterBegin,
    RegisterComplete,
    SessionTokens,
    SignedOut,
    UserOut,
)

REFRESH_COOKIE = "tb_refresh"
COOKIE_PATH = "/auth"

_SIGNUP = "signup"
_ADD = "add"

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (400, 401, 403, 409, 422, 429)
}
# Any: FastAPI's ``responses`` mapping.

router = APIRouter(prefix="/auth", tags=["auth"], dependencies=[AuthRateLimit], responses=_ERRORS)


def user_out(user: User) -> UserOut:
    """Return an account as the API shows it."""
    return UserOut(
        id=user.user_id,
        username=user.username,
        display_name=user.display_name,
        created_at=user.created_at,
    )


@router.post("/register/begin", response_model=CeremonyOptions)
async def register_begin(body: RegisterBegin, gateway: GatewayDep) -> CeremonyOptions:
    """Start a sign-up: needs a valid, unused invitation (the bootstrap one for the first)."""
    container = gateway.container
    if not body.invitation_token:
        raise ApiError(403, "invitation_required", "signing up needs an invitation token")
    invitation_hash = hash_token(body.invitation_token)
    invitation = await container.auth.invitations.usable(invitation_hash, now=container.clock.now())
    if invitation is None:
        raise ApiError(403, "invitation_invalid", "the invitation is unknown, used or expired")
    if await container.auth.users.by_name(body.username) is not None:
        raise ApiError(409, "username_taken", f"the username {body.username!r} is taken")
    ceremony = await gateway.ceremonies.begin_registration(
        user_id=uuid.uuid4(),
        username=body.username,
        display_name=body.display_name,
        existing_user=False,
        state={
            "kind": _SIGNUP,
            "name": body.username,
            "dn": body.display_name,
            "inv": invitation_hash,
        },
    )
    return CeremonyOptions(ceremony=ceremony.token, options=ceremony.options)


@router.post("/register/complete", response_model=SessionTokens)
async def register_complete(
    body: RegisterComplete, gateway: GatewayDep, response: Response
) -> SessionTokens:
    """Finish a sign-up: store the passkey, spend the invitation, and sign in."""
    state, passkey = await gateway.ceremonies.complete_registration(
        body.ceremony, body.credential.webauthn_json()
    )
    if state.get("kind") != _SIGNUP:
        raise ApiError(400, "ceremony_invalid", "this ceremony was not a sign-up")
    container = gateway.container
    now = container.clock.now()
    user = User(
        user_id=uuid.UUID(state["uid"]),
        username=state["name"],
        display_name=state.get("dn", ""),
        created_at=now,
    )
    outcome = await container.auth.users.register(
        user,
        passkey.model_copy(update={"name": body.passkey_name}),
        invitation_hash=state["inv"],
        now=now,
    )
    if outcome is Registration.INVITATION_UNAVAILABLE:
        raise ApiError(403, "invitation_invalid", "the invitation was used or expired meanwhile")
    if outcome is Registration.USERNAME_TAKEN:
        raise ApiError(409, "username_taken", f"the username {user.username!r} is taken")
    if outcome is Registration.CREDENTIAL_TAKEN:
        raise ApiError(409, "passkey_taken", "this passkey is already registered")
    await container.repositories.audit.add(
        user.username, "auth.signup", {"user_id": str(user.user_id)}
    )
    return await _signed_in(gateway, user, response)


@router.post("/login/begin", response_model=CeremonyOptions)
async def login_begin(
    gateway: GatewayDep, body: Annotated[LoginBegin | None, Body()] = None
) -> CeremonyOptions:
    """Start a sign-in (with any passkey of this site, or only the named account's)."""
    user_id = None
    if body is not None and body.username:
        user = await gateway.container.auth.users.by_name(body.username)
        # An unknown name gets ordinary options, so the answer does not reveal who exists.
        user_id = None if user is None else user.user_id
    ceremony = await gateway.ceremonies.begin_login(user_id)
    return CeremonyOptions(ceremony=ceremony.token, options=ceremony.options)


@router.post("/login/complete", response_model=SessionTokens)
async def login_complete(
    body: LoginComplete, gateway: GatewayDep, response: Response
) -> SessionTokens:
    """Finish a sign-in: verify the passkey's signature and counter, then issue tokens."""
    passkey = await gateway.ceremonies.complete_login(
        body.ceremony, body.credential.webauthn_json()
    )
    user = await gateway.container.auth.users.get(passkey.user_id)
    if user is None:
        raise ApiError(401, "authentication_failed", "the account no longer exists")
    return await _signed_in(gateway, user, response)


@router.post("/refresh", response_model=SessionTokens)
async def refresh(
    request: Request,
    response: Response,
    gateway: GatewayDep,
    body: Annotated[RefreshRequest | None, Body()] = None,
) -> SessionTokens:
    """Trade the refresh token for new tokens; a spent one revokes its whole family."""
    token = _refresh_token(request, body)
    if token is None:
        raise ApiError(401, "refresh_missing", "no refresh token (cookie or body) was sent")
    issued, user = await gateway.sessions.refresh(token)
    _set_cookie(gateway, response, issued)
    return _session_tokens(gateway, issued, user)


@router.post("/logout", response_model=SignedOut)
async def logout(
    request: Request,
    response: Response,
    gateway: GatewayDep,
    body: Annotated[RefreshRequest | None, Body()] = None,
) -> SignedOut:
    """Revoke the session's refresh tokens and clear the cookie."""
    token = _refresh_token(request, body)
    revoked = await gateway.sessions.end(token) if token is not None else False
    response.delete_cookie(
        REFRESH_COOKIE, path=COOKIE_PATH, secure=_secure(gateway), httponly=True, samesite="strict"
    )
    return SignedOut(signed_out=revoked)


@router.post("/passkeys/add/begin", response_model=CeremonyOptions)
async def passkey_add_begin(principal: CurrentUser, gateway: GatewayDep) -> CeremonyOptions:
    """Start adding a passkey to the signed-in account."""
    ceremony = await gateway.ceremonies.begin_registration(
        user_id=principal.user_id,
        username=principal.username,
        display_name=principal.username,
        existing_user=True,
        state={"kind": _ADD},
    )
    return CeremonyOptions(ceremony=ceremony.token, options=ceremony.options)


@router.post("/passkeys/add/complete", response_model=PasskeyOut, status_code=201)
async def passkey_add_complete(
    body: PasskeyAddComplete, principal: CurrentUser, gateway: GatewayDep
) -> PasskeyOut:
    """Finish adding a passkey to the signed-in account."""
    state, passkey = await gateway.ceremonies.complete_registration(
        body.ceremony, body.credential.webauthn_json()
    )
    if state.get("kind") != _ADD or state.get("uid") != str(principal.user_id):
        raise ApiError(400, "ceremony_invalid", "this ceremony was not for adding your passkey")
    stored = await gateway.container.auth.passkeys.add(
        principal.user_id, passkey.model_copy(update={"name": body.name})
    )
    if stored is None:
        raise ApiError(409, "passkey_taken", "this passkey is already registered")
    await gateway.container.repositories.audit.add(
        principal.actor, "auth.passkey_added", {"passkey_id": str(stored.passkey_id)}
    )
    return PasskeyOut(
        id=stored.passkey_id,
        name=stored.name,
        transports=list(stored.transports),
        created_at=stored.created_at,
        last_used_at=stored.last_used_at,
    )


async def _signed_in(gateway: Gateway, user: User, response: Response) -> SessionTokens:
    issued = await gateway.sessions.start(user.user_id, user.username)
    _set_cookie(gateway, response, issued)
    return _session_tokens(gateway, issued, user)


def _session_tokens(gateway: Gateway, issued: IssuedTokens, user: User) -> SessionTokens:
    return SessionTokens(
        access_token=issued.access_token,
        expires_in=int(gateway.access.ttl.total_seconds()),
        expires_at=issued.access_expires_at,
        refresh_expires_at=issued.refresh_expires_at,
        user=user_out(user),
    )


def _refresh_token(request: Request, body: RefreshRequest | None) -> str | None:
    if body is not None and body.refresh_token:
        return body.refresh_token
    return request.cookies.get(REFRESH_COOKIE) or None


def _secure(gateway: Gateway) -> bool:
    return gateway.container.api.origin.startswith("https://")


def _set_cookie(gateway: Gateway, response: Response, issued: IssuedTokens) -> None:
    response.set_cookie(
        REFRESH_COOKIE,
        issued.refresh_token,
        max_age=int((issued.refresh_expires_at - gateway.container.clock.now()).total_seconds()),
        path=COOKIE_PATH,
        secure=_secure(gateway),
        httponly=True,
        samesite="strict",
    )
