"""The delivery log: each notice and feed sent is one hash-chained entry; tampering is named at its row."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vigil.cli import app
from vigil.disrupt import casestore, deliverylog
from vigil.store.store import Store

T0 = datetime(2012, 10, 1, 9, 0)


def _notice(n: int, *, attempt: int = 1) -> dict[str, object]:
    return {"notice_id": f"n-{n}", "recipient": f"host:AS6449{n}", "role": "host", "address": f"abuse{n}@hosting.example",
            "bundle": f"b-{n}", "urls": [f"https://shop{n}.example/a", f"https://shop{n}.example/b"], "marking": "TLP:AMBER",
            "attempt": attempt, "sent_at": T0.replace(hour=9 + n), "transport": f"outbox/n-{n}.eml",
            "message_id": f"<n-{n}@hotline.example>"}  # fmt: skip


def _world(db: Path) -> None:
    with Store(db) as store:
        casestore.record_notices(store.con, [_notice(1), _notice(2)])
        casestore.record_delivery(store.con, feed="url-list", recipient="partners", marking="TLP:GREEN", items=7,
                                  path="feeds/url-list.json", sha256="ab" * 32, at=T0.replace(hour=12))  # fmt: skip
        casestore.record_notices(store.con, [_notice(2), _notice(3)])  # n-2 again: recorded once
        casestore.record_delivery(store.con, feed="crypto-alerts", recipient="partners", marking="TLP:AMBER", items=2,
                                  path="feeds/crypto-alerts.json", sha256="cd" * 32, at=T0.replace(hour=13))  # fmt: skip


def test_the_first_entry_hashes_as_documented(tmp_path: Path) -> None:
    db = tmp_path / "d.duckdb"
    _world(db)
    text = json.dumps(["0" * 64, 1, "2012-10-01T10:00:00.000000", "notice", "n-1.1", "host:AS64491", "abuse1@hosting.example",
                       "TLP:AMBER", 2, ["https://shop1.example/a", "https://shop1.example/b"], "outbox/n-1.eml",
                       "<n-1@hotline.example>"], separators=(",", ":"))  # fmt: skip
    with Store(db, read_only=True) as store:
        rows = store.con.execute("SELECT seq, kind, name, prev_hash, entry_hash FROM delivery_log ORDER BY seq").fetchall()
        assert deliverylog.verify_log(store.con) == []
    assert [(s, k, n) for s, k, n, _, _ in rows] == [(1, "notice", "n-1.1"), (2, "notice", "n-2.1"), (3, "feed", "url-list"),
                                                     (4, "notice", "n-3.1"), (5, "feed", "crypto-alerts")]  # fmt: skip
    assert rows[0][4] == hashlib.sha256(text.encode()).hexdigest()
    assert all(rows[i][3] == rows[i - 1][4] for i in range(1, len(rows)))


@pytest.mark.parametrize(("tamper", "expected"), [
    ("UPDATE delivery_log SET marking = 'TLP:CLEAR' WHERE seq = 2", "entry 2: edited"),
    ("UPDATE delivery_log SET recipient = 'someone-else' WHERE seq = 3", "entry 3: edited"),
    ("DELETE FROM delivery_log WHERE seq = 2", "entry 2: deleted"),
    ("UPDATE delivery_log SET seq = CASE seq WHEN 3 THEN 4 ELSE 3 END WHERE seq IN (3, 4)", "entry 3: reordered"),
    ("UPDATE notices SET marking = 'TLP:CLEAR' WHERE notice_id = 'n-3.1'", "entry 4: notice n-3.1: its row in notices differs"),
    ("DELETE FROM notices WHERE notice_id = 'n-1.1'", "entry 1: notice n-1.1: its row in notices was deleted"),
    ("UPDATE feed_deliveries SET items = 70 WHERE feed = 'url-list'", "feed url-list to partners at 2012-10-01T12:00:00: in feed_deliveries"),
    ("DELETE FROM feed_deliveries WHERE feed = 'crypto-alerts'", "entry 5: feed crypto-alerts: its row in feed_deliveries"),
])  # fmt: skip
def test_tampering_with_one_row_is_named_at_that_row(tmp_path: Path, tamper: str, expected: str) -> None:
    db = tmp_path / "d.duckdb"
    _world(db)
    runner = CliRunner()
    intact = runner.invoke(app, ["takedown", "verify-log", "--db", str(db)])
    assert intact.exit_code == 0 and "delivery log intact: 5 entries" in intact.output, intact.output
    with Store(db) as store:
        store.con.execute(tamper)
    got = runner.invoke(app, ["takedown", "verify-log", "--db", str(db)])
    assert got.exit_code == 1, got.output
    assert got.output.splitlines()[0].startswith(f"delivery log: {expected}"), got.output


def test_deleting_the_last_entry_needs_the_kept_head(tmp_path: Path) -> None:
    db = tmp_path / "d.duckdb"
    _world(db)
    with Store(db) as store:
        _, kept = deliverylog.head(store.con)
        store.con.execute("DELETE FROM delivery_log WHERE seq = 5")
        store.con.execute("DELETE FROM feed_deliveries WHERE feed = 'crypto-alerts'")
    runner = CliRunner()
    assert runner.invoke(app, ["takedown", "verify-log", "--db", str(db)]).exit_code == 0  # a shorter chain is a valid chain
    got = runner.invoke(app, ["takedown", "verify-log", "--db", str(db), "--head", kept])
    assert got.exit_code == 1 and "truncated" in got.output, got.output


def test_deliveries_recorded_before_the_log_are_chained_first(tmp_path: Path) -> None:
    db = tmp_path / "d.duckdb"
    with Store(db) as store:  # rows as a store from before the delivery log holds them
        store.con.execute("INSERT INTO feed_deliveries VALUES ('url-list', 'partners', 'TLP:GREEN', 3, 'old.json', ?, ?)", ["ef" * 32, T0])
        assert str(deliverylog.verify_log(store.con)[0]).startswith("feed url-list to partners")
        casestore.record_notices(store.con, [_notice(1)])
        rows = store.con.execute("SELECT seq, kind, name, reference FROM delivery_log ORDER BY seq").fetchall()
        assert rows == [(1, "feed", "url-list", "sha256:" + "ef" * 32), (2, "notice", "n-1.1", "<n-1@hotline.example>")]
        assert deliverylog.verify_log(store.con) == []
