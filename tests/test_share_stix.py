"""STIX 2.1 export and import: validity, determinism, markings, round trips, hostile bundles."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sharefixtures import GREEN_URLS, MERCHANT, STRICT_EMAIL, STRICT_URL, build_store
from stix2validator import ValidationOptions, validate_parsed_json

from vigil.share.facts import Scope
from vigil.share.imports import import_files
from vigil.share.stix import write_stix
from vigil.share.stix_import import read_stix
from vigil.store import Store

Q4 = (date(2012, 10, 1), date(2013, 1, 1))


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("share") / "v.duckdb")


def export(db: Path, marking: str, distributor: str | None = None) -> bytes:
    buf = io.BytesIO()
    with Store(db, read_only=True) as store:
        write_stix(store, Scope(*Q4, marking, distributor), buf)
    return buf.getvalue()


def assert_valid(bundle: dict[str, Any]) -> None:
    result = validate_parsed_json(bundle, ValidationOptions(version="2.1"))
    results = result if isinstance(result, list) else [result]
    errors = [str(e) for r in results for e in r.errors]
    assert not errors, errors[:5]


def test_a_green_export_validates_and_holds_what_is_green(db: Path) -> None:
    bundle = json.loads(export(db, "GREEN"))
    assert_valid(bundle)
    objects = bundle["objects"]
    urls = {o["value"] for o in objects if o["type"] == "url"}
    assert set(GREEN_URLS) <= urls
    names = {o.get("name") for o in objects}
    assert {"brand B-1", "brand B-2"} <= names
    assert any(o["type"] == "merchant-account" and o["value"] == MERCHANT for o in objects)
    for o in objects:
        if o["type"] != "marking-definition":
            assert o["object_marking_refs"], o["id"]


def test_an_amber_strict_record_never_appears_in_a_green_export_nor_in_a_count(db: Path) -> None:
    text = export(db, "GREEN").decode()
    for secret in (STRICT_URL, STRICT_EMAIL, "B-5", "B-3", "B-4", "D-2", "strict-b5", "AMBER+STRICT",
                   "939a9414-2ddd-4d32-a0cd-375ea402b003"):
        assert secret not in text, secret
    # D-1 rests partly on B-5 (AMBER+STRICT): neither it nor a count of its brands is shared
    assert "D-1" not in text and "3 brands" not in text
    ind = next(o for o in json.loads(text)["objects"] if o["type"] == "indicator" and o["name"] == GREEN_URLS[0])
    assert next(iter(ind["extensions"].values()))["reports"] == 2  # only GREEN reports counted
    strict = export(db, "AMBER+STRICT").decode()
    assert STRICT_URL in strict and "distributor D-1" in strict and "3 brands" in strict


def test_a_second_export_is_byte_identical_and_ids_are_stable(db: Path) -> None:
    first = export(db, "AMBER+STRICT")
    assert first == export(db, "AMBER+STRICT")
    ids_green = {o["id"] for o in json.loads(export(db, "GREEN"))["objects"]}
    ids_strict = {o["id"] for o in json.loads(first)["objects"]}
    assert ids_green <= ids_strict  # the same record keeps its ID across exports


def test_one_distributor(db: Path) -> None:
    objects = json.loads(export(db, "AMBER+STRICT", "D-2"))["objects"]
    names = {o.get("name") for o in objects}
    assert "distributor D-2" in names and "brand B-3" in names and "brand B-1" not in names


def _import(db: Path, path: Path, clearance: str = "AMBER+STRICT") -> Any:
    with Store(db) as store:
        return import_files(store, [path], kind="stix", reader=read_stix, source=None, marking="AMBER",
                            clearance=clearance).files[0]  # fmt: skip


def test_round_trip_keeps_every_shared_fact(db: Path, tmp_path: Path) -> None:
    raw = export(db, "AMBER+STRICT")
    (tmp_path / "b.json").write_bytes(raw)
    result = _import(tmp_path / "in.duckdb", tmp_path / "b.json")
    objects = json.loads(raw)["objects"]
    assert result.quarantined == 0 and result.objects == len(objects)
    with Store(tmp_path / "in.duckdb", read_only=True) as store:
        kept = {r[0]: json.loads(r[1]) for r in store.con.execute("SELECT object_id, body FROM shared_objects").fetchall()}
        reports = store.con.execute("""SELECT r.url, r.reported_at, r.commercial, r.site_type, r.payment_types, m.marking
            FROM reports r JOIN report_markings m USING (report_key) ORDER BY url""").fetchall()  # fmt: skip
    assert kept == {o["id"]: o for o in objects}  # every object back, property for property
    indicators = {o["name"]: o for o in objects if o["type"] == "indicator"}
    assert {r[0] for r in reports} == set(indicators)
    for url, when, commercial, site_type, payments, marking in reports:
        facts = next(iter(indicators[url]["extensions"].values()))
        assert when.isoformat(timespec="milliseconds") + "Z" == facts["first_reported"]
        assert (commercial, site_type, payments) == (facts["commercial"], facts["site_type"], facts["payment_types"])
        assert marking == ("AMBER+STRICT" if url == STRICT_URL else "GREEN")
    # a re-import changes nothing
    again = _import(tmp_path / "in.duckdb", tmp_path / "b.json")
    assert again.status == "already imported"


def test_objects_above_the_clearance_are_refused_counted_and_not_kept(db: Path, tmp_path: Path) -> None:
    (tmp_path / "b.json").write_bytes(export(db, "AMBER+STRICT"))
    result = _import(tmp_path / "in.duckdb", tmp_path / "b.json", clearance="GREEN")
    assert result.refused > 0
    with Store(tmp_path / "in.duckdb", read_only=True) as store:
        everything = json.dumps(store.con.execute("SELECT * FROM shared_objects").fetchall(), default=str)
        everything += json.dumps(store.con.execute("SELECT * FROM reports").fetchall(), default=str)
        quarantine = store.con.execute("SELECT reason_code, excerpt FROM quarantine").fetchall()
    assert STRICT_URL not in everything and STRICT_EMAIL not in everything
    assert {code for code, _ in quarantine} >= {"marking_refused"}
    assert all(text == "" for code, text in quarantine if code == "marking_refused")
    assert STRICT_URL not in json.dumps(quarantine)


def _indicator(n: int = 1, **extra: Any) -> dict[str, Any]:
    obj = {"type": "indicator", "spec_version": "2.1", "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
           "created": "2012-10-01T00:00:00.000Z", "modified": "2012-10-01T00:00:00.000Z",
           "pattern": f"[url:value = 'http://partner{n}.example/']", "pattern_type": "stix",
           "valid_from": "2012-10-01T00:00:00Z"}  # fmt: skip
    obj.update(extra)
    return obj


def _bundle(*objects: Any) -> str:
    return json.dumps({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": list(objects)})


BAD_FILES = {
    "truncated": (_bundle(_indicator())[:-20], "bad_json"),
    "deep": ('{"type":"bundle","objects":' + "[" * 100_000 + "]" * 100_000 + "}", "too_deep"),
    "not_a_bundle": ("[1, 2, 3]", "not_stix"),
}
BAD_OBJECTS = {
    "wrong_type": (_indicator(2, created=5), "stix_schema"),
    "not_object": ("just a string", "bad_object"),
    "bad_id": (_indicator(3, id="indicator--nope"), "bad_object"),
    "dangling": ({"type": "relationship", "spec_version": "2.1", "id": "relationship--00000000-0000-4000-8000-000000000009",
                  "created": "2012-10-01T00:00:00.000Z", "modified": "2012-10-01T00:00:00.000Z",
                  "relationship_type": "indicates", "source_ref": "indicator--00000000-0000-4000-8000-000000000001",
                  "target_ref": "malware--00000000-0000-4000-8000-000000000099"}, "dangling_reference"),
    "huge_string": (_indicator(4, description="x" * 50_000_000), "string_too_long"),
    "unknown_marking": (_indicator(5, object_marking_refs=["marking-definition--00000000-0000-4000-8000-000000000077"]),
                        "unknown_marking"),
    "wrong_sco": ({"type": "url", "spec_version": "2.1", "id": "url--00000000-0000-4000-8000-000000000005", "value": 7},
                  "stix_schema"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_bundle_is_refused_whole_with_its_reason(name: str, tmp_path: Path) -> None:
    text, code = BAD_FILES[name]
    (tmp_path / "bad.json").write_text(text)
    result = _import(tmp_path / "v.duckdb", tmp_path / "bad.json")
    assert result.status == "refused" and result.objects == 0
    with Store(tmp_path / "v.duckdb", read_only=True) as store:
        assert store.con.execute("SELECT reason_code FROM quarantine").fetchall() == [(code,)]
        assert store.con.execute("SELECT count(*) FROM shared_objects").fetchone() == (0,)
        assert store.con.execute("SELECT count(*) FROM reports").fetchone() == (0,)


@pytest.mark.parametrize("name", sorted(BAD_OBJECTS))
def test_a_bad_object_is_quarantined_and_the_good_one_kept(name: str, tmp_path: Path) -> None:
    bad, code = BAD_OBJECTS[name]
    (tmp_path / "b.json").write_text(_bundle(_indicator(1), bad))
    result = _import(tmp_path / "v.duckdb", tmp_path / "b.json")
    assert (result.objects, result.reports, result.quarantined) == (1, 1, 1)
    with Store(tmp_path / "v.duckdb", read_only=True) as store:
        assert store.con.execute("SELECT reason_code FROM quarantine").fetchall() == [(code,)]
        assert store.con.execute("SELECT url FROM reports").fetchall() == [("http://partner1.example/",)]


def test_the_oasis_examples_import_without_loss(vectors_dir: Path, tmp_path: Path) -> None:
    examples = sorted((vectors_dir / "stix" / "examples").rglob("*.json"))
    assert examples
    with Store(tmp_path / "v.duckdb") as store:
        summary = import_files(store, examples, kind="stix", reader=read_stix, source=None, marking="GREEN",
                               clearance="RED")  # fmt: skip
        kept = store.con.execute("SELECT count(*) FROM shared_objects").fetchone()
        codes = store.con.execute("SELECT reason_code, count(*) FROM quarantine GROUP BY 1").fetchall()
    total = 0
    for path in examples:
        data = json.loads(path.read_text())
        total += len(data["objects"]) if data.get("type") == "bundle" else 1
    # the one object refused references an undefined marking (the interop test's deliberate typo)
    assert codes == [("unknown_marking", 1)]
    assert kept == (total - 1,)
    assert sum(f.reports for f in summary.files) == 6  # the URL and domain indicators of the two threat reports


def test_the_store_built_bulk_objects_are_the_python_ones_byte_for_byte(db: Path) -> None:
    from vigil.share.stix import RawObject, dump, stix_objects

    with Store(db, read_only=True) as store:
        scope = Scope(*Q4, "RED")
        fast = [o.text.encode() if isinstance(o, RawObject) else dump(o) for o in stix_objects(store, scope)]
        slow = [dump(o) for o in stix_objects(store, scope, python_bulk=True)]
    assert fast == slow and any(b'"type":"indicator"' in line for line in fast)
