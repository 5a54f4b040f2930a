"""The auth repositories on SQLite and PostgreSQL: accounts with their first passkey, passkeys,
single-use challenges, refresh-token families, invitations and API tokens."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.storage import Database
from trading_bot.adapters.storage.auth_repositories import SqlAuthRepositories
from trading_bot.core.model import ChallengePurpose, TokenScope
from trading_bot.core.model.auth import (
    Challenge,
    ChallengeState,
    NewPasskey,
    PasskeyRemoval,
    RefreshOutcome,
    Registration,
    User,
)
from trading_bot.testing.storage_records import T0


@pytest.fixture
def auth(database: Database, clock: SimulatedClock) -> SqlAuthRepositories:
    return SqlAuthRepositories.create(database, clock)


def _passkey(name: str = "") -> NewPasskey:
    return NewPasskey(
        credential_id=uuid.uuid4().bytes, public_key=b"cose-key", sign_count=0, name=name
    )


async def _invitation(auth: SqlAuthRepositories, hashed: str = "inv-hash") -> str:
    await auth.invitations.create(
        token_hash=hashed,
        expires_at=T0 + timedelta(days=1),
        created_by=None,
        is_bootstrap=True,
        now=T0,
    )
    return hashed


async def _user(auth: SqlAuthRepositories, name: str = "alice") -> User:
    user = User(user_id=uuid.uuid4(), username=name, created_at=T0)
    outcome = await auth.users.register(
        user, _passkey(), invitation_hash=await _invitation(auth, f"inv-{name}"), now=T0
    )
    assert outcome is Registration.CREATED
    return user


async def test_register_when_the_invitation_is_valid_creates_the_account_and_spends_it(
    auth: SqlAuthRepositories,
) -> None:
    user = await _user(auth)

    again = await auth.users.register(
        User(user_id=uuid.uuid4(), username="bob", created_at=T0),
        _passkey(),
        invitation_hash="inv-alice",
        now=T0,
    )

    assert await auth.users.by_name("alice") == user
    assert len(await auth.passkeys.for_user(user.user_id)) == 1
    assert again is Registration.INVITATION_UNAVAILABLE
    assert await auth.users.by_name("bob") is None
    assert await auth.users.count() == 1


async def test_register_when_the_name_is_taken_changes_nothing(auth: SqlAuthRepositories) -> None:
    await _user(auth)
    invitation = await _invitation(auth, "second")

    outcome = await auth.users.register(
        User(user_id=uuid.uuid4(), username="alice", created_at=T0),
        _passkey(),
        invitation_hash=invitation,
        now=T0,
    )

    assert outcome is Registration.USERNAME_TAKEN
    assert await auth.invitations.usable("second", now=T0) is not None


async def test_register_when_two_race_for_one_invitation_lets_one_in(
    auth: SqlAuthRepositories,
) -> None:
    invitation = await _invitation(auth)

    outcomes = await asyncio.gather(
        *(
            auth.users.register(
                User(user_id=uuid.uuid4(), username=name, created_at=T0),
                _passkey(),
                invitation_hash=invitation,
                now=T0,
            )
            for name in ("alice", "mallory")
        )
    )

    assert sorted(outcomes) == sorted([Registration.CREATED, Registration.INVITATION_UNAVAILABLE])
    assert await auth.users.count() == 1


async def test_passkey_remove_when_it_is_the_last_keeps_it(auth: SqlAuthRepositories) -> None:
    user = await _user(auth)
    only = (await auth.passkeys.for_user(user.user_id))[0]
    extra = await auth.passkeys.add(user.user_id, _passkey("spare"))
    assert extra is not None

    assert await auth.passkeys.remove(user.user_id, extra.passkey_id) is PasskeyRemoval.REMOVED
    assert await auth.passkeys.remove(user.user_id, only.passkey_id) is PasskeyRemoval.LAST_PASSKEY
    assert await auth.passkeys.remove(user.user_id, uuid.uuid4()) is PasskeyRemoval.NOT_FOUND


async def test_passkey_record_use_when_the_counter_moved_meanwhile_refuses(
    auth: SqlAuthRepositories,
) -> None:
    user = await _user(auth)
    passkey = (await auth.passkeys.for_user(user.user_id))[0]

    first = await auth.passkeys.record_use(passkey.passkey_id, expected_count=0, new_count=5, at=T0)
    stale = await auth.passkeys.record_use(passkey.passkey_id, expected_count=0, new_count=6, at=T0)

    assert (first, stale) == (True, False)
    stored = await auth.passkeys.by_credential_id(passkey.credential_id)
    assert stored is not None
    assert stored.sign_count == 5


async def test_challenge_when_consumed_twice_or_late_is_refused(auth: SqlAuthRepositories) -> None:
    def challenge(purpose: ChallengePurpose) -> Challenge:
        return Challenge(
            challenge_id=uuid.uuid4(),
            challenge=uuid.uuid4().bytes,
            purpose=purpose,
            issued_at=T0,
            expires_at=T0 + timedelta(minutes=5),
        )

    fresh, late, other = (challenge(ChallengePurpose.LOGIN) for _ in range(3))
    for item in (fresh, late, other):
        await auth.challenges.issue(item)
    in_time = T0 + timedelta(minutes=1)

    first = await auth.challenges.consume(fresh.challenge_id, purpose=fresh.purpose, now=in_time)
    second = await auth.challenges.consume(fresh.challenge_id, purpose=fresh.purpose, now=in_time)
    expired = await auth.challenges.consume(
        late.challenge_id, purpose=late.purpose, now=T0 + timedelta(minutes=5)
    )
    wrong = await auth.challenges.consume(
        other.challenge_id, purpose=ChallengePurpose.REGISTER, now=in_time
    )
    unknown = await auth.challenges.consume(uuid.uuid4(), purpose=fresh.purpose, now=in_time)

    assert first == (ChallengeState.CONSUMED, fresh)
    assert second[0] is ChallengeState.ALREADY_USED
    assert expired[0] is ChallengeState.EXPIRED
    assert wrong[0] is ChallengeState.WRONG_PURPOSE
    assert unknown == (ChallengeState.UNKNOWN, None)


async def test_refresh_rotate_when_a_spent_token_returns_revokes_its_family(
    auth: SqlAuthRepositories,
) -> None:
    user = await _user(auth)
    await auth.refresh_tokens.issue(
        user_id=user.user_id,
        family_id=uuid.uuid4(),
        token_hash="t1",
        expires_at=T0 + timedelta(days=7),
        now=T0,
    )
    later = T0 + timedelta(days=7)

    rotated = await auth.refresh_tokens.rotate("t1", new_hash="t2", new_expires_at=later, now=T0)
    reused = await auth.refresh_tokens.rotate("t1", new_hash="t3", new_expires_at=later, now=T0)
    newest = await auth.refresh_tokens.rotate("t2", new_hash="t4", new_expires_at=later, now=T0)

    assert (rotated.outcome, rotated.user_id) == (RefreshOutcome.ROTATED, user.user_id)
    assert reused.outcome is RefreshOutcome.REUSED
    assert newest.outcome is RefreshOutcome.REVOKED


async def test_api_token_when_authenticated_is_stamped_and_when_revoked_is_refused(
    auth: SqlAuthRepositories, clock: SimulatedClock
) -> None:
    user = await _user(auth)
    token = await auth.api_tokens.create(
        user_id=user.user_id,
        name="grafana",
        scope=TokenScope.READ,
        token_hash="api-hash",
        expires_at=None,
        now=T0,
    )
    used_at = T0 + timedelta(hours=1)

    found = await auth.api_tokens.authenticate("api-hash", now=used_at)
    revoked = await auth.api_tokens.revoke(token.token_id, user_id=user.user_id, now=used_at)

    assert found is not None
    assert found.last_used_at == used_at
    assert revoked is True
    assert await auth.api_tokens.authenticate("api-hash", now=used_at) is None
    assert (await auth.api_tokens.tokens(user_id=user.user_id))[0].revoked_at == used_at
