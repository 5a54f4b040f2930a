"""Property-based checks of the whole API against its own OpenAPI schema, with a valid token:
no 5xx, no undocumented status, no response that breaks its schema.

Schemathesis loads the schema when this module is imported and runs the app's lifespan itself,
so the database is migrated and the account seeded as the app starts.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckFunction
from schemathesis.specs.openapi.checks import positive_data_acceptance

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import WallClock
from trading_bot.adapters.storage.auth_repositories import SqlAuthRepositories
from trading_bot.core.model.auth import NewPasskey, User
from trading_bot.entrypoints.api.app import create_app
from trading_bot.entrypoints.api.auth.jwt import AccessTokens
from trading_bot.entrypoints.api.auth.secrets import hash_token
from trading_bot.entrypoints.api.container import ApiContainer, ContainerFactory, GatewayConfig
from trading_bot.entrypoints.telemetry import Telemetry
from trading_bot.testing.api import TEST_SECRET, bearer, gateway_container, gateway_settings
from trading_bot.testing.storage import migrated_sqlite

EXAMPLES_PER_OPERATION = 3
BEYOND_THE_SCHEMA = {
    "/auth/register/complete",
    "/auth/login/complete",
    "/auth/passkeys/add/complete",
    "/api/backtest/run",
}
USER_ID = uuid.uuid4()
CLOCK = WallClock()
CONFIG = GatewayConfig(auth_rate_limit="1000000/minute")
_DIRECTORY = tempfile.TemporaryDirectory(prefix="schemathesis-")
_DATABASE: dict[str, str] = {}


def _container() -> ContainerFactory:
    @asynccontextmanager
    async def open_container() -> AsyncIterator[ApiContainer]:
        url = _DATABASE.get("url")
        if url is None:
            url = _DATABASE["url"] = await migrated_sqlite(Path(_DIRECTORY.name))
        factory = gateway_container(url, clock=CLOCK, bus=MemoryBus(clock=CLOCK), config=CONFIG)
        async with factory() as container:
            await _seed_account(container.auth)
            yield container

    return open_container


async def _seed_account(auth: SqlAuthRepositories) -> None:
    if await auth.users.count() > 0:
        return  # seeded by an earlier start of the app
    now = CLOCK.now()
    await auth.invitations.create(
        token_hash=hash_token("tbi_seed"),
        expires_at=now + timedelta(days=1),
        created_by=None,
        is_bootstrap=True,
        now=now,
    )
    await auth.users.register(
        User(user_id=USER_ID, username="alice", created_at=now),
        NewPasskey(credential_id=b"seeded-credential", public_key=b"\x01", sign_count=0),
        invitation_hash=hash_token("tbi_seed"),
        now=now,
    )


APP: FastAPI = create_app(
    telemetry=Telemetry("schemathesis"),
    container=_container(),
    api=gateway_settings(),
    config=CONFIG,
    dashboard_dist=None,
)
TOKEN, _ = AccessTokens(TEST_SECRET, CLOCK, ttl=timedelta(hours=1)).issue(USER_ID, "alice")

schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.update(headers=bearer(TOKEN))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_when_fuzzed_with_a_valid_token_keeps_to_its_schema(
    case: schemathesis.Case[Any],
) -> None:
    # A ceremony token is a value the server signed and a backtest's end must follow its start:
    # no schema can say either, so such requests may match the schema and still be refused.
    excluded: list[CheckFunction] = (
        [positive_data_acceptance] if case.path in BEYOND_THE_SCHEMA else []
    )
    case.call_and_validate(excluded_checks=excluded)
