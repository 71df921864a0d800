"""§2.2 offers and §2.3 channels on a small hand-counted world.

Fictional names only: sites under .test and .onion names made of placeholder letters, the
fictional processors of a synthetic world's processors.toml (given explicitly), placeholder plan names.
"""

from __future__ import annotations

import csv
import hashlib
import json
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vigil.analyse.channels import channel_stats
from vigil.analyse.offers import offer_stats, quantile
from vigil.analyse.rates import load_rates
from vigil.analyse.search import mann_kendall
from vigil.cli import app
from vigil.enrich.channels import decide_channels
from vigil.enrich.market_pages import scan_market_pages
from vigil.errors import ConfigError
from vigil.ingest.reports import ReportIngest
from vigil.periods import Period
from vigil.store import Store
from vigil.synth.procfile import world_processors
from vigil.urls import canonicalize_url

REPORTS = [
    # report_id, reported_at, url, commercial, channel
    ("r1", "2012-02-01", "http://plain.test/", "yes", ""),
    ("r2", "2012-02-02", "http://abcdefgh.onion/", "no", ""),
    ("r3", "2012-05-01", "http://abcdefgh.onion/x", "no", ""),
    ("r4", "2012-08-01", "http://bcdefghi.onion/", "yes", ""),
    ("r5", "2012-11-01", "http://cdefghij.onion/", "yes", ""),
    ("r6", "2012-11-02", "http://defghijk.onion/", "yes", ""),
    ("r7", "2012-05-03", "http://locker.test/f/1", "yes", "Cyberlocker"),
    ("r8", "2012-08-03", "http://board.test/t/1", "no", ""),
    ("r9", "2012-11-05", "http://share.test/x", "yes", ""),
    ("r10", "2012-11-06", "http://gallery.test/forum/7", "no", ""),
    ("r11", "2012-11-07", "http://plain.test/", "yes", "telegraph"),  # quarantined: unknown_channel
]

PAGES = {
    "P1": "<html><body><p>Gold USD 19.99/month</p><p>3-day trial $1.95</p></body></html>",
    "P2": "<html><body><p>Lifetime access only 99 EUR</p><p>Single set &euro;4.99</p></body></html>",
    "P3": "<html><body><ul><li>&pound;10 per month</li><li>Pay per view 2,50 €</li><li>¥500 each</li></ul></body></html>",
    "P4": "<html><body><table><tr><td>Plan</td><td>19,95 EUR monthly</td></tr></table></body></html>",
    "P5": "<html><body><p>Garden chairs €1000</p></body></html>",  # a cover page: not counted
    "P6": "<html><body><p>Gold USD 14.99/month</p><p>Updated 2012-08-01, 1,234 members</p></body></html>",
    "F1": '<html><head><meta name="generator" content="phpBB 3"></head><body><p>Topic 12</p></body></html>',
    "M1": '<html><body><a href="magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567">get</a></body></html>',
}

CAPTURES = [
    # key, url, captured_at, page, brand, distributor, cover
    ("c1", "http://one.test/join", "2012-11-01", "P1", "B1", "D1", False),
    ("c2", "http://one.test/join", "2012-11-20", "P1", "B1", "D1", False),
    ("c3", "http://two.test/", "2012-12-01", "P2", "B2", "D1", False),
    ("c4", "http://three.test/", "2012-10-05", "P3", "B3", "D2", False),
    ("c5", "http://four.test/", "2012-10-10", "P4", None, None, False),
    ("c6", "http://five.test/", "2012-10-11", "P5", None, None, True),
    ("c7", "http://one.test/join", "2012-08-01", "P6", "B1", "D1", False),
    ("c8", "http://board.test/t/1", "2012-08-03", "F1", None, None, False),
    ("c9", "http://share.test/x", "2012-11-05", "M1", None, None, False),
]

IDENTIFIERS = [  # page, kind, value
    ("P1", "btc_address", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),
    ("P2", "payment_processor", "example-card-gateway"),
]

RATES = "date,currency,eur\n2012-07-01,USD,0.80\n2012-11-15,USD,0.75\n2012-10-01,GBP,1.25\n"


def _sha(name: str) -> str:
    return hashlib.sha256(PAGES[name].encode()).hexdigest()


@pytest.fixture()
def world(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "v.duckdb")
    with open(tmp_path / "reports.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["report_id", "source", "reported_at", "url", "commercial", "channel"])
        for report_id, when, url, commercial, channel in REPORTS:
            writer.writerow([report_id, "HL-T", when, url, commercial, channel])
    ReportIngest(store).run([tmp_path / "reports.csv"])
    now = datetime(2013, 1, 1)
    for name, html in PAGES.items():
        blob = zlib.compress(html.encode())
        store.con.execute("INSERT INTO pages VALUES (?, ?, ?, 0, 'b', ?)", [_sha(name), blob, len(html), now])
    for key, url, when, page, brand, dist, cover in CAPTURES:
        canonical = canonicalize_url(url)
        store.con.execute(
            "INSERT INTO captures VALUES (?, ?, 'HL-T', ?, ?, ?, ?, NULL, ?, 'caps', 1, 'sha', 'b', ?)",
            [key, key, datetime.fromisoformat(when), url, canonical.url, canonical.host, _sha(page), now],
        )
        store.con.execute("INSERT INTO capture_attribution VALUES (?, 's', 't', ?, ?, ?)", [key, brand, dist, cover])
    for page, kind, value in IDENTIFIERS:
        store.con.execute("INSERT INTO page_identifiers VALUES (?, ?, ?, 'text', ?, false)", [_sha(page), kind, value, value])
    store.con.execute("INSERT INTO url_site_types VALUES ('http://gallery.test/forum/7', 'forum', 'rule', 'forum-path', "
                      "'URL path names a forum page (/forum)')")  # fmt: skip
    assert scan_market_pages(store) == len(PAGES)
    assert scan_market_pages(store) == 0  # cached by page
    decide_channels(store.engine)
    (tmp_path / "rates.csv").write_text(RATES, encoding="utf-8")
    yield store
    store.close()


def test_offers_are_stored_per_page_with_their_spans(world: Store) -> None:
    rows = world.con.execute("""
        SELECT o.page_sha256, o.offer_type, o.period_days, o.amount, o.currency, o.span_start, o.span_end
        FROM page_offers o ORDER BY o.page_sha256, o.offer_no""").fetchall()  # fmt: skip
    by_sha = {_sha(n): n for n in PAGES}
    got = {(by_sha[sha], kind, days, amount, cur, PAGES[by_sha[sha]][a:b]) for sha, kind, days, amount, cur, a, b in rows}
    assert got == {
        ("P1", "subscription", 30, 19.99, "USD", "USD 19.99/month"), ("P1", "trial", 3, 1.95, "USD", "$1.95"),
        ("P2", "lifetime", None, 99.0, "EUR", "99 EUR"), ("P2", "per_item", None, 4.99, "EUR", "&euro;4.99"),
        ("P3", "subscription", 30, 10.0, "GBP", "&pound;10 per month"), ("P3", "pay_per_view", None, 2.5, "EUR", "2,50 €"),
        ("P3", "per_item", None, 500.0, "JPY", "¥500"), ("P4", "subscription", 30, 19.95, "EUR", "19,95 EUR monthly"),
        ("P5", "unknown", None, 1000.0, "EUR", "€1000"), ("P6", "subscription", 30, 14.99, "USD", "USD 14.99/month"),
    }  # fmt: skip
    per_capture = world.con.execute("SELECT count(*) FROM capture_offers WHERE capture_key = 'c2'").fetchone()
    assert per_capture == (2,)
    by_brand = world.con.execute("""
        SELECT offer_type, amount, currency, first_seen, last_seen, captures FROM brand_offers
        WHERE brand_id = 'B1' ORDER BY first_seen, amount""").fetchall()  # fmt: skip
    assert by_brand == [
        ("subscription", 14.99, "USD", datetime(2012, 8, 1), datetime(2012, 8, 1), 1),
        ("trial", 1.95, "USD", datetime(2012, 11, 1), datetime(2012, 11, 20), 2),
        ("subscription", 19.99, "USD", datetime(2012, 11, 1), datetime(2012, 11, 20), 2),
    ]


def test_offer_stats_on_the_hand_counted_world(world: Store, tmp_path: Path) -> None:
    stats = offer_stats(world.engine, Period.parse("2012Q4"), rates=load_rates(tmp_path / "rates.csv"), trend_periods=2,
                        processors=world_processors())
    assert (stats["price_points"], stats["unconverted"], stats["brands_with_offers"], stats["sellers_with_offers"]) == (8, 1, 3, 4)
    # subscriptions: B1 19.99 USD seen 11-01 at 0.80 = 15.99; B3 10 GBP at 1.25 = 12.50; four.test 19.95 EUR
    assert stats["prices_by_offer_type"] == [
        {"offer_type": "subscription", "n": 3, "min_eur": 12.5, "q1_eur": 14.245, "median_eur": 15.99, "q3_eur": 17.97,
         "max_eur": 19.95, "unconverted": 0, "previous_median_eur": 11.99, "median_change_eur": 4.0},
        {"offer_type": "pay_per_view", "n": 1, "min_eur": 2.5, "q1_eur": 2.5, "median_eur": 2.5, "q3_eur": 2.5,
         "max_eur": 2.5, "unconverted": 0, "previous_median_eur": None, "median_change_eur": None},
        {"offer_type": "per_item", "n": 1, "min_eur": 4.99, "q1_eur": 4.99, "median_eur": 4.99, "q3_eur": 4.99,
         "max_eur": 4.99, "unconverted": 1, "previous_median_eur": None, "median_change_eur": None},
        {"offer_type": "lifetime", "n": 1, "min_eur": 99.0, "q1_eur": 99.0, "median_eur": 99.0, "q3_eur": 99.0,
         "max_eur": 99.0, "unconverted": 0, "previous_median_eur": None, "median_change_eur": None},
        {"offer_type": "trial", "n": 1, "min_eur": 1.56, "q1_eur": 1.56, "median_eur": 1.56, "q3_eur": 1.56,
         "max_eur": 1.56, "unconverted": 0, "previous_median_eur": None, "median_change_eur": None},
    ]  # fmt: skip
    assert stats["brands_by_offer_type"] == [
        {"offer_type": "subscription", "brands": 2, "share": 2 / 3}, {"offer_type": "pay_per_view", "brands": 1, "share": 1 / 3},
        {"offer_type": "per_item", "brands": 2, "share": 2 / 3}, {"offer_type": "lifetime", "brands": 1, "share": 1 / 3},
        {"offer_type": "trial", "brands": 1, "share": 1 / 3},
    ]  # fmt: skip
    assert [(r["period_days"], r["n"], r["median_eur"]) for r in stats["subscriptions_by_period"]] == [(30, 3, 15.99)]
    assert stats["prices_by_distributor"] == [
        {"distributor_id": "D1", "brands": 2, "price_points": 4, "median_eur": 10.49,
         "offer_types": ["lifetime", "per_item", "subscription", "trial"]},
        {"distributor_id": "D2", "brands": 1, "price_points": 3, "median_eur": 7.5,
         "offer_types": ["pay_per_view", "per_item", "subscription"]},
    ]  # fmt: skip
    assert stats["currencies"] == [
        {"currency": "EUR", "price_points": 4, "brands": 2}, {"currency": "USD", "price_points": 2, "brands": 1},
        {"currency": "GBP", "price_points": 1, "brands": 1}, {"currency": "JPY", "price_points": 1, "brands": 1},
    ]  # fmt: skip
    assert stats["payment_types"] == [
        {"payment_type": "credit_card", "brands": 1, "share": 1 / 3},
        {"payment_type": "virtual_currency", "brands": 1, "share": 1 / 3},
    ]
    assert stats["virtual_currency_share"] == [
        {"period": "2012Q3", "brands": 1, "brands_virtual": 0, "share": 0.0},
        {"period": "2012Q4", "brands": 3, "brands_virtual": 1, "share": 1 / 3},
    ]
    assert stats["virtual_currency_trend"]["trend"] == "no trend"


def test_without_rates_only_euro_prices_convert(world: Store) -> None:
    stats = offer_stats(world.engine, Period.parse("2012Q4"), rates=load_rates(None), trend_periods=1, processors=world_processors())
    assert stats["unconverted"] == 4  # two USD, one GBP, one JPY
    subs = stats["prices_by_offer_type"][0]
    assert (subs["n"], subs["unconverted"], subs["median_eur"]) == (1, 2, 19.95)


def test_channels_are_decided_with_their_reasons(world: Store) -> None:
    got = {u: (c, by, rule) for u, c, by, rule in world.con.execute(
        "SELECT url, channel, decided_by, rule FROM url_channels").fetchall()}  # fmt: skip
    assert got["http://plain.test/"] == ("web", "default", None)
    assert got["http://abcdefgh.onion/x"] == ("hidden_service", "rule", "tor-hidden-service")
    assert got["http://locker.test/f/1"] == ("cyberlocker", "report", None)
    assert got["http://board.test/t/1"] == ("forum", "page", "forum_generator")
    assert got["http://share.test/x"] == ("p2p", "page", "magnet_link")
    assert got["http://gallery.test/forum/7"] == ("forum", "site_type", "forum-path")
    assert got["http://one.test/join"] == ("web", "default", None)  # captured, never reported: still decided
    reason = world.con.execute("SELECT reason FROM url_channels WHERE url = 'http://locker.test/f/1'").fetchone()
    assert reason == ("reported as cyberlocker by HL-T in report r7 on 2012-05-03",)
    held = world.con.execute("SELECT reason_code FROM quarantine WHERE kind = 'report'").fetchall()
    assert held == [("unknown_channel",)]


def test_channel_stats_on_the_hand_counted_world(world: Store) -> None:
    stats = channel_stats(world.engine, start="2012Q1", end="2012Q4")
    assert [p["period"] for p in stats["periods"]] == ["2012Q1", "2012Q2", "2012Q3", "2012Q4"]
    by = {c["channel"]: c for c in stats["channels"]}
    assert list(by) == ["web", "hidden_service", "p2p", "cyberlocker", "forum"]
    hidden = by["hidden_service"]
    series = {(s["channel"], s["period"]): (s["urls"], s["commercial_urls"]) for s in stats["series"]}
    quarters = ["2012Q1", "2012Q2", "2012Q3", "2012Q4"]
    assert [series["hidden_service", q] for q in quarters] == [(1, 0), (1, 0), (1, 1), (2, 2)]
    assert (hidden["urls"], hidden["commercial_urls"]) == (5, 3)
    mk = mann_kendall([0.0, 0.0, 1.0, 1.0])
    assert hidden["share_trend"] == mk.trend == "no trend" and hidden["share_p"] == round(mk.p, 6)
    assert [series["forum", q] for q in quarters] == [(0, 0), (0, 0), (1, 0), (1, 0)]
    assert (by["web"]["urls"], by["web"]["commercial_urls"]) == (1, 1)  # plain.test: one URL, reported once
    assert stats["emerging"] == []


def test_cli_stats_offers_and_channels(world: Store, tmp_path: Path) -> None:
    db = str(tmp_path / "v.duckdb")
    world.close()
    runner = CliRunner()
    got = runner.invoke(app, ["stats", "offers", "--period", "2012Q4", "--rates", str(tmp_path / "rates.csv"),
                              "--format", "json", "--db", db])  # fmt: skip
    assert got.exit_code == 0, got.output
    assert json.loads(got.stdout)["price_points"] == 8
    got = runner.invoke(app, ["stats", "channels", "--from", "2012Q1", "--to", "2012Q4", "--db", db])
    assert got.exit_code == 0, got.output
    bad = tmp_path / "bad.csv"
    bad.write_text("date,currency,eur\n2012-01-01,USD,-1\n", encoding="utf-8")
    got = runner.invoke(app, ["stats", "offers", "--period", "2012Q4", "--rates", str(bad), "--db", db])
    assert got.exit_code == 2 and "line 2" in got.output and "Traceback" not in got.output


@pytest.mark.parametrize(("text", "where"), [
    ("currency,eur\nUSD,1\n", "line 1"), ("date,currency,eur\n2012-13-01,USD,1\n", "line 2"),
    ("date,currency,eur\n2012-01-01,DOLLAR,1\n", "line 2"), ("date,currency,eur\n2012-01-01,USD,x\n", "line 2"),
    ("date,currency,eur\n2012-01-01,USD,1\n2012-01-01,USD,2\n", "line 3"),
])  # fmt: skip
def test_bad_rate_files_name_the_line(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=where):
        load_rates(path)


def test_quantile_is_type_7() -> None:
    assert [quantile([1.0, 2.0, 3.0, 4.0], q) for q in (0.25, 0.5, 0.75)] == [1.75, 2.5, 3.25]
    assert quantile([5.0], 0.25) == 5.0
