"""Request and response bodies of sign-up, sign-in, sessions, passkeys, invitations, tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from trading_bot.core.model import TokenScope

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
_CEREMONY = Field(min_length=1, max_length=4_096)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _BrowserJson(BaseModel):
    """What the browser's ``PublicKeyCredential.toJSON()`` sends; fields we do not read (and
    browsers keep adding) are ignored rather than refused."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    def webauthn_json(self) -> dict[str, Any]:
        """Return the credential as py_webauthn parses it (camelCase keys).

        Any: JSON values of several types.
        """
        return self.model_dump(by_alias=True, exclude_none=True)


class AttestationResponse(_BrowserJson):
    client_data_json: str = Field(alias="clientDataJSON", min_length=1, max_length=16_384)
    attestation_object: str = Field(alias="attestationObject", min_length=1, max_length=65_536)
    transports: list[str] = Field(default_factory=list, max_length=16)


class RegistrationCredential(_BrowserJson):
    """A new passkey, as ``navigator.credentials.create()`` returned it (JSON form)."""

    id: str = Field(min_length=1, max_length=1_400)
    raw_id: str = Field(alias="rawId", min_length=1, max_length=1_400)
    type: Literal["public-key"] = "public-key"
    response: AttestationResponse
    authenticator_attachment: str | None = Field(
        default=None, alias="authenticatorAttachment", max_length=32
    )


class AssertionResponse(_BrowserJson):
    client_data_json: str = Field(alias="clientDataJSON", min_length=1, max_length=16_384)
    authenticator_data: str = Field(alias="authenticatorData", min_length=1, max_length=16_384)
    signature: str = Field(min_length=1, max_length=4_096)
    user_handle: str | None = Field(default=None, alias="userHandle", max_length=512)


class AuthenticationCredential(_BrowserJson):
    """A passkey's signature, as ``navigator.credentials.get()`` returned it (JSON form)."""

    id: str = Field(min_length=1, max_length=1_400)
    raw_id: str = Field(alias="rawId", min_length=1, max_length=1_400)
    type: Literal["public-key"] = "public-key"
    response: AssertionResponse
    authenticator_attachment: str | None = Field(
        default=None, alias="authenticatorAttachment", max_length=32
    )


class RegisterBegin(_Body):
    """Start a sign-up: the account's name and the invitation that allows it."""

    username: str = Field(pattern=USERNAME_PATTERN, description="letters, digits, _ . -")
    display_name: str = Field(default="", max_length=200)
    invitation_token: str | None = Field(
        default=None, max_length=512, description="the token of the sign-up link"
    )


class CeremonyOptions(BaseModel):
    """Options for the browser's WebAuthn call and the token to send back with its answer."""

    ceremony: str = Field(description="return this unchanged in the matching /complete call")
    options: dict[str, JsonValue] = Field(description="PublicKeyCredential*Options (JSON)")


class RegisterComplete(_Body):
    """Finish a sign-up with the browser's new credential."""

    ceremony: str = _CEREMONY
    credential: RegistrationCredential
    passkey_name: str = Field(default="", max_length=200)


class LoginBegin(_Body):
    """Start a sign-in; name the account to restrict it to that account's passkeys."""

    username: str | None = Field(default=None, pattern=USERNAME_PATTERN)


class LoginComplete(_Body):
    """Finish a sign-in with the browser's signed assertion."""

    ceremony: str = _CEREMONY
    credential: AuthenticationCredential


class RefreshRequest(_Body):
    """For scripts: the refresh token in the body (browsers send the HttpOnly cookie)."""

    refresh_token: str | None = Field(default=None, max_length=512)


class UserOut(BaseModel):
    """An account."""

    id: uuid.UUID
    username: str
    display_name: str
    created_at: datetime


class SessionTokens(BaseModel):
    """A signed-in session: the access token (also set: the refresh-token cookie)."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 -- the OAuth token type name
    expires_in: int = Field(description="seconds until the access token expires")
    expires_at: datetime
    refresh_expires_at: datetime
    user: UserOut


class SignedOut(BaseModel):
    """The answer to ``POST /auth/logout``."""

    signed_out: bool


class PasskeyAddComplete(_Body):
    """Finish adding a passkey to the signed-in account."""

    ceremony: str = _CEREMONY
    credential: RegistrationCredential
    name: str = Field(default="", max_length=200)


class PasskeyOut(BaseModel):
    """A passkey of the signed-in account."""

    id: uuid.UUID
    name: str
    transports: list[str]
    created_at: datetime
    last_used_at: datetime | None


class Removed(BaseModel):
    """The answer to a DELETE."""

    removed: bool
    id: uuid.UUID


class InvitationCreate(_Body):
    """How long the invitation stays usable."""

    ttl_days: int = Field(default=7, ge=1, le=30)


class InvitationOut(BaseModel):
    """A one-time sign-up link; the token is shown only now."""

    id: uuid.UUID
    token: str
    url: str
    expires_at: datetime
    bootstrap: bool


class TokenCreate(_Body):
    """Mint an API token for a script: its name, scope and lifetime."""

    name: str = Field(min_length=1, max_length=100)
    scope: TokenScope = TokenScope.READ
    ttl_days: int | None = Field(
        default=30, ge=1, le=3_650, description="null: never expires (revoke it by hand)"
    )


class ApiTokenOut(BaseModel):
    """An API token as listed."""

    id: uuid.UUID
    name: str
    scope: TokenScope
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiTokenMinted(ApiTokenOut):
    """A freshly minted API token: ``token`` is shown only now; send it as ``Bearer``."""

    token: str
