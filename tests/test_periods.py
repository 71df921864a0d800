from datetime import date, datetime, timezone

import pytest

from vigil.errors import PeriodError
from vigil.periods import Period


@pytest.mark.parametrize(
    ("text", "start", "end", "previous"),
    [
        ("2012Q4", date(2012, 10, 1), date(2013, 1, 1), "2012Q3"),
        ("2012q1", date(2012, 1, 1), date(2012, 4, 1), "2011Q4"),
        ("2012", date(2012, 1, 1), date(2013, 1, 1), "2011"),
        ("2012-12", date(2012, 12, 1), date(2013, 1, 1), "2012-11"),
        ("2012-01", date(2012, 1, 1), date(2012, 2, 1), "2011-12"),
        ("2012-10-01..2012-12-31", date(2012, 10, 1), date(2013, 1, 1), "2012-07-01..2012-09-30"),
    ],
)
def test_periods_parse_and_step_back(text: str, start: date, end: date, previous: str) -> None:
    period = Period.parse(text)
    assert (period.start, period.end) == (start, end)
    assert period.previous().label == previous
    assert period.previous().end == period.start


def test_a_range_steps_back_by_its_own_length() -> None:
    period = Period.parse("2012-10-01..2012-12-31")
    prev = period.previous()
    assert prev.end - prev.start == period.end - period.start


def test_membership_is_half_open() -> None:
    q4 = Period.parse("2012Q4")
    assert datetime(2012, 10, 1, tzinfo=timezone.utc) in q4
    assert datetime(2013, 1, 1, tzinfo=timezone.utc) not in q4


@pytest.mark.parametrize("text", ["2012Q5", "12Q4", "2012-13", "2012-12-31..2012-10-01", "last year", ""])
def test_bad_periods_say_what_is_accepted(text: str) -> None:
    with pytest.raises(PeriodError, match="period"):
        Period.parse(text)
