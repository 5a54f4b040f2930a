"""Accounts, passkeys and WebAuthn challenges: the auth repositories of ``core.ports``.

``SqlAuthRepositories.create(database, clock)`` builds these and the token repositories of
``auth_tokens`` together.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from trading_bot.adapters.storage._sql import affected, build
from trading_bot.adapters.storage.auth_tokens import (
    SqlApiTokenRepository,
    SqlInvitationRepository,
    SqlRefreshTokenRepository,
    spend_invitation,
)
from trading_bot.adapters.storage.database import Database
from trading_bot.adapters.storage.tables import UserCredentialRow, UserRow, WebauthnChallengeRow
from trading_bot.core.model import ChallengePurpose
from trading_bot.core.model.auth import (
    Challenge,
    ChallengeState,
    NewPasskey,
    Passkey,
    PasskeyRemoval,
    Registration,
    User,
)
from trading_bot.core.ports import Clock


class _RefusedError(Exception):
    """Raised inside a transaction to roll it back with an expected outcome."""

    def __init__(self, outcome: Registration) -> None:
        super().__init__(outcome.value)
        self.outcome = outcome


class SqlUserRepository:
    """Accounts; ``register`` creates one together with its first passkey."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    async def count(self) -> int:
        """Return how many accounts exist."""
        async with self._db.lookup("count users") as session:
            return int(await session.scalar(select(func.count()).select_from(UserRow)) or 0)

    async def get(self, user_id: uuid.UUID) -> User | None:
        """Return the account with this id, or None."""
        async with self._db.transaction("get user") as session:
            row = await session.get(UserRow, user_id)
            return None if row is None else _user(row)

    async def by_name(self, username: str) -> User | None:
        """Return the account called ``username``, or None."""
        async with self._db.transaction("find user") as session:
            row = await session.scalar(select(UserRow).where(UserRow.username == username))
            return None if row is None else _user(row)

    async def all(self) -> list[User]:
        """Return every account, oldest first."""
        async with self._db.lookup("list users") as session:
            rows = await session.scalars(select(UserRow).order_by(UserRow.created_at, UserRow.id))
            return [_user(row) for row in rows]

    async def register(
        self,
        user: User,
        passkey: NewPasskey,
        *,
        invitation_hash: str,
        now: datetime,
    ) -> Registration:
        """Spend the invitation, create ``user`` and store ``passkey``, all or nothing."""
        try:
            async with self._db.transaction("register user") as session:
                taken = await session.scalar(
                    select(UserRow.id).where(UserRow.username == user.username)
                )
                if taken is not None:
                    raise _RefusedError(Registration.USERNAME_TAKEN)
                if await _credential_exists(session, passkey.credential_id):
                    raise _RefusedError(Registration.CREDENTIAL_TAKEN)
                session.add(
                    UserRow(
                        id=user.user_id,
                        username=user.username,
                        display_name=user.display_name,
                        created_at=user.created_at,
                    )
                )
                await session.flush()
                if not await spend_invitation(session, invitation_hash, user.user_id, now):
                    raise _RefusedError(Registration.INVITATION_UNAVAILABLE)
                session.add(_credential_row(user.user_id, passkey, now))
        except _RefusedError as refused:
            return refused.outcome
        return Registration.CREATED


class SqlPasskeyRepository:
    """Passkeys, several per user; the last one of a user cannot be removed."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    async def add(self, user_id: uuid.UUID, passkey: NewPasskey) -> Passkey | None:
        """Store ``passkey`` for ``user_id``; return None if its credential id is registered."""
        async with self._db.transaction("add passkey") as session:
            if await _credential_exists(session, passkey.credential_id):
                return None
            row = _credential_row(user_id, passkey, self._clock.now())
            session.add(row)
            await session.flush()
            return _passkey(row)

    async def by_credential_id(self, credential_id: bytes) -> Passkey | None:
        """Return the passkey with this WebAuthn credential id, or None."""
        async with self._db.transaction("find passkey") as session:
            row = await session.scalar(
                select(UserCredentialRow).where(UserCredentialRow.credential_id == credential_id)
            )
            return None if row is None else _passkey(row)

    async def for_user(self, user_id: uuid.UUID) -> list[Passkey]:
        """Return the user's passkeys, oldest first."""
        async with self._db.lookup("list passkeys") as session:
            rows = await session.scalars(
                select(UserCredentialRow)
                .where(UserCredentialRow.user_id == user_id)
                .order_by(UserCredentialRow.created_at, UserCredentialRow.id)
            )
            return [_passkey(row) for row in rows]

    async def record_use(
        self, passkey_id: uuid.UUID, *, expected_count: int, new_count: int, at: datetime
    ) -> bool:
        """Store the new signature counter if the stored one is still ``expected_count``."""
        async with self._db.transaction("record passkey use") as session:
            result = await session.execute(
                update(UserCredentialRow)
                .where(
                    UserCredentialRow.id == passkey_id,
                    UserCredentialRow.sign_count == expected_count,
                )
                .values(sign_count=new_count, last_used_at=at)
            )
            return affected(result) == 1

    async def remove(self, user_id: uuid.UUID, passkey_id: uuid.UUID) -> PasskeyRemoval:
        """Remove one of the user's passkeys, unless it is their last."""
        async with self._db.transaction("remove passkey") as session:
            # Lock the user's row so two concurrent removals cannot each leave "one more".
            owner = await session.scalar(
                select(UserRow.id).where(UserRow.id == user_id).with_for_update()
            )
            if owner is None:
                return PasskeyRemoval.NOT_FOUND
            owned = list(
                await session.scalars(
                    select(UserCredentialRow.id).where(UserCredentialRow.user_id == user_id)
                )
            )
            if passkey_id not in owned:
                return PasskeyRemoval.NOT_FOUND
            if len(owned) == 1:
                return PasskeyRemoval.LAST_PASSKEY
            await session.execute(
                delete(UserCredentialRow).where(UserCredentialRow.id == passkey_id)
            )
            return PasskeyRemoval.REMOVED


class SqlChallengeRepository:
    """WebAuthn challenges: issued once, consumed once, refused once expired."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def issue(self, challenge: Challenge) -> None:
        """Store a freshly generated challenge."""
        async with self._db.transaction("issue challenge") as session:
            session.add(
                WebauthnChallengeRow(
                    id=challenge.challenge_id,
                    challenge=challenge.challenge,
                    purpose=challenge.purpose,
                    user_id=challenge.user_id,
                    expires_at=challenge.expires_at,
                    used_at=None,
                    created_at=challenge.issued_at,
                )
            )

    async def consume(
        self, challenge_id: uuid.UUID, *, purpose: ChallengePurpose, now: datetime
    ) -> tuple[ChallengeState, Challenge | None]:
        """Mark the challenge used and say whether it was valid for ``purpose`` at ``now``."""
        async with self._db.transaction("consume challenge") as session:
            spent = await session.execute(
                update(WebauthnChallengeRow)
                .where(
                    WebauthnChallengeRow.id == challenge_id,
                    WebauthnChallengeRow.used_at.is_(None),
                )
                .values(used_at=now)
            )
            row = await session.get(WebauthnChallengeRow, challenge_id)
            if row is None:
                return ChallengeState.UNKNOWN, None
            challenge = _challenge(row)
            if affected(spent) != 1:
                return ChallengeState.ALREADY_USED, challenge
            if row.purpose != purpose:
                return ChallengeState.WRONG_PURPOSE, challenge
            if row.expires_at <= now:
                return ChallengeState.EXPIRED, challenge
            return ChallengeState.CONSUMED, challenge

    async def purge_expired(self, *, before: datetime) -> int:
        """Delete challenges that expired before ``before``; return how many."""
        async with self._db.transaction("purge challenges") as session:
            result = await session.execute(
                delete(WebauthnChallengeRow).where(WebauthnChallengeRow.expires_at < before)
            )
            return affected(result)


@dataclass(frozen=True, slots=True)
class SqlAuthRepositories:
    """Every auth repository over one database. Build with ``SqlAuthRepositories.create``."""

    users: SqlUserRepository
    passkeys: SqlPasskeyRepository
    challenges: SqlChallengeRepository
    refresh_tokens: SqlRefreshTokenRepository
    invitations: SqlInvitationRepository
    api_tokens: SqlApiTokenRepository

    @classmethod
    def create(cls, database: Database, clock: Clock) -> SqlAuthRepositories:
        """Return the auth repositories over ``database``, stamping times with ``clock``."""
        return cls(
            users=SqlUserRepository(database, clock),
            passkeys=SqlPasskeyRepository(database, clock),
            challenges=SqlChallengeRepository(database),
            refresh_tokens=SqlRefreshTokenRepository(database),
            invitations=SqlInvitationRepository(database),
            api_tokens=SqlApiTokenRepository(database),
        )


async def _credential_exists(session: AsyncSession, credential_id: bytes) -> bool:
    found = await session.scalar(
        select(UserCredentialRow.id).where(UserCredentialRow.credential_id == credential_id)
    )
    return found is not None


def _credential_row(user_id: uuid.UUID, passkey: NewPasskey, now: datetime) -> UserCredentialRow:
    return UserCredentialRow(
        id=uuid.uuid4(),
        user_id=user_id,
        credential_id=passkey.credential_id,
        public_key=passkey.public_key,
        sign_count=passkey.sign_count,
        transports=list(passkey.transports),
        name=passkey.name,
        created_at=now,
        last_used_at=None,
    )


def _user(row: UserRow) -> User:
    return build(
        User,
        user_id=row.id,
        username=row.username,
        display_name=row.display_name,
        created_at=row.created_at,
    )


def _passkey(row: UserCredentialRow) -> Passkey:
    return build(
        Passkey,
        passkey_id=row.id,
        user_id=row.user_id,
        credential_id=row.credential_id,
        public_key=row.public_key,
        sign_count=row.sign_count,
        transports=tuple(row.transports or ()),
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
    )


def _challenge(row: WebauthnChallengeRow) -> Challenge:
    return build(
        Challenge,
        challenge_id=row.id,
        challenge=row.challenge,
        purpose=row.purpose,
        user_id=row.user_id,
        issued_at=row.created_at,
        expires_at=row.expires_at,
    )
