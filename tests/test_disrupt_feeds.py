"""Partner feeds: golden files for a small fixed store, outcomes, and bad input."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from disrupt_helpers import DATA

from vigil.disrupt import casestore, workflow
from vigil.disrupt.cases import Case
from vigil.disrupt.clocks import Event
from vigil.disrupt.markings import Audience
from vigil.periods import Period
from vigil.store.store import Store

GOLDEN = DATA / "golden"
T0 = datetime(2012, 5, 1, 10, 0)
AS_OF = T0 + timedelta(days=60)


def _cases() -> list[Case]:
    base = dict(owner_org="hotline", marking="TLP:AMBER", ip="192.0.2.10", asn=64512, country="NL", hosting_org="Example Hosting 1",
                processor="Example Card Gateway", distributor="dist-1")
    return [
        Case(url="http://shop01.test/p1", host="shop01.test", domain="shop01.test", suffix="test", registrar="Example Registrar A",
             registry="Registry of .test", brand="brand-01", merchant_account="example-card-gateway:M-001", dedicated=True,
             emails=("sales@brand-01.example",), payment_forms=("https://pay.brand-01.example/checkout",), prices=("19.95 USD",),
             evidence_ref="capture:brand-01:p1", **base),  # type: ignore[arg-type]
        Case(url="http://shop01.example/p2", host="shop01.example", domain="shop01.example", suffix="example",
             registrar="Example Registrar B", registry="Registry of .example", brand="brand-01",
             merchant_account="example-card-gateway:M-001", dedicated=True, wallets=("btc:bc1qsynthwallet01",),
             prices=("0.01 BTC",), evidence_ref="capture:brand-01:p2", **base),  # type: ignore[arg-type]
        Case(url="http://shop02.freehost.test/p1", host="shop02.freehost.test", domain="freehost.test", suffix="test",
             registrar="Example Registrar A", registry="Registry of .test", brand="brand-02", dedicated=False,
             **{**base, "marking": "TLP:GREEN", "owner_org": "partner-hotline"}),  # type: ignore[arg-type]
        Case(url="http://secret.test/p1", host="secret.test", domain="secret.test", suffix="test", registrar="Example Registrar A",
             registry="Registry of .test", brand="brand-03", merchant_account="example-card-gateway:M-009",
             **{**base, "marking": "TLP:RED"}),  # type: ignore[arg-type]
        Case(url="http://theirs.test/p1", host="theirs.test", domain="theirs.test", suffix="test", registrar="Example Registrar A",
             registry="Registry of .test", brand="brand-04", wallets=("btc:bc1qsynthwallet99",),
             **{**base, "owner_org": "partner-hotline"}),  # type: ignore[arg-type]
    ]


def _events() -> list[Event]:
    events = []
    for n, case in enumerate(_cases()):
        at = T0 + timedelta(days=n * 10)
        events += [Event(case.url, "detected", at, "t"), Event(case.url, "assessed", at + timedelta(hours=2), "t"),
                   Event(case.url, "notice_sent", at + timedelta(hours=3), "t", "host:Example Hosting 1")]
    events.append(Event("http://shop01.test/p1", "offline", T0 + timedelta(days=2), "recheck:a"))
    events.append(Event("http://shop01.example/p2", "online", T0 + timedelta(days=12), "recheck:a"))
    return events


@pytest.fixture()
def con(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = Store(tmp_path / "f.duckdb")
    casestore.save_cases(store.con, _cases())
    casestore.add_events(store.con, _events())
    workflow.link(store.con)
    yield store.con
    store.close()


@pytest.mark.parametrize("feed", ["url-list", "domain-alerts", "tld-hopping", "payment-alerts", "crypto-alerts"])
def test_feed_matches_its_golden_file(con, tmp_path: Path, feed: str) -> None:  # type: ignore[no-untyped-def]
    audience = Audience(org="partners", clearance="TLP:AMBER", sender_org="hotline")
    files = workflow.write_feeds(con, feed, tmp_path, audience=audience, as_of=AS_OF, services=lambda w: "Example Exchange")
    for f in files:
        golden = GOLDEN / f.path.name
        if os.environ.get("UPDATE_GOLDEN"):
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_bytes(f.path.read_bytes())
        assert f.path.read_text() == golden.read_text(), f"{f.path.name} differs from {golden} (UPDATE_GOLDEN=1 rewrites)"
    text = "".join(f.path.read_text() for f in files)
    assert "secret.test" not in text and "theirs.test" not in text and "bc1qsynthwallet99" not in text


def test_outcomes_resolve_and_feed_the_league(con, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "outcomes.csv"
    path.write_text("item,outcome,at\nhttp://shop01.example/p2,removed,2012-05-20T00:00:00\n"
                    "example-card-gateway:M-001,account_closed,2012-05-21T00:00:00\nx,eaten,2012-05-21\n")
    summary = workflow.import_outcomes(con, path, partner="Example Card Gateway")
    assert summary.counts == {"outcomes": 2, "outcomes_new": 2, "resolved": 1, "errors": 1}
    assert "line 4" in summary.errors[0] and "eaten" in summary.errors[0]
    again = workflow.import_outcomes(con, path, partner="Example Card Gateway")
    assert again.counts["outcomes_new"] == 0
    stats = workflow.takedown_stats(con, period=Period.parse("2012Q2"), by="processor", as_of=AS_OF)
    [row] = stats["rows"]
    assert row["removed"] == 2 and row["outcomes"] == {"account closed": 2, "removed": 1}


def test_bad_case_lines_are_reported_and_the_run_goes_on(con, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cases.jsonl"
    path.write_text('{"url": "http://ok.test/a", "assessed_at": "2012-05-02T00:00:00"}\nnot json\n'
                    '{"url": "ftp://x.test/"}\n{"url": "http://m.test/", "marking": "PINK"}\n{"url": "http://a.test/", "asn": "x"}\n'
                    '{"url": "http://b.test/", "colour": 1}\n')
    summary = workflow.import_cases(con, path, owner_org="hotline", marking="TLP:AMBER")
    assert summary.counts["cases"] == 1 and summary.counts["errors"] == 5
    assert [e.split(": ")[1] for e in summary.errors] == ["line 2", "line 3", "line 4", "line 5", "line 6"]


def test_rechecks_with_bad_rows(con, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "r.csv"
    path.write_text("url,checked_at,status,analyst\nhttp://shop01.example/p2,2012-05-30T00:00:00Z,down,a\n"
                    "http://shop01.example/p2,yesterday,down,a\nhttp://shop01.example/p2,2012-05-30,maybe,a\nhttp://nope.test/,2012-05-30,up,a\n")
    summary = workflow.import_events(con, path, rechecks=True)
    assert summary.counts["events_new"] == 1 and summary.counts["errors"] == 3


def test_cases_are_built_from_the_evidence_store(tmp_path: Path) -> None:
    from vigil.synth.procfile import world_processors
    from vigil.disrupt.sync import sync_cases

    with Store(tmp_path / "e.duckdb") as store:
        con = store.con
        t = datetime(2012, 10, 1)
        for n, (url, host, ip, commercial) in enumerate([("http://shop01.test/a", "shop01.test", "192.0.2.10", True),
                                                         ("http://shop01.test/a", "shop01.test", "192.0.2.11", None),
                                                         ("http://x.freehost.test/b", "x.freehost.test", None, None)]):
            con.execute("INSERT INTO reports (report_key, report_id, source, reported_at, url_original, url, host, ip, commercial, "
                        "source_file, source_line, file_sha256, batch_id, ingested_at) VALUES (?, ?, 'h', ?, ?, ?, ?, ?, ?, 'f', ?, 's', 'b', ?)",
                        [f"k{n}", f"r{n}", t + timedelta(days=n), url, url, host, ip, commercial, n, t])
        con.execute("INSERT INTO hosts VALUES ('shop01.test', 'shop01.test', 'test', NULL, 'shop01.test', 'shop01', 'test'), "
                    "('x.freehost.test', 'freehost.test', 'test', 'freehost.test', 'x.freehost.test', 'x', 'test')")
        con.execute("INSERT INTO ip_info VALUES ('192.0.2.11', 'NL', 64512, 'Example Hosting 1', 'tsv')")
        con.execute("INSERT INTO captures VALUES ('c1', 'cap-1', 'h', ?, 'http://shop01.test/a', 'http://shop01.test/a', 'shop01.test', "
                    "NULL, 'p1', 'f', 1, 's', 'b', ?)", [t, t])
        con.execute("INSERT INTO capture_attribution VALUES ('c1', 'S-1', 'T-1', 'B-1', 'D-1', FALSE)")
        con.execute("INSERT INTO page_identifiers VALUES ('p1', 'merchant_account', 'example-card-gateway/M-1', 'form', 'M-1', TRUE), "
                    "('p1', 'btc_address', 'bc1qsynth', 'text', 'bc1qsynth', TRUE), ('p1', 'email', 'sales@b.example', 'text', 'x', TRUE)")
        counts = sync_cases(con, owner_org="hotline", marking="TLP:AMBER", processors=world_processors())
        assert counts == {"cases": 2, "events_new": 3, "assessed": 1}
        cases = {c.url: c for c in casestore.load_cases(con)}
        a = cases["http://shop01.test/a"]
        assert (a.ip, a.asn, a.country, a.hosting_org, a.domain, a.dedicated) == ("192.0.2.11", 64512, "NL", "Example Hosting 1", "shop01.test", True)
        assert (a.brand, a.distributor, a.processor, a.merchant_account) == ("B-1", "D-1", "Example Card Gateway", "example-card-gateway/M-1")
        assert a.wallets == ("btc:bc1qsynth",) and a.emails == ("sales@b.example",) and a.evidence_ref == "capture:cap-1"
        b = cases["http://x.freehost.test/b"]
        assert b.domain == "freehost.test" and not b.dedicated and b.brand is None
        assert sync_cases(con, owner_org="hotline", marking="TLP:AMBER")["events_new"] == 0
