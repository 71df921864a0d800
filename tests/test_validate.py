"""One raw report → Report or one quarantine reason (table-driven)."""

from datetime import datetime

import pytest

from vigil.errors import InvalidRecord
from vigil.ingest.validate import parse_report

GOOD = {
    "report_id": "r-1",
    "source": "HL-A",
    "reported_at": "2012-10-03T08:00:00Z",
    "url": "HTTP://Name.Example:80/a/./b#top",
    "ip": "192.0.2.10",
    "commercial": "yes",
    "site_type": "Pay-Per-View",
    "payment_types": "sms; credit_card",
    "notes": "seen via a banner page",
}


def test_a_good_row_is_normalised() -> None:
    report = parse_report(GOOD)
    assert report.url == "http://name.example/a/b"
    assert report.url_original == GOOD["url"]
    assert report.host == "name.example"
    assert report.reported_at == datetime(2012, 10, 3, 8, 0, 0)
    assert report.commercial is True
    assert report.site_type == "pay_per_view"
    assert report.payment_types == ("credit_card", "sms")
    assert report.ip == "192.0.2.10"


def test_time_zones_are_converted_to_utc_and_bare_dates_are_midnight() -> None:
    assert parse_report({**GOOD, "reported_at": "2012-10-01T01:30:00+03:00"}).reported_at == datetime(2012, 9, 30, 22, 30)
    assert parse_report({**GOOD, "reported_at": "2012-10-01"}).reported_at == datetime(2012, 10, 1)
    assert parse_report({**GOOD, "reported_at": "2012-10-01T05:00:00"}).reported_at == datetime(2012, 10, 1, 5)


def test_json_values_are_accepted() -> None:
    report = parse_report({**GOOD, "commercial": False, "payment_types": ["sms", "unknown"]})
    assert report.commercial is False
    assert report.payment_types == ("sms", "unknown")


def test_missing_report_id_gets_a_stable_content_hash() -> None:
    a = parse_report({**GOOD, "report_id": ""})
    b = parse_report({**GOOD, "report_id": ""})
    c = parse_report({**GOOD, "report_id": "", "notes": "other"})
    assert a.report_id.startswith("h:") and a.report_key == b.report_key != c.report_key


def test_the_same_report_id_from_two_sources_is_two_reports() -> None:
    assert parse_report(GOOD).report_key != parse_report({**GOOD, "source": "HL-B"}).report_key


def test_default_source_fills_only_empty_sources() -> None:
    assert parse_report({**GOOD, "source": ""}, default_source="HL-X").source == "HL-X"
    assert parse_report(GOOD, default_source="HL-X").source == "HL-A"


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"url": ""}, "missing_url", "no URL"),
        ({"url": "http://name.test/" + "a" * 100_000}, "url_too_long", "100,0"),
        ({"url": "http://"}, "bad_url", ""),
        ({"url": "gopher://name.test/"}, "bad_url", ""),
        ({"reported_at": ""}, "missing_reported_at", "reported_at"),
        ({"reported_at": "31/12/2012"}, "bad_date", "31/12/2012"),
        ({"reported_at": "yesterday"}, "bad_date", "ISO 8601"),
        ({"ip": "999.1.2.3"}, "bad_ip", "999.1.2.3"),
        ({"commercial": "maybe"}, "bad_commercial", "maybe"),
        ({"site_type": "blog"}, "unknown_site_type", "blog"),
        ({"payment_types": "sms;barter"}, "unknown_payment_type", "barter"),
        ({"notes": "a\x00b"}, "binary_junk", "notes"),
        ({"url": "http://name.test/\udcff"}, "binary_junk", "url"),
        ({"source": ""}, "missing_source", "source"),
        ({"notes": "x" * 70_000}, "field_too_long", "notes"),
    ],
)
def test_each_problem_has_its_code_and_a_readable_reason(change: dict[str, str], code: str, words: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        parse_report({**GOOD, **change})
    assert caught.value.code == code
    assert words in caught.value.reason


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.lists(st.sampled_from(["0", "1", "9", "10", "01", "99", "100", "199", "249", "255", "256", "300", "007"]), min_size=3, max_size=5))
def test_the_ipv4_fast_path_agrees_with_ipaddress(parts: list[str]) -> None:
    import ipaddress

    from vigil.ingest.validate import parse_ip

    text = ".".join(parts)
    try:
        expected: str | None = str(ipaddress.ip_address(text))
    except ValueError:
        expected = None
    try:
        got: str | None = parse_ip(text)
    except InvalidRecord:
        got = None
    assert got == expected
