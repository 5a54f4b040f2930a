"""WebAuthn ceremonies with py_webauthn: registration and authentication of passkeys.

``begin_*`` stores a single-use challenge (expiring after ``challenge_ttl`` on the injected
clock) and returns the browser's options plus a signed ceremony token naming that challenge;
``complete_*`` consumes the challenge, whatever the verdict, before verifying the response
against the relying party id, the accepted origins and, for sign-ins, the signature counter.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import webauthn
from pydantic import JsonValue
from webauthn.helpers import options_to_json_dict
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from trading_bot.core.model import ChallengePurpose
from trading_bot.core.model.auth import Challenge, ChallengeState, NewPasskey, Passkey
from trading_bot.core.ports import ChallengeRepository, Clock, PasskeyRepository
from trading_bot.entrypoints.api.auth.jwt import CeremonyTokens, TokenRejectedError
from trading_bot.entrypoints.api.errors import ApiError

CHALLENGE_TTL = timedelta(minutes=5)
"""How long a challenge may be answered."""

_MALFORMED = (WebAuthnException, ValueError, TypeError, KeyError, IndexError, AttributeError)
"""What py_webauthn raises on a response that is malformed or does not verify."""

_CHALLENGE_REFUSALS = {
    ChallengeState.UNKNOWN: ("challenge_unknown", "the challenge is not known; start again"),
    ChallengeState.ALREADY_USED: ("challenge_used", "the challenge was already used"),
    ChallengeState.EXPIRED: ("challenge_expired", "the challenge expired; start again"),
    ChallengeState.WRONG_PURPOSE: ("challenge_invalid", "the challenge was for another ceremony"),
}


@dataclass(frozen=True, slots=True)
class Ceremony:
    """What ``begin`` hands the browser: its options and the token to return at ``complete``."""

    token: str
    options: dict[str, JsonValue]


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """Who the passkeys are for: the RP id (a domain), its name, and the accepted origins."""

    rp_id: str
    name: str
    origins: tuple[str, ...]


class PasskeyCeremonies:
    """Run the two WebAuthn ceremonies against one relying party."""

    def __init__(
        self,
        *,
        relying_party: RelyingParty,
        challenges: ChallengeRepository,
        passkeys: PasskeyRepository,
        tokens: CeremonyTokens,
        clock: Clock,
        challenge_ttl: timedelta = CHALLENGE_TTL,
    ) -> None:
        self._rp = relying_party
        self._challenges = challenges
        self._passkeys = passkeys
        self._tokens = tokens
        self._clock = clock
        self._ttl = challenge_ttl

    async def begin_registration(
        self,
        *,
        user_id: uuid.UUID,
        username: str,
        display_name: str,
        existing_user: bool,
        state: Mapping[str, str],
    ) -> Ceremony:
        """Return registration options for the account ``user_id`` (new, or adding a passkey)."""
        challenge = await self._issue(ChallengePurpose.REGISTER, user_id if existing_user else None)
        exclude = (
            [PublicKeyCredentialDescriptor(id=p.credential_id) for p in await self._owned(user_id)]
            if existing_user
            else []
        )
        options = webauthn.generate_registration_options(
            rp_id=self._rp.rp_id,
            rp_name=self._rp.name,
            user_id=user_id.bytes,
            user_name=username,
            user_display_name=display_name or username,
            challenge=challenge.challenge,
            timeout=int(self._ttl.total_seconds() * 1000),
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.PREFERRED,
                user_verification=UserVerificationRequirement.PREFERRED,
            ),
            exclude_credentials=exclude,
        )
        return Ceremony(
            token=self._tokens.sign(challenge.challenge_id, {"uid": str(user_id), **state}),
            options=_json(options_to_json_dict(options)),
        )

    async def complete_registration(
        self, token: str, credential: Mapping[str, Any]
    ) -> tuple[dict[str, str], NewPasskey]:
        """Verify a registration response; return the ceremony state and the new passkey.

        Any: the credential is the browser's JSON, checked by py_webauthn.
        """
        challenge, state = await self._consume(token, ChallengePurpose.REGISTER)
        try:
            verified = webauthn.verify_registration_response(
                credential=dict(credential),
                expected_challenge=challenge.challenge,
                expected_rp_id=self._rp.rp_id,
                expected_origin=list(self._rp.origins),
            )
        except _MALFORMED as exc:
            raise ApiError(400, "registration_failed", _reason(exc)) from None
        return state, NewPasskey(
            credential_id=verified.credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=_transports(credential),
        )

    async def begin_login(self, user_id: uuid.UUID | None = None) -> Ceremony:
        """Return authentication options; limited to the user's passkeys when one is named."""
        challenge = await self._issue(ChallengePurpose.LOGIN, user_id)
        allow = (
            [PublicKeyCredentialDescriptor(id=p.credential_id) for p in await self._owned(user_id)]
            if user_id is not None
            else []
        )
        options = webauthn.generate_authentication_options(
            rp_id=self._rp.rp_id,
            challenge=challenge.challenge,
            timeout=int(self._ttl.total_seconds() * 1000),
            allow_credentials=allow,
            user_verification=UserVerificationRequirement.PREFERRED,
        )
        return Ceremony(
            token=self._tokens.sign(challenge.challenge_id, {}),
            options=_json(options_to_json_dict(options)),
        )

    async def complete_login(self, token: str, credential: Mapping[str, Any]) -> Passkey:
        """Verify an authentication response; return the passkey that signed it.

        A signature counter that did not move forward (when either side is non-zero) means a
        cloned authenticator or a replay: refused, and the stored counter is left alone.
        Any: the credential is the browser's JSON, checked by py_webauthn.
        """
        challenge, _ = await self._consume(token, ChallengePurpose.LOGIN)
        refused = ApiError(401, "authentication_failed", "the passkey was not recognised")
        try:
            raw_id = webauthn.base64url_to_bytes(str(credential["rawId"]))
        except _MALFORMED:
            raise refused from None
        passkey = await self._passkeys.by_credential_id(raw_id)
        if passkey is None or (
            challenge.user_id is not None and passkey.user_id != challenge.user_id
        ):
            raise refused
        try:
            verified = webauthn.verify_authentication_response(
                credential=dict(credential),
                expected_challenge=challenge.challenge,
                expected_rp_id=self._rp.rp_id,
                expected_origin=list(self._rp.origins),
                credential_public_key=passkey.public_key,
                credential_current_sign_count=passkey.sign_count,
            )
        except _MALFORMED as exc:
            raise ApiError(401, "authentication_failed", _reason(exc)) from None
        recorded = await self._passkeys.record_use(
            passkey.passkey_id,
            expected_count=passkey.sign_count,
            new_count=verified.new_sign_count,
            at=self._clock.now(),
        )
        if not recorded:
            raise ApiError(401, "authentication_failed", "the passkey was used concurrently")
        return passkey

    async def _issue(self, purpose: ChallengePurpose, user_id: uuid.UUID | None) -> Challenge:
        now = self._clock.now()
        challenge = Challenge(
            challenge_id=uuid.uuid4(),
            challenge=secrets.token_bytes(32),
            purpose=purpose,
            user_id=user_id,
            issued_at=now,
            expires_at=now + self._ttl,
        )
        await self._challenges.purge_expired(before=now - self._ttl)
        await self._challenges.issue(challenge)
        return challenge

    async def _consume(
        self, token: str, purpose: ChallengePurpose
    ) -> tuple[Challenge, dict[str, str]]:
        try:
            challenge_id, state = self._tokens.read(token)
        except TokenRejectedError:
            raise ApiError(400, "ceremony_invalid", "the ceremony token is not valid") from None
        outcome, challenge = await self._challenges.consume(
            challenge_id, purpose=purpose, now=self._clock.now()
        )
        if outcome is not ChallengeState.CONSUMED or challenge is None:
            code, message = _CHALLENGE_REFUSALS.get(outcome, ("challenge_invalid", "refused"))
            raise ApiError(400, code, message)
        return challenge, state

    async def _owned(self, user_id: uuid.UUID) -> Sequence[Passkey]:
        return await self._passkeys.for_user(user_id)


def _reason(exc: Exception) -> str:
    if isinstance(exc, WebAuthnException):
        return str(exc)
    return f"the response is malformed ({type(exc).__name__})"


def _transports(credential: Mapping[str, Any]) -> tuple[str, ...]:
    # Any: the browser's JSON.
    response = credential.get("response")
    transports = response.get("transports") if isinstance(response, Mapping) else None
    if not isinstance(transports, list):
        return ()
    return tuple(str(item)[:32] for item in transports[:8] if isinstance(item, str))


def _json(options: Mapping[str, Any]) -> dict[str, JsonValue]:
    # Any: py_webauthn's options dict holds only JSON values (bytes already base64url).
    return {key: value for key, value in options.items()}
