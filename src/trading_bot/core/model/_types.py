"""Validated field types shared by every value object: tickers, prices, quantities, UTC times."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

_TICKER = re.compile(r"^[A-Z][A-Z0-9]{0,5}(\.[A-Z]{1,2})?$")


def _check_ticker(value: str) -> str:
    if not _TICKER.fullmatch(value):
        raise ValueError(f"ticker {value!r} must be an upper-case symbol such as AAPL or BRK.B")
    return value


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


Ticker = Annotated[str, AfterValidator(_check_ticker)]
"""An upper-case exchange symbol; a class suffix (``BRK.B``) is allowed."""

UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware timestamp, normalised to UTC. Naive datetimes are refused."""

Money = Annotated[Decimal, Field(allow_inf_nan=False)]
"""A signed amount of cash (P&L may be negative)."""

Price = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
"""A finite, strictly positive price in the account currency."""

Quantity = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
"""A finite, strictly positive number of shares (fractional shares allowed)."""

BarPrice = Annotated[float, Field(gt=0, allow_inf_nan=False)]
"""A market-data price: float for speed, but finite and strictly positive."""

Score = Annotated[float, Field(ge=-1.0, le=1.0, allow_inf_nan=False)]
"""A sentiment score in [-1, 1]."""

Unit = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
"""A confidence, strength or weight in [0, 1]."""


class Frozen(BaseModel):
    """Base of every value object: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
