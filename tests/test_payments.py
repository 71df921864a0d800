"""§5 payments: test-purchase ingest and payment statistics on a small hand-counted world.

Fictional names only: sites under .test, the fictional processors of a synthetic world's processors.toml,
given explicitly (the bundled file lists no processor).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from vigil.analyse.payments import carriers_for, payment_stats
from vigil.errors import InvalidRecord
from vigil.ingest.purchases import PURCHASE_FIELDS, PurchaseIngest, parse_purchase
from vigil.ingest.reports import ReportIngest
from vigil.periods import Period
from vigil.store import Store
from vigil.synth.procfile import world_processors
from vigil.urls import canonicalize_url

ALPHA, BETA, GAMMA, DELTA = "http://alpha.test/join", "http://beta.test/", "http://gamma.test/", "http://delta.test/"
ZETA, UNREPORTED = "http://zeta.test/", "http://unreported.test/buy"

REPORTS = [
    # report_id, reported_at, url, commercial, payment_types
    ("r1", "2012-11-01", ALPHA, "yes", "credit_card"),
    ("r2", "2012-11-02", BETA, "yes", ""),
    ("r3", "2012-11-02", GAMMA, "yes", "unknown"),
    ("r4", "2012-11-03", DELTA, "yes", ""),
    ("r5", "2012-11-03", "http://epsilon.test/", "no", "sms"),  # not commercial: not counted
    ("r6", "2012-08-01", ZETA, "yes", "sms;credit_card"),  # 2012Q3
    ("r7", "2012-08-02", ALPHA, "yes", "credit_card"),  # 2012Q3
]

GOOD = [
    {"purchase_id": "p1", "purchased_at": "2012-11-10T10:00:00Z", "url": "HTTP://Alpha.test:80/join",
     "payment_type": "credit_card", "processor": "Example Card Gateway", "merchant_account": "m-1",
     "amount": "29.95", "currency": "usd", "outcome": "Approved"},
    {"purchase_id": "p2", "purchased_at": "2012-11-11", "url": BETA, "payment_type": "credit card",
     "processor": "Example Card Gateway", "merchant_account": "M-1", "amount": "19", "currency": "EUR"},
    {"purchase_id": "p3", "purchased_at": "2012-11-12", "url": UNREPORTED, "payment_type": "digital_wallet",
     "processor": "Example Wallet", "merchant_account": "W 7", "outcome": "declined"},
    {"purchase_id": "p4", "purchased_at": "2012-11-13", "url": DELTA, "payment_type": "sms",
     "processor": "Example SMS Billing", "merchant_account": "S-9"},
    {"purchase_id": "p10", "purchased_at": "2012-08-05", "url": ZETA, "payment_type": "credit_card",
     "processor": "Example Card Gateway", "merchant_account": "M-2"},
]  # fmt: skip

BAD = [  # (row, quarantine code)
    ({"purchase_id": "p5", "purchased_at": "2012-11-01", "url": ALPHA, "payment_type": "barter"}, "unknown_payment_type"),
    ({"purchase_id": "p6", "purchased_at": "2012-11-01", "url": "", "payment_type": "sms"}, "missing_url"),
    ({"purchase_id": "p7", "purchased_at": "yesterday", "url": ALPHA, "payment_type": "sms"}, "bad_date"),
    ({"purchase_id": "p8", "purchased_at": "2012-11-01", "url": ALPHA, "payment_type": "sms",
      "merchant_account": "X-1"}, "missing_processor"),
    ({"purchase_id": "p9", "purchased_at": "2012-11-01", "url": ALPHA, "payment_type": "sms", "amount": "abc"}, "bad_amount"),
    ({"purchase_id": "", "purchased_at": "2012-11-01", "url": ALPHA, "payment_type": "sms"}, "missing_purchase_id"),
    ({"purchase_id": "p11", "purchased_at": "2012-11-01", "url": "http://", "payment_type": "sms"}, "bad_url"),
    ({"purchase_id": "p12", "purchased_at": "2012-11-01", "url": ALPHA, "payment_type": "sms",
      "currency": "dollars"}, "bad_currency"),
    ({"purchase_id": "p13", "purchased_at": "2012-11-01", "url": ALPHA, "payment_type": ""}, "missing_payment_type"),
]  # fmt: skip


def write_purchases(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=PURCHASE_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_reports(path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["report_id", "source", "reported_at", "url", "commercial", "payment_types"])
        for report_id, when, url, commercial, types in REPORTS:
            writer.writerow([report_id, "HL-T", when, url, commercial, types])
    return path


def add_capture(store: Store, key: str, url: str, when: str, page: str, *, brand: str | None,
                cover: bool = False, identifiers: tuple[tuple[str, str, str], ...] = ()) -> None:  # fmt: skip
    """A capture with its page identifiers and attribution, inserted directly (focused test)."""
    canonical = canonicalize_url(url)
    now = datetime(2013, 1, 1)
    store.con.execute(
        "INSERT INTO captures VALUES (?, ?, 'HL-T', ?, ?, ?, ?, NULL, ?, 'caps', 1, 'sha', 'b', ?)",
        [key, key, datetime.fromisoformat(when), url, canonical.url, canonical.host, page, now],
    )
    for kind, value, where in identifiers:
        store.con.execute("INSERT INTO page_identifiers VALUES (?, ?, ?, ?, ?, false)", [page, kind, value, where, value])
    store.con.execute(
        "INSERT INTO capture_attribution VALUES (?, 's', 't', ?, NULL, ?)", [key, brand, cover]
    )


@pytest.fixture()
def world(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "v.duckdb")
    ReportIngest(store).run([write_reports(tmp_path / "reports.csv")])
    rows = GOOD + [GOOD[0]] + [row for row, _ in BAD]  # p1 twice: a duplicate
    summary = PurchaseIngest(store).run([write_purchases(tmp_path / "purchases.csv", rows)])
    assert (summary.total("stored"), summary.total("duplicates"), summary.total("quarantined")) == (5, 1, len(BAD))
    add_capture(store, "c1", BETA, "2012-11-03", "P1", brand="B1", identifiers=(
        ("processor_checkout", "https://pay.cardgate.test/checkout", "form[action]"),
        ("merchant_account", "example-card-gateway/M-1", "input[name=gw_merchant]"),
    ))  # fmt: skip
    add_capture(store, "c2", DELTA, "2012-11-04", "P2", brand="B2", identifiers=(
        ("btc_address", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "text"),
        ("phone", "+15555550100", "a[href=sms]"),
    ))  # fmt: skip
    add_capture(store, "c3", GAMMA, "2012-11-05", "P3", brand=None, cover=True,
                identifiers=(("iban", "GB82WEST12345698765432", "text"),))  # fmt: skip
    add_capture(store, "c4", ALPHA, "2012-11-06", "P4", brand="B1",
                identifiers=(("payment_processor", "example-wallet", "form[action]"),))  # fmt: skip
    yield store
    store.close()


def test_purchases_are_canonicalised_and_normalised(world: Store) -> None:
    got = world.con.execute(
        "SELECT purchase_id, url, host, payment_type, processor, merchant_account, amount, currency, outcome "
        "FROM test_purchases ORDER BY purchase_id"
    ).fetchall()
    assert got[0] == ("p1", ALPHA, "alpha.test", "credit_card", "Example Card Gateway", "M-1", 29.95, "USD", "approved")
    assert got[2][:6] == ("p2", BETA, "beta.test", "credit_card", "Example Card Gateway", "M-1")
    assert got[3][5] == "W7"
    assert [row[0] for row in got] == ["p1", "p10", "p2", "p3", "p4"]


def test_bad_rows_are_quarantined_with_file_line_and_code(world: Store) -> None:
    got = world.con.execute(
        "SELECT line, reason_code, reason FROM quarantine WHERE kind = 'purchase' ORDER BY line"
    ).fetchall()
    assert [code for _, code, _ in got] == [code for _, code in BAD]
    assert [line for line, _, _ in got] == list(range(8, 8 + len(BAD)))  # header, 5 good, 1 duplicate
    assert all(reason for _, _, reason in got)


def test_reingest_changes_nothing(world: Store, tmp_path: Path) -> None:
    before = world.con.execute("SELECT count(*) FROM test_purchases").fetchone()
    again = PurchaseIngest(world).run([tmp_path / "purchases.csv"])
    assert again.files[0].status == "already ingested"
    # The same purchases in another file (JSON Lines) are duplicates: keyed on purchase_id.
    jsonl = tmp_path / "more.jsonl"
    jsonl.write_text("".join(json.dumps(row) + "\n" for row in GOOD), encoding="utf-8")
    other = PurchaseIngest(world).run([jsonl])
    assert (other.total("stored"), other.total("duplicates"), other.total("quarantined")) == (0, len(GOOD), 0)
    assert world.con.execute("SELECT count(*) FROM test_purchases").fetchone() == before
    assert world.con.execute("SELECT count(*) FROM quarantine WHERE kind = 'purchase'").fetchone() == (len(BAD),)


@pytest.mark.parametrize(("row", "code"), BAD)
def test_parse_purchase_codes(row: dict[str, str], code: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        parse_purchase(row)
    assert caught.value.code == code


def test_payment_stats_on_the_hand_counted_world(world: Store) -> None:
    stats = payment_stats(world.engine, Period.parse("2012Q4"), trend_periods=2, processors=world_processors())
    assert stats["commercial_urls"] == 4  # alpha, beta, gamma, delta
    assert stats["urls_by_payment_type"] == [
        {"payment_type": "credit_card", "urls": 2, "share": 0.5},  # alpha (report, purchase), beta (capture, purchase)
        {"payment_type": "digital_wallet", "urls": 1, "share": 0.25},  # alpha (capture); the unreported URL is not counted
        {"payment_type": "sms", "urls": 1, "share": 0.25},  # delta (sms: link, purchase)
        {"payment_type": "unknown", "urls": 1, "share": 0.25},  # gamma (report)
        {"payment_type": "virtual_currency", "urls": 1, "share": 0.25},  # delta (btc address)
    ]
    assert stats["hidden_payment_share"] == 0.25  # gamma: only "unknown"; its IBAN is on a cover page
    assert stats["brands_by_payment_type"] == [
        {"payment_type": "credit_card", "brands": 1},
        {"payment_type": "digital_wallet", "brands": 1},
        {"payment_type": "sms", "brands": 1},
        {"payment_type": "virtual_currency", "brands": 1},
    ]
    assert stats["processors"] == [
        {"processor": "example-card-gateway", "urls": 2, "purchases": 2},
        {"processor": "example-sms-billing", "urls": 1, "purchases": 1},
        {"processor": "example-wallet", "urls": 1, "purchases": 1},
    ]
    assert stats["merchant_accounts"] == [
        {"processor": "example-card-gateway", "merchant_account": "M-1", "purchases": 2, "brands": 1},
        {"processor": "example-sms-billing", "merchant_account": "S-9", "purchases": 1, "brands": 1},
        {"processor": "example-wallet", "merchant_account": "W7", "purchases": 1, "brands": 0},
    ]
    assert stats["purchase_urls_unreported"] == 1
    assert stats["concentration"] == {
        "purchases": 4,
        "purchases_with_processor": 4,
        "processors_for_95": 3,
        "purchases_with_merchant_account": 4,
        "merchant_accounts_for_95": 3,
    }
    types = ["credit_card", "digital_wallet", "sms", "unknown", "virtual_currency"]
    q3 = {"credit_card": 2, "sms": 1}  # alpha and zeta by report, zeta by purchase
    q4 = {"credit_card": 2, "digital_wallet": 1, "sms": 1, "unknown": 1, "virtual_currency": 1}
    assert stats["trend"] == [{"period": "2012Q3", "payment_type": t, "urls": q3.get(t, 0)} for t in types] + [
        {"period": "2012Q4", "payment_type": t, "urls": q4[t]} for t in types
    ]


def test_an_empty_period_gives_zeros(world: Store) -> None:
    stats: dict[str, Any] = payment_stats(world.engine, Period.parse("2011Q1"), trend_periods=1, processors=world_processors())
    assert stats["commercial_urls"] == 0 and stats["hidden_payment_share"] == 0.0
    assert stats["urls_by_payment_type"] == [] and stats["processors"] == [] and stats["trend"] == []
    assert stats["concentration"]["processors_for_95"] == 0


@pytest.mark.parametrize(
    ("counts", "k"),
    [([60, 30, 6, 3, 1], 3), ([95, 5], 1), ([94, 5, 1], 2), ([1] * 20, 19), ([], 0), ([0, 0], 0), ([3, 2, 1], 3)],
)
def test_carriers_for_95_percent(counts: list[int], k: int) -> None:
    assert carriers_for(counts) == k
