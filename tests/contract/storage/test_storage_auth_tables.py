"""The auth tables hold what the API needs and refuse what would break sign-in."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from trading_bot.adapters.storage import Database
from trading_bot.adapters.storage.tables import (
    ApiTokenRow,
    RefreshTokenRow,
    UserCredentialRow,
    UserRow,
    WebauthnChallengeRow,
)
from trading_bot.core.errors import DataError
from trading_bot.core.model import ChallengePurpose, TokenScope
from trading_bot.testing.storage_records import T0


def _user(username: str = "ana") -> UserRow:
    return UserRow(id=uuid.uuid4(), username=username, display_name="Ana", created_at=T0)


def _credential(user: UserRow, credential_id: bytes = b"\x01\x02credential") -> UserCredentialRow:
    return UserCredentialRow(
        id=uuid.uuid4(),
        user_id=user.id,
        credential_id=credential_id,
        public_key=b"\xa5\x01\x02public-key-cose",
        sign_count=0,
        transports=["internal", "hybrid"],
        name="laptop",
        created_at=T0,
    )


async def _count(database: Database, row: type[object]) -> int:
    async with database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(row)) or 0)


async def test_users_when_a_username_is_taken_refuse_a_second_account(database: Database) -> None:
    async with database.transaction() as session:
        session.add(_user("ana"))

    with pytest.raises(DataError):
        async with database.transaction() as session:
            session.add(_user("ana"))

    assert await _count(database, UserRow) == 1


async def test_user_credentials_when_a_passkey_id_is_registered_twice_are_refused(
    database: Database,
) -> None:
    first, second = _user("ana"), _user("ben")
    async with database.transaction() as session:
        session.add_all([first, second])
        await session.flush()
        session.add(_credential(first))

    with pytest.raises(DataError):
        async with database.transaction() as session:
            session.add(_credential(second))

    assert await _count(database, UserCredentialRow) == 1


async def test_user_when_deleted_takes_its_passkeys_and_tokens_along(database: Database) -> None:
    user = _user()
    async with database.transaction() as session:
        session.add(user)
        await session.flush()
        session.add(_credential(user))
        session.add(
            RefreshTokenRow(
                id=uuid.uuid4(),
                user_id=user.id,
                family_id=uuid.uuid4(),
                token_hash="a" * 64,
                expires_at=T0 + timedelta(days=7),
                created_at=T0,
            )
        )
        session.add(
            ApiTokenRow(
                id=uuid.uuid4(),
                user_id=user.id,
                name="grafana",
                scope=TokenScope.READ,
                token_hash="b" * 64,
                created_at=T0,
            )
        )

    async with database.transaction() as session:
        await session.delete(await session.get(UserRow, user.id))

    for table in (UserCredentialRow, RefreshTokenRow, ApiTokenRow):
        assert await _count(database, table) == 0


async def test_webauthn_challenges_when_read_back_keep_bytes_purpose_and_aware_expiry(
    database: Database,
) -> None:
    challenge = WebauthnChallengeRow(
        id=uuid.uuid4(),
        challenge=bytes(range(32)),
        purpose=ChallengePurpose.LOGIN,
        expires_at=T0 + timedelta(minutes=5),
        created_at=T0,
    )
    async with database.transaction() as session:
        session.add(challenge)

    async with database.transaction() as session:
        stored = await session.get(WebauthnChallengeRow, challenge.id)

    assert stored is not None
    assert (stored.challenge, stored.purpose) == (bytes(range(32)), ChallengePurpose.LOGIN)
    assert stored.expires_at == T0 + timedelta(minutes=5)
    assert stored.used_at is None
