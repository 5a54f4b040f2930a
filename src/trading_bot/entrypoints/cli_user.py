"""`trading-bot user`: invitations (the bootstrap link included) and API tokens for scripts.

These talk to the database directly, so they work while the server is stopped; they create
invitations and tokens through the same code as the API.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from trading_bot.adapters.clocks import WallClock
from trading_bot.core.errors import TradingBotError
from trading_bot.core.model import TokenScope
from trading_bot.entrypoints.api.auth.invitations import Invitations
from trading_bot.entrypoints.api.auth.secrets import API_TOKEN_PREFIX, hash_token, new_token
from trading_bot.entrypoints.cli_context import fail, settings_of
from trading_bot.entrypoints.settings import Settings

if TYPE_CHECKING:
    from trading_bot.adapters.storage.auth_repositories import SqlAuthRepositories

user_app = typer.Typer(help="Accounts: invitations and API tokens.", no_args_is_help=True)

_TTL = re.compile(r"^(?P<amount>[1-9][0-9]{0,4})(?P<unit>[mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
T = TypeVar("T")


def parse_ttl(text: str) -> timedelta | None:
    """Return a lifetime such as ``30d``, ``12h``, ``2w`` or ``90m``; ``never`` is None."""
    if text.strip().lower() == "never":
        return None
    match = _TTL.fullmatch(text.strip().lower())
    if match is None:
        raise typer.BadParameter("use a number and a unit (m, h, d, w), e.g. 30d, or 'never'")
    return timedelta(**{_UNITS[match["unit"]]: int(match["amount"])})


def _run(settings: Settings, work: Callable[[SqlAuthRepositories], Awaitable[T]]) -> T:
    """Run ``work`` with the auth repositories over the configured database."""
    # Imported here so the rest of the CLI starts without the storage drivers loaded.
    from trading_bot.adapters.storage import Database  # noqa: PLC0415
    from trading_bot.adapters.storage.auth_repositories import (  # noqa: PLC0415
        SqlAuthRepositories,
    )

    async def main() -> T:
        async with Database(settings.storage.url) as database:
            return await work(SqlAuthRepositories.create(database, WallClock()))

    try:
        return asyncio.run(main())
    except TradingBotError as exc:
        fail(f"{type(exc).__name__}: {exc}")


@user_app.command("invite")
def invite(
    ctx: typer.Context,
    ttl: Annotated[str, typer.Option(help="how long the link works, e.g. 7d")] = "7d",
) -> None:
    """Print a one-time sign-up link (the bootstrap link while no account exists)."""
    settings = settings_of(ctx)
    lifetime = parse_ttl(ttl) or timedelta(days=7)

    async def work(repos: SqlAuthRepositories) -> str:
        invitations = Invitations(
            invitations=repos.invitations,
            users=repos.users,
            clock=WallClock(),
            origin=settings.api.origin,
        )
        issued = await invitations.create(created_by=None, ttl=lifetime)
        kind = "bootstrap (first account)" if issued.is_bootstrap else "invitation"
        return f"{kind}, valid until {issued.expires_at:%Y-%m-%d %H:%M} UTC:\n{issued.url}"

    typer.echo(_run(settings, work))


@user_app.command("token")
def token(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="what the token is for, e.g. grafana")],
    scope: Annotated[TokenScope, typer.Option(help="read: GET routes; control: also controls")] = (
        TokenScope.READ
    ),
    ttl: Annotated[str, typer.Option(help="lifetime, e.g. 30d, or 'never'")] = "30d",
    user: Annotated[
        str | None, typer.Option(help="the account it acts for (needed if there are several)")
    ] = None,
) -> None:
    """Mint an API token; it is printed once and stored only as a hash."""
    settings = settings_of(ctx)
    lifetime = parse_ttl(ttl)
    if not 1 <= len(name.strip()) <= 100:
        raise typer.BadParameter("the name needs 1 to 100 characters", param_hint="--name")

    async def work(repos: SqlAuthRepositories) -> str:
        users = await repos.users.all()
        chosen = [u for u in users if user is None or u.username == user]
        if not chosen:
            raise _UsageError("no such account; sign up first" if users else "no account yet")
        if len(chosen) > 1:
            names = ", ".join(u.username for u in chosen)
            raise _UsageError(f"several accounts exist ({names}); choose one with --user")
        now = WallClock().now()
        secret = new_token(API_TOKEN_PREFIX)
        stored = await repos.api_tokens.create(
            user_id=chosen[0].user_id,
            name=name.strip(),
            scope=scope,
            token_hash=hash_token(secret),
            expires_at=None if lifetime is None else now + lifetime,
            now=now,
        )
        expiry = "never" if stored.expires_at is None else f"{stored.expires_at:%Y-%m-%d} UTC"
        return (
            f"API token {stored.token_id} ({stored.scope}, expires {expiry}) for "
            f"{chosen[0].username}; shown once, keep it safe:\n{secret}"
        )

    try:
        typer.echo(_run(settings, work))
    except _UsageError as exc:
        fail(str(exc))


@user_app.command("tokens")
def tokens(ctx: typer.Context) -> None:
    """List the API tokens (never their secrets)."""
    settings = settings_of(ctx)

    async def work(repos: SqlAuthRepositories) -> Table:
        names = {u.user_id: u.username for u in await repos.users.all()}
        table = Table("id", "user", "name", "scope", "created", "expires", "last used", "revoked")
        for item in await repos.api_tokens.tokens():
            table.add_row(
                str(item.token_id),
                names.get(item.user_id, "?"),
                item.name,
                item.scope.value,
                f"{item.created_at:%Y-%m-%d %H:%M}",
                "never" if item.expires_at is None else f"{item.expires_at:%Y-%m-%d}",
                "-" if item.last_used_at is None else f"{item.last_used_at:%Y-%m-%d %H:%M}",
                "-" if item.revoked_at is None else f"{item.revoked_at:%Y-%m-%d %H:%M}",
            )
        return table

    Console().print(_run(settings, work))


@user_app.command("revoke-token")
def revoke_token(
    ctx: typer.Context, token_id: Annotated[str, typer.Argument(help="the token's id")]
) -> None:
    """Revoke an API token by id."""
    settings = settings_of(ctx)
    try:
        wanted = uuid.UUID(token_id)
    except ValueError:
        fail(f"{token_id!r} is not a token id (see `trading-bot user tokens`)")

    async def work(repos: SqlAuthRepositories) -> bool:
        return await repos.api_tokens.revoke(wanted, user_id=None, now=WallClock().now())

    if not _run(settings, work):
        fail(f"no live token {token_id}")
    typer.echo(f"revoked {token_id}")


class _UsageError(Exception):
    """The command cannot do what was asked; the message says why."""
