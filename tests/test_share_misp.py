"""MISP events and feed: PyMISP loads them, markings hold, re-export is identical, import round trip."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pymisp import MISPEvent
from sharefixtures import GREEN_URLS, MERCHANT, STRICT_EMAIL, STRICT_URL, build_store
from typer.testing import CliRunner

from vigil.cli import app
from vigil.share.facts import Scope
from vigil.share.imports import import_files
from vigil.share.misp import misp_events, write_feed
from vigil.share.misp_import import read_misp
from vigil.store import Store

Q4 = (date(2012, 10, 1), date(2013, 1, 1))


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("misp") / "v.duckdb")


def _feed(db: Path, out: Path, marking: str, per: str = "distributor") -> Path:
    with Store(db, read_only=True) as store:
        write_feed(misp_events(store, Scope(*Q4, marking), per=per, label="2012Q4"), out)
    return out


def test_the_feed_loads_with_pymisp_and_its_manifest_lists_every_event(db: Path, tmp_path: Path) -> None:
    feed = _feed(db, tmp_path / "feed", "AMBER+STRICT")
    manifest = json.loads((feed / "manifest.json").read_text())
    files = sorted(p.stem for p in feed.glob("*.json") if p.name != "manifest.json")
    assert sorted(manifest) == files and len(files) == 3  # no distributor, D-1, D-2
    urls: set[str] = set()
    for uuid in files:
        event = MISPEvent()
        event.load_file(str(feed / f"{uuid}.json"))
        assert event.uuid == uuid and event.info.startswith("Vigil 2012Q4")
        assert [t.name for t in event.tags] == ["tlp:amber+strict"]
        for obj in event.objects:
            for attr in obj.attributes:
                assert any(t.name.startswith("tlp:") for t in attr.tags)
                if attr.type == "url":
                    urls.add(attr.value)
    assert set(GREEN_URLS) | {STRICT_URL} <= urls
    assert (feed / "hashes.csv").read_text().count("\n") > 0


def test_a_green_feed_holds_nothing_amber_strict_and_is_byte_identical_again(db: Path, tmp_path: Path) -> None:
    one = _feed(db, tmp_path / "a", "GREEN", per="period")
    two = _feed(db, tmp_path / "b", "GREEN", per="period")
    texts = {p.name: p.read_bytes() for p in one.iterdir()}
    assert texts == {p.name: p.read_bytes() for p in two.iterdir()}
    everything = b"".join(texts.values()).decode()
    for secret in (STRICT_URL, STRICT_EMAIL, "B-5", "B-3", "amber+strict", "D-1", "D-2"):
        assert secret not in everything, secret
    assert "M100" in everything and GREEN_URLS[0] in everything and MERCHANT.split("/")[0] in everything


def test_the_feed_imports_back_with_its_markings(db: Path, tmp_path: Path) -> None:
    feed = _feed(db, tmp_path / "feed", "AMBER+STRICT")
    with Store(tmp_path / "in.duckdb") as store:
        files = sorted(p for p in feed.glob("*.json") if p.name != "manifest.json")
        summary = import_files(store, files, kind="misp", reader=read_misp, source=None, marking="AMBER",
                               clearance="AMBER+STRICT")  # fmt: skip
        reports = dict(store.con.execute("SELECT r.url, m.marking FROM reports r JOIN report_markings m USING (report_key)").fetchall())
    assert sum(f.quarantined for f in summary.files) == 0
    assert {u: reports[u] for u in GREEN_URLS} == dict.fromkeys(GREEN_URLS, "GREEN")
    assert reports[STRICT_URL] == "AMBER+STRICT"


def _event(*attributes: Any, tags: list[str] | None = None) -> dict[str, Any]:
    return {"Event": {"info": "partner", "uuid": "11111111-1111-4111-8111-111111111111", "date": "2012-10-01",
                      "Tag": [{"name": t} for t in tags or []], "Attribute": list(attributes), "Object": []}}  # fmt: skip


GOOD = {"type": "url", "value": "http://partner.example/", "uuid": "22222222-2222-4222-8222-222222222222",
        "timestamp": "1349049600"}  # fmt: skip


@pytest.mark.parametrize(("attr", "code"), [
    ({"type": "url", "value": 5}, "misp_schema"),
    ({"type": "url", "value": "http://x.example/" + "a" * 70_000}, "string_too_long"),
    ({"type": "url", "value": "http://y.example/", "Tag": [{"name": "tlp:ultraviolet"}]}, "unknown_marking"),
    ({"type": "url", "value": "http://z.example/", "Tag": [{"name": "tlp:red"}]}, "marking_refused"),
    ({"type": "url", "value": "nonsense://"}, "bad_url"),
])  # fmt: skip
def test_a_bad_attribute_is_quarantined_and_the_good_one_kept(attr: dict[str, Any], code: str, tmp_path: Path) -> None:
    (tmp_path / "e.json").write_text(json.dumps(_event(GOOD, attr)))
    with Store(tmp_path / "v.duckdb") as store:
        result = import_files(store, [tmp_path / "e.json"], kind="misp", reader=read_misp, source=None,
                              marking="GREEN", clearance="AMBER").files[0]  # fmt: skip
        assert (result.reports, result.quarantined) == (1, 1)
        assert store.con.execute("SELECT reason_code FROM quarantine").fetchall() == [(code,)]
        assert store.con.execute("SELECT url FROM reports").fetchall() == [("http://partner.example/",)]
        assert store.con.execute("SELECT count(*) FROM shared_objects").fetchone() == (1,)


@pytest.mark.parametrize(("text", "code"), [
    ('{"Event": {"info": "x", "Attribute": [', "bad_json"), ('{"Event": {"Attribute": "no"}}', "not_misp"),
    ('{"Event": ' * 50 + "1" + "}" * 50, "too_deep"),
])  # fmt: skip
def test_a_bad_event_is_refused_whole(text: str, code: str, tmp_path: Path) -> None:
    (tmp_path / "e.json").write_text(text)
    result = CliRunner().invoke(app, ["ingest", "misp", str(tmp_path / "e.json"), "--db", str(tmp_path / "v.duckdb")])
    assert result.exit_code == 0 and "Traceback" not in result.output
    with Store(tmp_path / "v.duckdb", read_only=True) as store:
        assert store.con.execute("SELECT reason_code FROM quarantine").fetchall() == [(code,)]
        assert store.con.execute("SELECT count(*) FROM reports").fetchone() == (0,)


def test_cli_export_misp(db: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["export", "misp", "--period", "2012Q4", "--marking", "GREEN", "--db", str(db),
                                      "-o", str(tmp_path / "e.json")])  # fmt: skip
    assert result.exit_code == 0, result.output
    event = MISPEvent()
    event.load_file(str(tmp_path / "e.json"))
    assert event.info == "Vigil 2012Q4: commercial distribution sites (TLP:GREEN)"
