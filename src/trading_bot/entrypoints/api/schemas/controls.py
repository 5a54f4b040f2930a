"""Bodies of the control routes and the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints

from trading_bot.entrypoints.api.schemas.portfolio import TradingStatus


class StatusOut(BaseModel):
    """Whether the bot opens new positions, and who changed that when."""

    status: TradingStatus
    paused: bool
    kill_switch: bool
    since: datetime | None = Field(description="when the pause flag last changed")
    by: str | None = Field(description="who changed it")


TICKER_PATTERN = r"^[A-Z][A-Z0-9]{0,5}(\.[A-Z]{1,2})?$"
"""What ``core.model.Ticker`` accepts, written into the schema for clients."""

ApiTicker = Annotated[str, StringConstraints(pattern=TICKER_PATTERN)]
"""A ticker as the API accepts it: the same rule as ``core.model.Ticker``, visible in the
OpenAPI schema."""


class ClosePositionIn(BaseModel):
    """The position to close."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    ticker: ApiTicker = Field(description="e.g. AAPL")


class ClosePositionAccepted(BaseModel):
    """The close command is on its way to the executor, which exits through its normal path."""

    accepted: bool
    ticker: str
    command_id: uuid.UUID


class AuditEntryOut(BaseModel):
    """Who did what, and when."""

    id: uuid.UUID
    actor: str
    action: str
    detail: dict[str, JsonValue]
    timestamp: datetime


class AuditPage(BaseModel):
    """One page of the audit log, newest first."""

    items: list[AuditEntryOut]
    total: int
    limit: int
    offset: int
