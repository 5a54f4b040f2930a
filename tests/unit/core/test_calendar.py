"""NYSE sessions: holidays, half days, daylight-saving changes and weekends, all in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from trading_bot.core.calendar import NyseCalendar
from trading_bot.core.ports import MarketHours

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def nyse() -> NyseCalendar:
    return NyseCalendar()


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_calendar_when_used_as_market_hours_satisfies_the_port(nyse: NyseCalendar) -> None:
    hours: MarketHours = nyse

    assert hours.is_open(utc(2024, 3, 5, 15, 0))


@pytest.mark.parametrize("day", [date(2024, 7, 4), date(2025, 12, 25), date(2024, 1, 1)])
def test_holiday_when_asked_is_not_a_trading_day_and_never_open(
    nyse: NyseCalendar, day: date
) -> None:
    noon_new_york = datetime.combine(day, datetime.min.time(), NEW_YORK) + timedelta(hours=12)

    assert not nyse.is_trading_day(day)
    assert not nyse.is_open(noon_new_york)


def test_holiday_when_market_would_open_next_open_is_the_following_session(
    nyse: NyseCalendar,
) -> None:
    assert nyse.next_open(utc(2024, 7, 4, 12, 0)) == utc(2024, 7, 5, 13, 30)


@pytest.mark.parametrize(
    ("day", "closes_at"),
    [
        (date(2024, 11, 29), utc(2024, 11, 29, 18, 0)),
        (date(2024, 12, 24), utc(2024, 12, 24, 18, 0)),
    ],
)
def test_half_day_when_asked_closes_at_one_pm_new_york(
    nyse: NyseCalendar, day: date, closes_at: datetime
) -> None:
    assert nyse.is_half_day(day)
    assert nyse.session_close(day) == closes_at
    assert closes_at.astimezone(NEW_YORK).hour == 13


def test_half_day_when_past_one_pm_the_market_is_closed(nyse: NyseCalendar) -> None:
    assert nyse.is_open(utc(2024, 11, 29, 17, 59))
    assert not nyse.is_open(utc(2024, 11, 29, 18, 0))
    assert nyse.next_close(utc(2024, 11, 29, 15, 0)) == utc(2024, 11, 29, 18, 0)


def test_regular_day_when_asked_is_not_a_half_day_and_closes_at_four_pm(
    nyse: NyseCalendar,
) -> None:
    assert not nyse.is_half_day(date(2024, 11, 27))
    assert nyse.session_close(date(2024, 11, 27)) == utc(2024, 11, 27, 21, 0)


def test_spring_forward_monday_when_asked_opens_at_13_30_utc(nyse: NyseCalendar) -> None:
    assert nyse.next_open(utc(2024, 3, 10, 12, 0)) == utc(2024, 3, 11, 13, 30)
    assert nyse.session_close(date(2024, 3, 11)) == utc(2024, 3, 11, 20, 0)


def test_friday_before_spring_forward_when_asked_opens_at_14_30_utc(nyse: NyseCalendar) -> None:
    assert nyse.next_open(utc(2024, 3, 8, 0, 0)) == utc(2024, 3, 8, 14, 30)


def test_fall_back_monday_when_asked_opens_at_14_30_utc(nyse: NyseCalendar) -> None:
    assert nyse.next_open(utc(2024, 11, 3, 12, 0)) == utc(2024, 11, 4, 14, 30)
    assert nyse.session_close(date(2024, 11, 4)) == utc(2024, 11, 4, 21, 0)


def test_friday_before_fall_back_when_asked_opens_at_13_30_utc(nyse: NyseCalendar) -> None:
    assert nyse.next_open(utc(2024, 11, 1, 0, 0)) == utc(2024, 11, 1, 13, 30)


@pytest.mark.parametrize("day", [date(2024, 3, 10), date(2024, 11, 3)])
def test_dst_change_sunday_when_asked_is_not_a_trading_day(nyse: NyseCalendar, day: date) -> None:
    assert not nyse.is_trading_day(day)


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        (utc(2024, 3, 11, 13, 30) - timedelta(seconds=1), False),
        (utc(2024, 3, 11, 13, 30), True),
        (utc(2024, 3, 11, 20, 0) - timedelta(seconds=1), True),
        (utc(2024, 3, 11, 20, 0), False),
        (utc(2024, 11, 4, 14, 29), False),
        (utc(2024, 11, 4, 14, 30), True),
        (utc(2024, 11, 4, 20, 30), True),
        (utc(2024, 11, 4, 21, 0), False),
    ],
)
def test_is_open_when_around_the_bell_counts_the_open_but_not_the_close(
    nyse: NyseCalendar, at: datetime, is_open: bool
) -> None:
    assert nyse.is_open(at) is is_open


@pytest.mark.parametrize("day", [date(2024, 3, 9), date(2024, 3, 10), date(2025, 6, 1)])
def test_weekend_when_asked_is_closed_all_day(nyse: NyseCalendar, day: date) -> None:
    midday = datetime.combine(day, datetime.min.time(), NEW_YORK) + timedelta(hours=12)

    assert not nyse.is_trading_day(day)
    assert not nyse.is_open(midday)


def test_weekend_when_asked_next_open_is_monday_and_next_close_is_monday(
    nyse: NyseCalendar,
) -> None:
    saturday = utc(2024, 3, 9, 15, 0)

    assert nyse.next_open(saturday) == utc(2024, 3, 11, 13, 30)
    assert nyse.next_close(saturday) == utc(2024, 3, 11, 20, 0)


def test_next_open_when_market_is_open_is_the_next_sessions_open(nyse: NyseCalendar) -> None:
    assert nyse.next_open(utc(2024, 3, 5, 15, 0)) == utc(2024, 3, 6, 14, 30)


def test_next_close_when_exactly_at_the_close_is_the_next_sessions_close(
    nyse: NyseCalendar,
) -> None:
    assert nyse.next_close(utc(2024, 3, 5, 21, 0)) == utc(2024, 3, 6, 21, 0)


def test_next_open_when_given_another_zone_answers_in_utc(nyse: NyseCalendar) -> None:
    friday_evening_new_york = datetime(2024, 3, 8, 18, 0, tzinfo=NEW_YORK)

    opens = nyse.next_open(friday_evening_new_york)

    assert opens == utc(2024, 3, 11, 13, 30)
    assert opens.tzinfo is UTC


def test_is_open_when_utc_date_differs_from_new_york_date_uses_new_york(
    nyse: NyseCalendar,
) -> None:
    # 01:00 UTC on Saturday is still Friday evening in New York: closed, and not Saturday's.
    assert not nyse.is_open(utc(2024, 3, 9, 1, 0))
    assert nyse.next_open(utc(2024, 3, 9, 1, 0)) == utc(2024, 3, 11, 13, 30)


def test_trading_days_back_when_a_holiday_is_in_the_window_skips_it(nyse: NyseCalendar) -> None:
    assert nyse.trading_days_back(date(2024, 7, 8), 4) == [
        date(2024, 7, 1), date(2024, 7, 2), date(2024, 7, 3), date(2024, 7, 5),
    ]  # fmt: skip


def test_trading_days_back_when_day_is_a_weekend_counts_back_from_friday(
    nyse: NyseCalendar,
) -> None:
    assert nyse.trading_days_back(date(2024, 3, 10), 2) == [date(2024, 3, 7), date(2024, 3, 8)]


def test_trading_days_back_when_zero_is_empty(nyse: NyseCalendar) -> None:
    assert nyse.trading_days_back(date(2024, 3, 10), 0) == []


def test_trading_days_back_when_count_is_negative_is_refused(nyse: NyseCalendar) -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        nyse.trading_days_back(date(2024, 3, 10), -1)


def test_calendar_when_given_a_naive_time_refuses_it(nyse: NyseCalendar) -> None:
    naive = datetime(2024, 3, 5, 15, 0)  # noqa: DTZ001 -- naive on purpose

    with pytest.raises(ValueError, match="timezone-aware"):
        nyse.is_open(naive)


def test_calendar_when_asked_beyond_its_range_refuses_to_guess(nyse: NyseCalendar) -> None:
    with pytest.raises(ValueError, match="beyond this calendar's range"):
        nyse.is_trading_day(date(2036, 1, 2))
    with pytest.raises(ValueError, match="beyond this calendar's range"):
        nyse.next_open(utc(2035, 12, 31, 22, 0))
    with pytest.raises(ValueError, match="beyond this calendar's range"):
        nyse.trading_days_back(date(2000, 1, 4), 5)


def test_session_close_when_day_is_a_holiday_is_refused(nyse: NyseCalendar) -> None:
    with pytest.raises(ValueError, match="not a trading day"):
        nyse.session_close(date(2024, 7, 4))


def test_calendar_when_range_is_empty_is_refused() -> None:
    with pytest.raises(ValueError, match="must come after"):
        NyseCalendar(date(2024, 1, 1), date(2024, 1, 1))


def test_calendar_with_a_narrow_range_answers_like_the_default(nyse: NyseCalendar) -> None:
    narrow = NyseCalendar(date(2024, 1, 1), date(2024, 12, 31))

    assert narrow.session_close(date(2024, 11, 29)) == nyse.session_close(date(2024, 11, 29))


def test_calendar_loaded_ahead_answers_its_first_question_without_building_again() -> None:
    from trading_bot.core import calendar  # noqa: PLC0415 - the schedule cache it shares

    ahead = NyseCalendar(date(2019, 1, 1), date(2019, 12, 31))
    ahead.load()
    built = calendar._load.cache_info().misses

    assert ahead.is_open(utc(2019, 7, 3, 15))
    assert calendar._load.cache_info().misses == built
