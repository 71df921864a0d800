"""The takedown loop against a synthetic world's truth: league tables, reappearances, feeds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vigil.cli import app
from vigil.store.store import Store

PERIODS = ("2012", "2012Q2")
GROUPINGS = ("host", "asn", "country", "registrar", "processor")


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("takedown")
    out, db = root / "world", str(root / "w.duckdb")
    run("takedown", "synth", "--out", str(out), "--seed", "14")
    run("takedown", "import", str(out / "cases.jsonl"), "--db", db)
    run("takedown", "history", str(out / "history.csv"), "--db", db)
    run("takedown", "recheck", str(out / "rechecks.csv"), "--db", db)
    run("notices", "replies", str(out / "replies"), "--db", db)
    truth = json.loads((out / "truth" / "takedown.json").read_text())
    cases = [json.loads(line) for line in (out / "cases.jsonl").read_text().splitlines()]
    return {"out": out, "db": db, "truth": truth, "cases": cases, "root": root}


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("by", GROUPINGS)
def test_league_tables_equal_the_worlds_truth(world: dict[str, Any], period: str, by: str) -> None:
    got = json.loads(run("stats", "takedown", "--period", period, "--by", by, "--db", world["db"], "--format", "json"))
    assert got["as_of"] == world["truth"]["as_of"]
    assert got["rows"] == world["truth"]["league"][period][by]
    assert sum(r["noticed"] for r in got["rows"]) > 0


def test_reappearances_are_linked_exactly(world: dict[str, Any]) -> None:
    with Store(world["db"], read_only=True) as store:
        rows = store.con.execute("SELECT detail, url FROM takedown_events WHERE stage = 'reappeared' ORDER BY 1").fetchall()
    assert sorted([a, b] for a, b in rows) == world["truth"]["reappearances"]
    assert len(rows) >= 10


def test_bounces_mark_the_dead_mailbox(world: dict[str, Any]) -> None:
    audit = json.loads(run("takedown", "audit", "--db", world["db"], "--format", "json"))
    assert sorted(s["address"] for s in audit["contacts"]) == world["truth"]["unreliable"]


def _visible(case: dict[str, Any], *, org: str = "partners", clearance: str = "TLP:AMBER") -> bool:
    if case["marking"] == "TLP:RED" or case["marking"] == "TLP:AMBER+STRICT":
        return False
    if case["marking"] == "TLP:AMBER":
        return clearance != "TLP:GREEN" and case["owner_org"] in ("hotline", org)
    return True


def test_url_list_holds_exactly_the_live_urls_a_partner_may_see(world: dict[str, Any], tmp_path: Path) -> None:
    run("feed", "url-list", "--out", str(tmp_path), "--db", world["db"])
    doc = json.loads((tmp_path / "url-list.json").read_text())
    assert doc["version"] == "1" and doc["feed"] == "url-list" and doc["marking"] == "TLP:AMBER"
    live = set(world["truth"]["live_urls"])
    expected = {c["url"] for c in world["cases"] if c["url"] in live and _visible(c)}
    covered = {i["value"] for i in doc["items"] if i["type"] == "url"}
    domains = {i["value"] for i in doc["items"] if i["type"] == "domain"}
    covered |= {c["url"] for c in world["cases"] if c["url"] in expected and c["domain"] in domains}
    assert covered == expected and domains  # dedicated domains go in whole
    assert (tmp_path / "url-list.csv").read_text().startswith("version,marking,type,value,first_seen,last_checked,urls\n")


def test_tld_hopping_finds_the_brands_that_hopped(world: dict[str, Any], tmp_path: Path) -> None:
    run("feed", "tld-hopping", "--out", str(tmp_path), "--db", world["db"])
    doc = json.loads((tmp_path / "tld-hopping.json").read_text())
    suffixes: dict[str, set[str]] = {}
    for c in world["cases"]:
        if _visible(c):
            suffixes.setdefault(c["brand"], set()).add(c["suffix"])
    assert {i["brand"] for i in doc["items"]} == {b for b, s in suffixes.items() if len(s) > 1}
    assert set(world["truth"]["tld_hopping_brands"]) >= {i["brand"] for i in doc["items"]}


@pytest.mark.parametrize("feed", ["url-list", "domain-alerts", "tld-hopping", "payment-alerts", "crypto-alerts"])
@pytest.mark.parametrize("clearance", ["TLP:AMBER", "TLP:GREEN"])
def test_no_feed_carries_another_orgs_or_a_stricter_record(world: dict[str, Any], tmp_path: Path, feed: str,
                                                           clearance: str) -> None:
    run("feed", feed, "--out", str(tmp_path), "--db", world["db"], "--clearance", clearance)
    files = sorted(tmp_path.glob("*.json"))
    assert files
    forbidden = [c["url"] for c in world["cases"] if not _visible(c, clearance=clearance)]
    allowed = [c["url"] for c in world["cases"] if _visible(c, clearance=clearance)]
    assert forbidden and allowed
    text = "".join(f.read_text() for f in files)
    leaked = [u for u in forbidden if json.dumps(u) in text]
    assert leaked == []
    for f in files:
        doc = json.loads(f.read_text())
        order = ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER"]
        assert order.index(doc["marking"]) <= order.index(clearance)
    if feed in ("payment-alerts", "domain-alerts") or (feed == "url-list" and clearance == "TLP:AMBER"):
        assert any(json.dumps(u) in text for u in allowed)  # the filter is not simply empty


def test_partner_feeds_write_one_file_per_partner_and_are_audited(world: dict[str, Any], tmp_path: Path) -> None:
    run("feed", "payment-alerts", "--out", str(tmp_path), "--db", world["db"])
    names = sorted(p.name for p in tmp_path.glob("*.json"))
    assert names == ["payment-alerts-example-card-gateway.json", "payment-alerts-example-sms-billing.json",
                     "payment-alerts-example-wallet.json"]
    doc = json.loads((tmp_path / names[0]).read_text())
    assert doc["recipient"] == "Example Card Gateway"
    assert all(i["merchant_account"].startswith("example-card-gateway:") for i in doc["items"])
    audit = json.loads(run("takedown", "audit", "--db", world["db"], "--format", "json"))
    assert {d["recipient"] for d in audit["deliveries"] if d["name"] == "payment-alerts"} >= {"Example Card Gateway"}


def test_feeds_are_deterministic(world: dict[str, Any], tmp_path: Path) -> None:
    for n in (1, 2):
        run("feed", "domain-alerts", "--out", str(tmp_path / str(n)), "--db", world["db"])
    first = {p.name: p.read_bytes() for p in (tmp_path / "1").glob("*.json")}
    assert first and first == {p.name: p.read_bytes() for p in (tmp_path / "2").glob("*.json")}


def test_the_report_has_a_takedown_section_with_a_chart(world: dict[str, Any], tmp_path: Path) -> None:
    from vigil.periods import Period
    from vigil.publish.report import render_report

    with Store(world["db"], read_only=True) as store:
        got = render_report(store, Period.parse("2012"), out=tmp_path, formats=("md",))
    text = got["md"].read_text(encoding="utf-8")
    section = text.split("Notice and takedown", 1)[1].split("\n## ", 1)[0]
    top = world["truth"]["league"]["2012"]["host"][0]
    assert top["group"] in section and "Time to removal by registrar" in section
    assert (got["charts"] / "takedown-median.png").is_file()
