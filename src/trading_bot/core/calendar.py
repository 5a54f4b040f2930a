"""NYSE market hours (holidays, half days, DST) from the exchange_calendars library.

Times go in and come out timezone-aware UTC; sessions are dated in America/New_York. The
library's schedule is built once per date range (it takes a fraction of a second) and then
answered from plain lists and dictionaries.
"""

from __future__ import annotations

import bisect
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
DEFAULT_FIRST_DAY = date(2000, 1, 1)
DEFAULT_LAST_DAY = date(2035, 12, 31)
REGULAR_CLOSE = time(16, 0)


@dataclass(frozen=True, slots=True)
class Session:
    """One regular trading session: when it opens and closes (UTC)."""

    day: date
    opens_at: datetime
    closes_at: datetime
    early_close: bool


def _require_utc_aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at!r} must be timezone-aware (UTC)")
    return at.astimezone(UTC)


class _Schedule:
    """The sessions of a date range, indexed by day and in time order."""

    def __init__(self, first_day: date, last_day: date) -> None:
        # Imported here: the library pulls in pandas, which most of the core never needs.
        import exchange_calendars  # noqa: PLC0415

        with warnings.catch_warnings():
            # exchange_calendars still reads Series.values, which pandas 3.1 deprecates; the
            # values it reads are UTC already, so the warning is noise for us.
            warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
            calendar = exchange_calendars.get_calendar(
                "XNYS", start=first_day.isoformat(), end=last_day.isoformat()
            )
        early = {ts.date() for ts in calendar.early_closes}
        schedule = calendar.schedule
        self.sessions: list[Session] = [
            Session(
                day=label.date(),
                opens_at=opens.to_pydatetime().astimezone(UTC),
                closes_at=closes.to_pydatetime().astimezone(UTC),
                early_close=label.date() in early,
            )
            for label, opens, closes in zip(
                schedule.index, schedule["open"], schedule["close"], strict=True
            )
        ]
        self.by_day = {session.day: session for session in self.sessions}
        self.days = [session.day for session in self.sessions]
        self.opens = [session.opens_at for session in self.sessions]
        self.closes = [session.closes_at for session in self.sessions]


@lru_cache(maxsize=4)
def _load(first_day: date, last_day: date) -> _Schedule:
    return _Schedule(first_day, last_day)


class NyseCalendar:
    """The New York Stock Exchange's regular sessions between ``first_day`` and ``last_day``.

    Implements ``core.ports.MarketHours``. Questions about days outside the range raise
    ``ValueError`` instead of guessing.
    """

    def __init__(
        self, first_day: date = DEFAULT_FIRST_DAY, last_day: date = DEFAULT_LAST_DAY
    ) -> None:
        if last_day <= first_day:
            raise ValueError(f"last_day {last_day} must come after first_day {first_day}")
        self.first_day = first_day
        self.last_day = last_day

    @property
    def _schedule(self) -> _Schedule:
        # Built on first use and shared by every calendar of the same range.
        return _load(self.first_day, self.last_day)

    def load(self) -> None:
        """Build the schedule now (about a second of work) instead of on the first question."""
        _load(self.first_day, self.last_day)

    def is_open(self, at: datetime) -> bool:
        """Return True during a regular session (open inclusive, close exclusive)."""
        session = self.session_on(self._local_day(at))
        utc = _require_utc_aware(at)
        return session is not None and session.opens_at <= utc < session.closes_at

    def next_open(self, at: datetime) -> datetime:
        """Return the first session open strictly after ``at``."""
        utc = _require_utc_aware(at)
        index = bisect.bisect_right(self._schedule.opens, utc)
        if index == len(self._schedule.opens):
            raise self._out_of_range(utc.date())
        return self._schedule.opens[index]

    def next_close(self, at: datetime) -> datetime:
        """Return the first session close strictly after ``at`` (today's, while open)."""
        utc = _require_utc_aware(at)
        index = bisect.bisect_right(self._schedule.closes, utc)
        if index == len(self._schedule.closes):
            raise self._out_of_range(utc.date())
        return self._schedule.closes[index]

    def session_on(self, day: date) -> Session | None:
        """Return the session held on ``day`` (a New York date), or None if the market is shut."""
        self._check_range(day)
        return self._schedule.by_day.get(day)

    def session_close(self, day: date) -> datetime:
        """Return when the session of ``day`` closes (13:00 New York time on half days)."""
        session = self.session_on(day)
        if session is None:
            raise ValueError(f"{day} is not a trading day")
        return session.closes_at

    def is_trading_day(self, day: date) -> bool:
        """Return True if the exchange holds a session on ``day``."""
        return self.session_on(day) is not None

    def is_half_day(self, day: date) -> bool:
        """Return True if ``day`` is a trading day that closes early."""
        session = self.session_on(day)
        return session is not None and session.early_close

    def trading_days_back(self, day: date, count: int) -> list[date]:
        """Return the ``count`` trading days before ``day`` (``day`` itself excluded), oldest
        first. The pattern-day-trader window of five business days is
        ``trading_days_back(today, 4) + [today]``."""
        if count < 0:
            raise ValueError(f"count must not be negative, got {count}")
        self._check_range(day)
        end = bisect.bisect_left(self._schedule.days, day)
        if end < count:
            raise self._out_of_range(day)
        return self._schedule.days[end - count : end]

    def _local_day(self, at: datetime) -> date:
        return _require_utc_aware(at).astimezone(NEW_YORK).date()

    def _check_range(self, day: date) -> None:
        if not self.first_day <= day <= self.last_day:
            raise self._out_of_range(day)

    def _out_of_range(self, day: date) -> ValueError:
        return ValueError(
            f"{day} is beyond this calendar's range {self.first_day}..{self.last_day}"
        )
