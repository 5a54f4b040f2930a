"""Refresh tokens, invitations and API tokens, all stored as hashes: auth repositories of
``core.ports``."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from trading_bot.adapters.storage._sql import affected, build
from trading_bot.adapters.storage.database import Database
from trading_bot.adapters.storage.tables import ApiTokenRow, InvitationRow, RefreshTokenRow
from trading_bot.core.model import TokenScope
from trading_bot.core.model.auth import ApiToken, Invitation, RefreshOutcome, RefreshRotation


class SqlRefreshTokenRepository:
    """Rotating refresh tokens with reuse detection per family."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def issue(
        self,
        *,
        user_id: uuid.UUID,
        family_id: uuid.UUID,
        token_hash: str,
        expires_at: datetime,
        now: datetime,
    ) -> None:
        """Store a new refresh token of ``family_id``."""
        async with self._db.transaction("issue refresh token") as session:
            session.add(_refresh_row(user_id, family_id, token_hash, expires_at, now))

    async def rotate(
        self, token_hash: str, *, new_hash: str, new_expires_at: datetime, now: datetime
    ) -> RefreshRotation:
        """Spend ``token_hash`` and store ``new_hash`` in its family, atomically.

        A token presented a second time means it leaked (or a client replayed it): the whole
        family is revoked, so the thief's newer token stops working too.
        """
        async with self._db.transaction("rotate refresh token") as session:
            row = await session.scalar(
                select(RefreshTokenRow)
                .where(RefreshTokenRow.token_hash == token_hash)
                .with_for_update()
            )
            if row is None:
                return RefreshRotation(outcome=RefreshOutcome.UNKNOWN)
            if row.revoked_at is not None:
                return RefreshRotation(outcome=RefreshOutcome.REVOKED)
            if row.used_at is not None:
                await _revoke_family(session, row.family_id, now)
                return RefreshRotation(outcome=RefreshOutcome.REUSED)
            if row.expires_at <= now:
                return RefreshRotation(outcome=RefreshOutcome.EXPIRED)
            spent = await session.execute(
                update(RefreshTokenRow)
                .where(RefreshTokenRow.id == row.id, RefreshTokenRow.used_at.is_(None))
                .values(used_at=now)
            )
            if affected(spent) != 1:
                await _revoke_family(session, row.family_id, now)
                return RefreshRotation(outcome=RefreshOutcome.REUSED)
            session.add(_refresh_row(row.user_id, row.family_id, new_hash, new_expires_at, now))
            return RefreshRotation(
                outcome=RefreshOutcome.ROTATED, user_id=row.user_id, family_id=row.family_id
            )

    async def revoke_family(self, token_hash: str, *, now: datetime) -> bool:
        """Revoke every token of the family ``token_hash`` belongs to."""
        async with self._db.transaction("revoke refresh tokens") as session:
            family = await session.scalar(
                select(RefreshTokenRow.family_id).where(RefreshTokenRow.token_hash == token_hash)
            )
            if family is None:
                return False
            await _revoke_family(session, family, now)
            return True


class SqlInvitationRepository:
    """One-time sign-up tokens."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def create(
        self,
        *,
        token_hash: str,
        expires_at: datetime,
        created_by: uuid.UUID | None,
        is_bootstrap: bool,
        now: datetime,
    ) -> Invitation:
        """Store an invitation known by ``token_hash`` and return it."""
        row = InvitationRow(
            id=uuid.uuid4(),
            token_hash=token_hash,
            created_by=created_by,
            used_by=None,
            expires_at=expires_at,
            used_at=None,
            is_bootstrap=is_bootstrap,
            created_at=now,
        )
        async with self._db.transaction("create invitation") as session:
            session.add(row)
        return _invitation(row)

    async def usable(self, token_hash: str, *, now: datetime) -> Invitation | None:
        """Return the unused, unexpired invitation with this hash, or None."""
        async with self._db.transaction("find invitation") as session:
            row = await session.scalar(
                select(InvitationRow).where(
                    InvitationRow.token_hash == token_hash, *_usable_at(now)
                )
            )
            return None if row is None else _invitation(row)

    async def has_usable_bootstrap(self, *, now: datetime) -> bool:
        """Return True while an unused, unexpired bootstrap invitation exists."""
        async with self._db.transaction("find bootstrap invitation") as session:
            found = await session.scalar(
                select(InvitationRow.id)
                .where(InvitationRow.is_bootstrap.is_(True), *_usable_at(now))
                .limit(1)
            )
            return found is not None


class SqlApiTokenRepository:
    """Named, scoped API tokens; each use stamps ``last_used_at``."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def create(
        self,
        *,
        user_id: uuid.UUID,
        name: str,
        scope: TokenScope,
        token_hash: str,
        expires_at: datetime | None,
        now: datetime,
    ) -> ApiToken:
        """Store a token known by ``token_hash`` and return it."""
        row = ApiTokenRow(
            id=uuid.uuid4(),
            user_id=user_id,
            name=name,
            scope=scope,
            token_hash=token_hash,
            expires_at=expires_at,
            revoked_at=None,
            last_used_at=None,
            created_at=now,
        )
        token = _api_token(row)
        async with self._db.transaction("create API token") as session:
            session.add(row)
        return token

    async def authenticate(self, token_hash: str, *, now: datetime) -> ApiToken | None:
        """Return the live token with this hash, stamping its use; None if unknown or dead."""
        async with self._db.transaction("authenticate API token") as session:
            row = await session.scalar(
                select(ApiTokenRow).where(
                    ApiTokenRow.token_hash == token_hash, ApiTokenRow.revoked_at.is_(None)
                )
            )
            if row is None or (row.expires_at is not None and row.expires_at <= now):
                return None
            row.last_used_at = now
            return _api_token(row)

    async def tokens(self, *, user_id: uuid.UUID | None = None) -> list[ApiToken]:
        """Return the tokens (of ``user_id`` when given), newest first, revoked ones included."""
        statement = select(ApiTokenRow).order_by(ApiTokenRow.created_at.desc(), ApiTokenRow.id)
        if user_id is not None:
            statement = statement.where(ApiTokenRow.user_id == user_id)
        async with self._db.lookup("list API tokens") as session:
            return [_api_token(row) for row in await session.scalars(statement)]

    async def revoke(
        self, token_id: uuid.UUID, *, user_id: uuid.UUID | None, now: datetime
    ) -> bool:
        """Revoke a live token (only one of ``user_id``'s when given); False if there is none."""
        conditions = [ApiTokenRow.id == token_id, ApiTokenRow.revoked_at.is_(None)]
        if user_id is not None:
            conditions.append(ApiTokenRow.user_id == user_id)
        async with self._db.transaction("revoke API token") as session:
            result = await session.execute(
                update(ApiTokenRow).where(*conditions).values(revoked_at=now)
            )
            return affected(result) == 1


async def spend_invitation(
    session: AsyncSession, token_hash: str, user_id: uuid.UUID, now: datetime
) -> bool:
    """Mark the usable invitation with this hash used by ``user_id``; False if there is none.

    Runs inside the caller's transaction, so account creation and the spent invitation commit
    (or roll back) together.
    """
    result = await session.execute(
        update(InvitationRow)
        .where(InvitationRow.token_hash == token_hash, *_usable_at(now))
        .values(used_at=now, used_by=user_id)
    )
    return affected(result) == 1


def _usable_at(now: datetime) -> list[ColumnElement[bool]]:
    return [InvitationRow.used_at.is_(None), InvitationRow.expires_at > now]


async def _revoke_family(session: AsyncSession, family_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(RefreshTokenRow)
        .where(RefreshTokenRow.family_id == family_id, RefreshTokenRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def _refresh_row(
    user_id: uuid.UUID, family_id: uuid.UUID, token_hash: str, expires_at: datetime, now: datetime
) -> RefreshTokenRow:
    return RefreshTokenRow(
        id=uuid.uuid4(),
        user_id=user_id,
        family_id=family_id,
        token_hash=token_hash,
        expires_at=expires_at,
        used_at=None,
        revoked_at=None,
        created_at=now,
    )


def _invitation(row: InvitationRow) -> Invitation:
    return build(
        Invitation,
        invitation_id=row.id,
        created_by=row.created_by,
        expires_at=row.expires_at,
        used_at=row.used_at,
        used_by=row.used_by,
        is_bootstrap=row.is_bootstrap,
        created_at=row.created_at,
    )


def _api_token(row: ApiTokenRow) -> ApiToken:
    return build(
        ApiToken,
        token_id=row.id,
        user_id=row.user_id,
        name=row.name,
        scope=row.scope,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )
