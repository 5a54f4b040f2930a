"""Invitations: the one-time sign-up links, including the bootstrap one for the first account.

The API (``POST /api/invitations``), the start-up bootstrap and ``trading-bot user invite``
all create invitations through ``Invitations``, so the link and its rules are the same.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from trading_bot.core.ports import Clock, InvitationRepository, UserRepository
from trading_bot.entrypoints.api.auth.secrets import INVITATION_PREFIX, hash_token, new_token

INVITATION_TTL = timedelta(days=7)
"""How long an invitation made by a signed-in user (or the CLI) stays usable."""

BOOTSTRAP_TTL = timedelta(days=30)
"""How long the bootstrap invitation printed at first start stays usable."""

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IssuedInvitation:
    """A fresh invitation: its secret token (shown once), the sign-up link, and its expiry."""

    invitation_id: uuid.UUID
    token: str
    url: str
    expires_at: datetime
    is_bootstrap: bool


class Invitations:
    """Create invitations and the bootstrap one."""

    def __init__(
        self,
        *,
        invitations: InvitationRepository,
        users: UserRepository,
        clock: Clock,
        origin: str,
    ) -> None:
        self._invitations = invitations
        self._users = users
        self._clock = clock
        self._origin = origin.rstrip("/")

    def signup_url(self, token: str) -> str:
        """Return the dashboard link that signs up with ``token``."""
        return f"{self._origin}/signup?{urlencode({'token': token})}"

    async def create(
        self, *, created_by: uuid.UUID | None, ttl: timedelta = INVITATION_TTL
    ) -> IssuedInvitation:
        """Create an invitation; it is a bootstrap one while no account exists."""
        bootstrap = await self._users.count() == 0
        return await self._create(
            created_by=created_by, ttl=BOOTSTRAP_TTL if bootstrap else ttl, bootstrap=bootstrap
        )

    async def ensure_bootstrap(self) -> IssuedInvitation | None:
        """At start-up: with no account and no usable bootstrap invitation, create and log one.

        Return the new invitation, or None when none was needed (an account exists, or an
        earlier start's bootstrap link is still usable: ``trading-bot user invite`` prints
        a fresh one).
        """
        if await self._users.count() > 0:
            return None
        if await self._invitations.has_usable_bootstrap(now=self._clock.now()):
            logger.warning(
                "no account exists yet and the bootstrap link printed earlier is still valid; "
                "run `trading-bot user invite` for a new one"
            )
            return None
        issued = await self._create(created_by=None, ttl=BOOTSTRAP_TTL, bootstrap=True)
        # The link is the one secret that must reach the operator, so it is logged on purpose
        # under a key the secret-masking processor leaves alone.
        logger.warning(
            "no account exists yet: sign up with the one-time bootstrap link",
            extra={"signup_link": issued.url},
        )
        return issued

    async def _create(
        self, *, created_by: uuid.UUID | None, ttl: timedelta, bootstrap: bool
    ) -> IssuedInvitation:
        token = new_token(INVITATION_PREFIX)
        now = self._clock.now()
        stored = await self._invitations.create(
            token_hash=hash_token(token),
            expires_at=now + ttl,
            created_by=created_by,
            is_bootstrap=bootstrap,
            now=now,
        )
        return IssuedInvitation(
            invitation_id=stored.invitation_id,
            token=token,
            url=self.signup_url(token),
            expires_at=stored.expires_at,
            is_bootstrap=bootstrap,
        )
