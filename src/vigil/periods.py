"""Analysis periods: ``2012Q4``, ``2012``, ``2012-10``, ``2012-10-01..2012-12-31``.

A period is a half-open interval of UTC instants ``[start, end)``. ``previous()`` is the
preceding period of equal length: the previous quarter, year or month for calendar
periods (so 2012Q4 → 2012Q3), and the same number of days immediately before for an
explicit date range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from vigil.errors import PeriodError

_QUARTER = re.compile(r"(\d{4})[Qq]([1-4])")
_YEAR = re.compile(r"(\d{4})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")


def _month_start(year: int, month: int) -> date:
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, 1)


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in days; ``kind`` is quarter, year, month or range."""

    start: date
    end: date
    kind: str
    label: str

    @classmethod
    def parse(cls, text: str) -> Period:
        text = text.strip()
        if m := _QUARTER.fullmatch(text):
            year, q = int(m[1]), int(m[2])
            start = date(year, 3 * q - 2, 1)
            return cls(start, _month_start(year, 3 * q + 1), "quarter", f"{year}Q{q}")
        if m := _YEAR.fullmatch(text):
            year = int(m[1])
            return cls(date(year, 1, 1), date(year + 1, 1, 1), "year", str(year))
        if m := _MONTH.fullmatch(text):
            year, month = int(m[1]), int(m[2])
            if not 1 <= month <= 12:
                raise PeriodError(f"period {text!r}: month must be 01..12")
            return cls(date(year, month, 1), _month_start(year, month + 1), "month", text)
        if m := _RANGE.fullmatch(text):
            try:
                first, last = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            except ValueError as exc:
                raise PeriodError(f"period {text!r}: {exc}") from None
            if last < first:
                raise PeriodError(f"period {text!r}: the range ends before it starts")
            return cls(first, last + timedelta(days=1), "range", text)
        raise PeriodError(
            f"period {text!r} is not a quarter (2012Q4), year (2012), month (2012-10) "
            "or inclusive date range (2012-10-01..2012-12-31)"
        )

    def previous(self) -> Period:
        """The preceding period of equal length."""
        if self.kind == "quarter":
            q = (self.start.month - 1) // 3 + 1
            year, q = (self.start.year, q - 1) if q > 1 else (self.start.year - 1, 4)
            return Period.parse(f"{year}Q{q}")
        if self.kind == "year":
            return Period.parse(str(self.start.year - 1))
        if self.kind == "month":
            prev = _month_start(self.start.year, self.start.month - 1)
            return Period.parse(f"{prev.year:04d}-{prev.month:02d}")
        length = self.end - self.start
        first = self.start - length
        last = self.start - timedelta(days=1)
        return Period.parse(f"{first.isoformat()}..{last.isoformat()}")

    @property
    def start_ts(self) -> datetime:
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=timezone.utc)

    @property
    def end_ts(self) -> datetime:
        return datetime(self.end.year, self.end.month, self.end.day, tzinfo=timezone.utc)

    def __contains__(self, moment: datetime) -> bool:
        return self.start_ts <= moment < self.end_ts

    def __str__(self) -> str:
        return self.label
