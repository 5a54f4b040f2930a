"""Column types: exact decimals and aware UTC times, identical rules on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import create_async_engine

from trading_bot.adapters.storage.types import ExactDecimal, UtcDateTime, to_exact_decimal

SQLITE = create_engine("sqlite://").dialect
POSTGRES = create_async_engine("postgresql+asyncpg://user@localhost/db").dialect


def test_to_exact_decimal_when_more_than_eight_places_rounds_half_even() -> None:
    assert to_exact_decimal(Decimal("0.000000005")) == Decimal("0.00000000")
    assert to_exact_decimal(Decimal("0.000000015")) == Decimal("0.00000002")


@pytest.mark.parametrize(
    "value", [Decimal("NaN"), Decimal("Infinity"), Decimal("1E+10"), Decimal("-1E+40")]
)
def test_to_exact_decimal_when_value_cannot_be_kept_raises_value_error(value: Decimal) -> None:
    with pytest.raises(ValueError, match=r"cannot be stored|too large"):
        to_exact_decimal(value)


def test_to_exact_decimal_when_given_a_float_refuses_it() -> None:
    with pytest.raises(TypeError, match="float"):
        to_exact_decimal(0.1)  # type: ignore[arg-type]  # the refused float is under test


def test_exact_decimal_on_sqlite_when_bound_and_read_round_trips_through_a_scaled_integer() -> None:
    column = ExactDecimal()

    stored = column.process_bind_param(Decimal("-9999999999.99999999"), SQLITE)
    read = column.process_result_value(stored, SQLITE)

    assert stored == -999_999_999_999_999_999
    assert read == Decimal("-9999999999.99999999")


def test_exact_decimal_on_sqlite_when_an_average_comes_back_as_float_reads_a_decimal() -> None:
    assert ExactDecimal().process_result_value(150_000_000.0, SQLITE) == Decimal("1.50000000")


def test_exact_decimal_on_postgres_when_bound_keeps_the_decimal() -> None:
    assert ExactDecimal().process_bind_param(Decimal("1.5"), POSTGRES) == Decimal("1.50000000")


def test_utc_datetime_when_given_a_naive_time_refuses_it() -> None:
    naive = datetime(2024, 3, 5, 15, 0)  # noqa: DTZ001 - the naive time is what is under test

    with pytest.raises(ValueError, match="naive"):
        UtcDateTime().process_bind_param(naive, POSTGRES)


def test_utc_datetime_on_sqlite_when_bound_stores_naive_utc_and_reads_back_aware_utc() -> None:
    column = UtcDateTime()
    paris = datetime(2024, 3, 5, 16, 0, tzinfo=timezone(timedelta(hours=1)))

    stored = column.process_bind_param(paris, SQLITE)
    read = column.process_result_value(stored, SQLITE)

    assert stored == datetime(2024, 3, 5, 15, 0)  # noqa: DTZ001 - SQLite stores naive UTC
    assert read == paris
    assert read is not None
    assert read.tzinfo is UTC


def test_utc_datetime_on_postgres_when_read_normalises_the_zone_to_utc() -> None:
    tokyo = datetime(2024, 3, 6, 0, 0, tzinfo=timezone(timedelta(hours=9)))

    read = UtcDateTime().process_result_value(tokyo, POSTGRES)

    assert read is not None
    assert (read.tzinfo, read.hour) == (UTC, 15)
