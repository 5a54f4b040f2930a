"""Who may sign in and how: users, passkeys, invitations, API tokens, and ceremony outcomes.

Secrets never appear here: tokens are known to storage only by their hashes, passkeys by their
public keys.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import Field

from trading_bot.core.model._types import Frozen, UtcDatetime
from trading_bot.core.model.records import ChallengePurpose, TokenScope


class User(Frozen):
    """A person who may sign in to the dashboard."""

    user_id: uuid.UUID
    username: str = Field(min_length=1, max_length=64)
    display_name: str = Field(default="", max_length=200)
    created_at: UtcDatetime


class Passkey(Frozen):
    """A registered WebAuthn credential: its id, public key and signature counter."""

    passkey_id: uuid.UUID
    user_id: uuid.UUID
    credential_id: bytes = Field(min_length=1, max_length=1023)
    public_key: bytes = Field(min_length=1)
    sign_count: int = Field(ge=0)
    transports: tuple[str, ...] = ()
    name: str = Field(default="", max_length=200)
    created_at: UtcDatetime
    last_used_at: UtcDatetime | None = None


class NewPasskey(Frozen):
    """A credential a registration ceremony verified, before it is stored."""

    credential_id: bytes = Field(min_length=1, max_length=1023)
    public_key: bytes = Field(min_length=1)
    sign_count: int = Field(ge=0)
    transports: tuple[str, ...] = ()
    name: str = Field(default="", max_length=200)


class Challenge(Frozen):
    """A single-use WebAuthn challenge handed out for one ceremony."""

    challenge_id: uuid.UUID
    challenge: bytes = Field(min_length=16, max_length=255)
    purpose: ChallengePurpose
    user_id: uuid.UUID | None = None
    issued_at: UtcDatetime
    expires_at: UtcDatetime


class ChallengeState(StrEnum):
    """Why a challenge could or could not be consumed."""

    CONSUMED = "consumed"
    UNKNOWN = "unknown"
    ALREADY_USED = "already_used"
    EXPIRED = "expired"
    WRONG_PURPOSE = "wrong_purpose"


class Invitation(Frozen):
    """A one-time sign-up token (the bootstrap one lets the first account in)."""

    invitation_id: uuid.UUID
    created_by: uuid.UUID | None = None
    expires_at: UtcDatetime
    used_at: UtcDatetime | None = None
    used_by: uuid.UUID | None = None
    is_bootstrap: bool = False
    created_at: UtcDatetime


class Registration(StrEnum):
    """How an attempt to create an account ended."""

    CREATED = "created"
    INVITATION_UNAVAILABLE = "invitation_unavailable"
    USERNAME_TAKEN = "username_taken"
    CREDENTIAL_TAKEN = "credential_taken"


class PasskeyRemoval(StrEnum):
    """How an attempt to remove a passkey ended."""

    REMOVED = "removed"
    NOT_FOUND = "not_found"
    LAST_PASSKEY = "last_passkey"


class RefreshOutcome(StrEnum):
    """How presenting a refresh token ended."""

    ROTATED = "rotated"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    REUSED = "reused"
    """The token had already been spent: its whole family is now revoked."""


class RefreshRotation(Frozen):
    """The result of ``RefreshTokenRepository.rotate``: the outcome and, when rotated, whose."""

    outcome: RefreshOutcome
    user_id: uuid.UUID | None = None
    family_id: uuid.UUID | None = None


class ApiToken(Frozen):
    """A named, scoped API token as listed (the secret itself is shown once, at minting)."""

    token_id: uuid.UUID
    user_id: uuid.UUID
    name: str = Field(min_length=1, max_length=100)
    scope: TokenScope
    created_at: UtcDatetime
    expires_at: UtcDatetime | None = None
    revoked_at: UtcDatetime | None = None
    last_used_at: UtcDatetime | None = None
