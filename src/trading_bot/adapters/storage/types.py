"""Column types that behave the same on SQLite and PostgreSQL: aware UTC times, exact decimals."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

DECIMAL_PLACES = 8
"""Money and quantities keep this many digits after the point (rounded half-even beyond it)."""

DECIMAL_PRECISION = 18
"""Total digits: the largest storable magnitude is just under 10**10 on both databases."""

_SCALE = Decimal(10) ** DECIMAL_PLACES
_QUANTUM = Decimal(1).scaleb(-DECIMAL_PLACES)
_LIMIT = Decimal(10) ** (DECIMAL_PRECISION - DECIMAL_PLACES)

JsonDocument = JSON().with_variant(JSONB(), "postgresql")
"""JSON everywhere, stored as JSONB on PostgreSQL so it can be indexed and compared."""


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that refuses naive values and always reads back timezone-aware UTC.

    SQLite has no time zones: the value is stored as naive UTC text and UTC is re-attached
    on the way out. PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: storage needs aware UTC")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """Money or a quantity: ``NUMERIC(18, 8)`` on PostgreSQL, a scaled integer on SQLite.

    SQLite has no decimal type (NUMERIC columns hold floats), so there the value is kept as an
    integer count of 10**-8 units: exact, and still compared, ordered and summed correctly in
    SQL (a product or quotient of two such columns is not rescaled: compute those in Python).
    Floats are refused (their binary value is rarely the decimal the caller meant), as are
    NaN, infinities and magnitudes of 10**10 or more.
    """

    impl = Numeric(DECIMAL_PRECISION, DECIMAL_PLACES, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(DECIMAL_PRECISION, DECIMAL_PLACES, asdecimal=True))

    def process_bind_param(
        self, value: Decimal | int | None, dialect: Dialect
    ) -> Decimal | int | None:
        if value is None:
            return None
        quantised = to_exact_decimal(value)
        if dialect.name == "sqlite":
            return int(quantised * _SCALE)
        return quantised

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        # Any: the driver hands back int (SQLite), Decimal (PostgreSQL) or float (SQLite AVG).
        if value is None:
            return None
        if dialect.name == "sqlite":
            raw = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
            return (raw / _SCALE).quantize(_QUANTUM)
        return Decimal(value).quantize(_QUANTUM)


def to_exact_decimal(value: Decimal | int) -> Decimal:
    """Return ``value`` rounded to the stored precision; raise ``ValueError`` if it cannot be kept.

    The rounding and range are those of ``NUMERIC(18, 8)``, so both databases accept and refuse
    the same values.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"expected Decimal or int, got {type(value).__name__}: {value!r}")
    decimal = Decimal(value)
    if not decimal.is_finite():
        raise ValueError(f"{decimal} cannot be stored: only finite amounts are allowed")
    try:
        quantised = decimal.quantize(_QUANTUM)
    except InvalidOperation as exc:
        raise ValueError(f"{decimal} is too large to store") from exc
    if abs(quantised) >= _LIMIT:
        raise ValueError(f"{decimal} is too large to store: the limit is ±{_LIMIT}")
    return quantised
