"""The gateway's running parts, built once from the container: auth, live feed, jobs.

The app's lifespan builds a ``Gateway``, starts it (bootstrap invitation, bus consumers) and
stops it; routes reach it through ``deps.GatewayDep``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from trading_bot.adapters.storage.queries import PortfolioOverview
from trading_bot.core.events import Message, PortfolioUpdated, TradeExecuted
from trading_bot.core.model import PortfolioUpdate
from trading_bot.entrypoints.api.auth.invitations import Invitations, IssuedInvitation
from trading_bot.entrypoints.api.auth.jwt import AccessTokens, CeremonyTokens
from trading_bot.entrypoints.api.auth.passkeys import PasskeyCeremonies, RelyingParty
from trading_bot.entrypoints.api.auth.principal import Authenticator
from trading_bot.entrypoints.api.auth.rate_limit import RateLimiter
from trading_bot.entrypoints.api.auth.sessions import Sessions
from trading_bot.entrypoints.api.backtests import BacktestJobs
from trading_bot.entrypoints.api.cache import TimedCache
from trading_bot.entrypoints.api.container import ApiContainer
from trading_bot.entrypoints.api.health_board import ServiceHealthBoard
from trading_bot.entrypoints.api.live import LiveFeed, LiveHub

CEREMONY_TOKEN_TTL = timedelta(hours=1)
"""Outlives any challenge, so it is the server-side challenge expiry that refuses a late answer."""

logger = logging.getLogger(__name__)


class Gateway:
    """Everything the routes and the WebSocket share, over one ``ApiContainer``."""

    def __init__(self, container: ApiContainer) -> None:
        c = container
        self.container = c
        self.access = AccessTokens(
            c.signing_secret, c.clock, ttl=timedelta(minutes=c.api.access_token_minutes)
        )
        self.authenticator = Authenticator(
            access=self.access, api_tokens=c.auth.api_tokens, clock=c.clock
        )
        self.sessions = Sessions(
            access=self.access,
            refresh_tokens=c.auth.refresh_tokens,
            users=c.auth.users,
            clock=c.clock,
            refresh_ttl=timedelta(days=c.api.refresh_token_days),
        )
        self.ceremonies = PasskeyCeremonies(
            relying_party=RelyingParty(
                rp_id=c.api.rp_id, name=c.api.rp_name, origins=tuple(c.api.expected_origins)
            ),
            challenges=c.auth.challenges,
            passkeys=c.auth.passkeys,
            tokens=CeremonyTokens(c.signing_secret, c.clock, ttl=CEREMONY_TOKEN_TTL),
            clock=c.clock,
            challenge_ttl=c.config.challenge_ttl,
        )
        self.invitations = Invitations(
            invitations=c.auth.invitations, users=c.auth.users, clock=c.clock, origin=c.api.origin
        )
        self.rate_limiter = RateLimiter(c.config.auth_rate_limit, c.clock)
        self.hub = LiveHub(c.config.ws_queue_size)
        self.jobs = BacktestJobs(c.repositories.backtests, c.backtest_runner)
        self.latest_portfolio: PortfolioUpdate | None = None
        self.portfolio_cache: TimedCache[PortfolioOverview] = TimedCache(
            timedelta(seconds=c.config.portfolio_cache_seconds), c.clock
        )
        self.bootstrap: IssuedInvitation | None = None
        self.health = ServiceHealthBoard(
            c.bus, group=f"api-gateway:{c.instance}:health", consumer=c.instance
        )
        self._feed = LiveFeed(
            c.bus,
            self.hub,
            group=f"api-gateway:{c.instance}",
            consumer=c.instance,
            on_event=self._on_event,
        )

    @property
    def bootstrap_link(self) -> str | None:
        """Return the sign-up link printed at start-up, if this start created one."""
        return None if self.bootstrap is None else self.bootstrap.url

    async def start(self) -> None:
        """Create the bootstrap invitation if needed and start the live feed."""
        self.bootstrap = await self.invitations.ensure_bootstrap()
        self._feed.start()
        self.health.start()

    async def stop(self) -> None:
        """Stop the live feed and the backtest worker."""
        await self._feed.stop()
        await self.health.stop()
        await self.jobs.close()

    def _on_event(self, message: Message) -> None:
        if isinstance(message, PortfolioUpdated):
            update = message.update
            if self.latest_portfolio is None or update.as_of >= self.latest_portfolio.as_of:
                self.latest_portfolio = update
        if isinstance(message, PortfolioUpdated | TradeExecuted):
            self.portfolio_cache.invalidate()
