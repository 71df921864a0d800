"""The s4 world through STIX: valid, byte-identical again, and back in without loss (slow)."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from typing import Any

import pytest
from stix2validator import ValidationOptions, validate_parsed_json
from worlds import copy_duckdb

from vigil.periods import Period
from vigil.share.facts import Scope
from vigil.share.imports import import_files
from vigil.share.marks import set_source_marking
from vigil.share.stix import write_stix
from vigil.share.stix_import import read_stix
from vigil.store import Store

pytestmark = pytest.mark.slow
SAMPLE = 60  # objects validated per (type, relationship type); every SDO and fixed object is validated


@pytest.fixture(scope="module")
def s4(s4_attributed: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("s4share")
    # the shared §4 store (reports and captures ingested, attributed), copied: markings change it
    db = copy_duckdb(s4_attributed["db"], root / "v.duckdb")
    with Store(db) as store:
        set_source_marking(store, "HL-A", "GREEN")
        set_source_marking(store, "PARTNER-Y", "AMBER+STRICT")
    p = Period.parse("2012Q4")
    scope = Scope(p.start, p.end, "AMBER")
    raw = []
    for _ in range(2):
        buf = io.BytesIO()
        with Store(db, read_only=True) as store:
            write_stix(store, scope, buf)
        raw.append(buf.getvalue())
    return {"root": root, "db": db, "raw": raw}


def test_the_s4_export_validates_with_stix2_validator(s4: dict[str, Any]) -> None:
    bundle = json.loads(s4["raw"][0])
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for obj in bundle["objects"]:
        groups[(obj["type"], obj.get("relationship_type", ""))].append(obj)
    assert {"indicator", "url", "infrastructure", "threat-actor", "merchant-account", "relationship"} <= {t for t, _ in groups}
    chosen = []
    for (kind, _), objs in sorted(groups.items()):
        bulk = kind in ("url", "indicator", "domain-name", "ipv4-addr", "ipv6-addr", "relationship", "key-identifier")
        chosen += objs[::max(1, len(objs) // SAMPLE)] if bulk else objs
    result = validate_parsed_json({**bundle, "objects": chosen}, ValidationOptions(version="2.1"))
    errors = [str(e) for r in (result if isinstance(result, list) else [result]) for e in r.errors]
    assert not errors, errors[:5]


def test_a_second_export_is_byte_identical(s4: dict[str, Any]) -> None:
    assert s4["raw"][0] == s4["raw"][1]


def test_the_export_contains_no_amber_strict_record(s4: dict[str, Any]) -> None:
    """URLs only PARTNER-Y (AMBER+STRICT) reported: no indicator, and no URL object unless a
    capture (other evidence, other marking) shows the same URL."""
    with Store(s4["db"], read_only=True) as store:
        strict = {r[0] for r in store.con.execute("SELECT DISTINCT url FROM reports WHERE source = 'PARTNER-Y' AND "
                  "url NOT IN (SELECT url FROM reports WHERE source <> 'PARTNER-Y')").fetchall()}  # fmt: skip
        captured = {r[0] for r in store.con.execute("SELECT DISTINCT url FROM captures").fetchall()}
    objects = json.loads(s4["raw"][0])["objects"]
    urls = {o["value"] for o in objects if o["type"] == "url"}
    indicators = {o["name"] for o in objects if o["type"] == "indicator"}
    assert strict and not strict & indicators
    assert not (strict - captured) & urls


def test_the_s4_export_imports_back_with_every_shared_fact(s4: dict[str, Any]) -> None:
    path = s4["root"] / "b.json"
    path.write_bytes(s4["raw"][0])
    objects = json.loads(s4["raw"][0])["objects"]
    with Store(s4["root"] / "in.duckdb") as store:
        summary = import_files(store, [path], kind="stix", reader=read_stix, source=None, marking="AMBER",
                               clearance="AMBER")  # fmt: skip
        kept = store.con.execute("SELECT count(*), count(DISTINCT object_id) FROM shared_objects").fetchone()
        reports = {r[0]: r[1:] for r in store.con.execute(
            "SELECT url, reported_at, commercial, site_type FROM reports").fetchall()}  # fmt: skip
    assert summary.files[0].quarantined == 0 and kept == (len(objects), len(objects))
    indicators = [o for o in objects if o["type"] == "indicator"]
    assert len(reports) == len(indicators)
    for ind in indicators:
        facts = next(iter(ind["extensions"].values()))
        when, commercial, site_type = reports[ind["name"]]
        assert when.isoformat(timespec="milliseconds") + "Z" == facts["first_reported"]
        assert commercial == facts.get("commercial") and site_type == facts.get("site_type")
