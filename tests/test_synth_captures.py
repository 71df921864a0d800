"""The synthetic world's captures and its §4 truth: well-formed, linked to the reports, safe,
and pages that behave as docs/attribution.md needs.

The truth is the generator's own (vigil.synth never calls the pipeline). Here, and only
here, the pipeline's pure per-page functions check a sample of pages: captures of one
template stay near-duplicates (>= 0.8), a redesign lands below 0.8 of the template it came
from, unrelated families and cover pages stay far apart (< 0.5), and every page yields
exactly the identifiers the generator meant, decoys and obfuscated e-mails included.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator
from worlds import World

from vigil.attribute.fingerprint import Template, fingerprint
from vigil.attribute.identifiers import KINDS, extract_identifiers
from vigil.attribute.processors import Processors
from vigil.errors import ConfigError
from vigil.synth import generate_world
from vigil.synth.captures.brands import Brand, Distributor
from vigil.synth.captures.brands import Template as SynthTemplate
from vigil.synth.captures.identifiers import DECOY_CHECKOUT, iban_gb
from vigil.synth.captures.pages import Layout, PayForm, Slots, render
from vigil.synth.captures.schedule import Shot
from vigil.synth.captures.truth import ReportCounts, link_distributors
from vigil.synth.truth import HostInfo, Rec
from vigil.urls import canonicalize_url

STATS_KEYS = {
    "period", "start", "end", "reports", "urls_actioned", "commercial_urls", "commercial_share", "templates",
    "brands_active", "distributors_active", "brands_new", "distributors_new", "top_brands", "top10_share",
    "top_distributor_share", "top30_by_distributor", "disguised_urls",
}  # fmt: skip
MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"\x00\x00\x00\x18ftyp")


@pytest.fixture(scope="session")
def world(synth_world: Callable[..., World]) -> Path:
    return synth_world().path  # the shared default world (tests/conftest.py)


@pytest.fixture(scope="session")
def busy_world(synth_world: Callable[..., World]) -> Path:
    """Twice the decoys and twice the per-capture rotations."""
    return synth_world(seed=11, reports=8000, decoys=2.0, mutations=2.0).path


def _truth(world: Path, name: str) -> Any:
    return json.loads((world / "truth" / name).read_text(encoding="utf-8"))


def _rows(world: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (world / "truth" / "captures.jsonl").read_text().splitlines()]


def pages(world: Path) -> dict[str, bytes]:
    """capture_id -> HTML, from the manifest folder and the WARC (media left out)."""
    found: dict[str, bytes] = {}
    folder = world / "captures" / "analyst-tool"
    for line in (folder / "manifest.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["file"].startswith("pages/"):
            found[row["capture_id"]] = (folder / row["file"]).read_bytes()
    with open(world / "captures" / "crawler.warc.gz", "rb") as handle:
        for rec in ArchiveIterator(handle):
            if rec.rec_type == "response" and "text/html" in (rec.http_headers.get_header("Content-Type") or ""):
                found[rec.rec_headers.get_header("WARC-Record-ID").strip("<>")] = rec.content_stream().read()
    return found


# ------------------------------------------------------------------------ files


def test_captures_and_truth_are_written(world: Path) -> None:
    folder = world / "captures" / "analyst-tool"
    manifest = [json.loads(line) for line in (folder / "manifest.jsonl").read_text().splitlines()]
    assert manifest and all({"capture_id", "url", "captured_at", "file", "source"} <= row.keys() for row in manifest)
    assert any(" > " in row.get("referrer", "") for row in manifest)
    html = pages(world)
    rows = _rows(world)
    assert set(html) == {r["capture_id"] for r in rows}
    assert all(2_000 <= len(page) <= 8_192 for page in html.values())
    attribution = _truth(world, "attribution.json")
    for period in ("2012", "2009-06-01..2012-12-31"):
        assert set(attribution[period]) == STATS_KEYS
    assert attribution["disguised"] == sorted({r["url"] for r in rows if r["cover"]})
    assert {d["value"] for d in attribution["decoys"]} == {DECOY_CHECKOUT, "statcounter:4410021"}
    described = _truth(world, "world.json")["captures"]
    assert described["captures"] == len(rows) and described["media_skipped"] == attribution["media_skipped"] > 0
    assert {r["template"] for r in rows if r["template"]} == {t["template"] for t in map(json.loads, (world / "truth/templates.jsonl").read_text().splitlines())}


def test_warc_pairs_requests_with_referers_and_holds_fake_media_only(world: Path) -> None:
    truth = {r["capture_id"]: r for r in _rows(world)}
    referers: dict[str, str | None] = {}
    media = html = 0
    with open(world / "captures" / "crawler.warc.gz", "rb") as handle:
        for rec in ArchiveIterator(handle):
            if rec.rec_type == "request":
                referers[rec.rec_headers.get_header("WARC-Concurrent-To").strip("<>")] = rec.http_headers.get_header("Referer")
                continue
            record_id = rec.rec_headers.get_header("WARC-Record-ID").strip("<>")
            assert rec.rec_type == "response" and record_id in referers
            body = rec.content_stream().read()
            if rec.http_headers.get_header("Content-Type").startswith("text/html"):
                html += 1
                row = truth[record_id]
                want = row["referrer"].split(" > ")[-1] if row["referrer"] else None
                assert referers[record_id] == want and (want is None or not row["cover"])
                continue
            media += 1
            assert body.startswith(MAGIC) and body[12:] == bytes(len(body) - 12), "a fake payload: magic and zeros"
    assert html and any(referers.values())
    folder = world / "captures" / "analyst-tool"
    for line in (folder / "manifest.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["file"].startswith("media/"):
            media += 1
            data = (folder / row["file"]).read_bytes()
            assert data.startswith(MAGIC) and data[12:] == bytes(len(data) - 12)
    assert media == _truth(world, "attribution.json")["media_skipped"]


def _reported_urls(world: Path) -> set[str]:
    """Canonical URLs of every report (the pipeline's canonicaliser reads the dirty spellings)."""
    found: set[str] = set()
    for path in sorted((world / "reports").iterdir()):
        data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
        text = data.decode("utf-8-sig", "replace")
        if ".jsonl" in path.name:
            values = [json.loads(line).get("url") for line in text.splitlines() if line.strip().startswith("{") and line.strip().endswith("}")]
        else:
            values = [row.get("url") for row in csv.DictReader(io.StringIO(text, newline=""))]
        for value in values:
            try:
                found.add(canonicalize_url(str(value)).url)
            except Exception:  # noqa: BLE001 - bad rows on purpose
                continue
    return found


def test_reports_reference_every_captured_url(world: Path) -> None:
    assert {r["url"] for r in _rows(world)} <= _reported_urls(world)


def test_a_disguised_url_shows_its_cover_first_and_the_sales_page_with_a_referrer(world: Path) -> None:
    rows = _rows(world)
    by_url: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_url.setdefault(row["url"], []).append(row)
    manifest = {json.loads(line)["capture_id"]: json.loads(line) for line in (world / "captures/analyst-tool/manifest.jsonl").read_text().splitlines()}
    disguised = _truth(world, "attribution.json")["disguised"]
    assert len(disguised) >= 10
    for url in disguised:
        shots = sorted(by_url[url], key=lambda r: r["captured_at"])
        assert shots[0]["cover"] and shots[0]["template"] is None and shots[0]["values"] == []
        assert not shots[1]["cover"] and shots[1]["template"]
        for shot in shots:
            if shot["capture_id"] in manifest:
                assert bool(manifest[shot["capture_id"]]["referrer"]) == (not shot["cover"])


# ---------------------------------------------------------------- pages vs definitions


def _fingerprints(world: Path) -> tuple[list[dict[str, Any]], dict[str, Template]]:
    html = pages(world)
    rows = sorted(_rows(world), key=lambda r: r["captured_at"])
    return rows, {r["capture_id"]: fingerprint(html[r["capture_id"]]) for r in rows}


@pytest.mark.parametrize("which", ["world", "busy_world"])
def test_templates_behave_as_the_definitions_need(which: str, request: pytest.FixtureRequest) -> None:
    world = request.getfixturevalue(which)
    rows, prints = _fingerprints(world)
    by_template: dict[str, list[Template]] = {}
    for row in rows:
        if not row["cover"]:
            by_template.setdefault(row["template"], []).append(prints[row["capture_id"]])
    for captures in by_template.values():  # every capture near an earlier one of its template
        for k in range(1, len(captures)):
            assert max(captures[j].similarity(captures[k]) for j in range(k)) >= 0.8
    templates = {t["template"]: t for t in map(json.loads, (world / "truth/templates.jsonl").read_text().splitlines())}
    altered = [t for t in templates.values() if t["altered_from"]]
    assert len(altered) >= 5
    lineage = []
    for t in altered:  # a redesign: below "same", mostly at or above "altered"
        best = max(a.similarity(b) for a in by_template[t["template"]] for b in by_template[t["altered_from"]])
        assert best < 0.8, t
        lineage.append(best >= 0.5)
    assert sum(lineage) >= 0.85 * len(lineage)
    rng = random.Random(3)
    names = sorted(by_template)
    for _ in range(3000):  # different families
        a, b = rng.sample(names, 2)
        if templates[a]["family"] != templates[b]["family"]:
            assert by_template[a][0].similarity(by_template[b][0]) < 0.5
    for row in rows:  # a cover page is nothing like the sales page of its URL
        if row["cover"]:
            sales = [prints[r["capture_id"]] for r in rows if r["url"] == row["url"] and not r["cover"]]
            assert sales and all(prints[row["capture_id"]].similarity(s) < 0.5 for s in sales)


@pytest.mark.parametrize("which", ["world", "busy_world"])
def test_pages_carry_exactly_the_identifiers_meant(which: str, request: pytest.FixtureRequest) -> None:
    world = request.getfixturevalue(which)
    html = pages(world)
    rows = _rows(world)
    sample = random.Random(5).sample(rows, min(180, len(rows)))
    sample += [r for r in rows if r["decoys"]][:20] + [r for r in rows if r["cover"]][:5]
    raw_emails: set[str] = set()
    procs = Processors.load([world / "processors.toml"])  # the world's own processors, given explicitly
    for row in sample:
        found = extract_identifiers(html[row["capture_id"]], base_url=row["url"], processors=procs)
        pivots = {(i.kind, i.value) for i in found if KINDS[i.kind].pivot}
        assert pivots == {tuple(v) for v in row["values"] + row["decoys"]}, row["capture_id"]
        raw_emails |= {i.raw for i in found if i.kind == "email"}
    assert any("[at]" in raw or "(at)" in raw for raw in raw_emails), "obfuscated e-mails are in the sample"
    assert any("@" in raw and "mailto" not in raw for raw in raw_emails)
    noid = [r for r in rows if not r["cover"] and not r["values"]]
    assert noid, "some pages show no identifier"
    for row in noid[:10]:
        assert not [i for i in extract_identifiers(html[row["capture_id"]], base_url=row["url"], processors=procs) if KINDS[i.kind].pivot]


def test_twice_the_decoys(world: Path, busy_world: Path) -> None:
    def share(w: Path) -> float:
        rows = [r for r in _rows(w) if not r["cover"]]
        return sum(bool(r["decoys"]) for r in rows) / len(rows)

    assert share(busy_world) > 1.5 * share(world) > 0
    described = _truth(busy_world, "world.json")["captures"]
    assert (described["decoys"], described["mutations"], described["decoys_dropped"]) == (2.0, 2.0, False)


def test_decoys_and_mutations_can_be_turned_off_and_must_not_be_negative(tmp_path: Path) -> None:
    generate_world(tmp_path / "plain", seed=3, reports=3000, decoys=0, mutations=0)
    assert not any(r["decoys"] for r in _rows(tmp_path / "plain"))
    assert _truth(tmp_path / "plain", "attribution.json")["decoys"] == []
    with pytest.raises(ConfigError):
        generate_world(tmp_path / "bad", decoys=-1)
    with pytest.raises(ConfigError):
        generate_world(tmp_path / "bad2", profile="s5")
    with pytest.raises(ConfigError):
        generate_world(tmp_path / "bad3", profile="s4", reports=1000)


# ------------------------------------------------------------- the truth, by hand


def _shot(ts: int, template: SynthTemplate, dist: Distributor, values: list[tuple[str, str]],
          decoys: tuple[tuple[str, str], ...] = ()) -> Shot:  # fmt: skip
    return Shot(ts, f"http://s{ts}.test/", f"s{ts}.test", Brand(template, dist), values=tuple(values), decoys=decoys)


def test_the_distributor_rules_read_by_hand() -> None:
    """Spread order, the guard, and pages without identifiers (docs/attribution.md)."""
    d1, d2, d3 = (Distributor(i, f"D0{i + 1}", 0, 1) for i in range(3))
    t = [SynthTemplate(i, 1, Layout(prefix="x"), None, False, d1, label=f"T{i:04d}") for i in range(7)]
    decoy = ("payment_form", "https://checkout.unlisted.test/pay")
    shots = [
        _shot(1, t[0], d1, [("email", "a@one.test")]), _shot(2, t[1], d1, [("email", "a@one.test")]),
        _shot(3, t[2], d2, [("email", "b@two.test")]), _shot(4, t[3], d2, [("email", "b@two.test")]),
        _shot(5, t[4], d3, [("email", "c@three.test")]), _shot(6, t[5], d3, [("email", "c@three.test")]),
        _shot(7, t[0], d1, [("phone", "+442079460001"), ("email", "a@one.test")], (decoy,)),
        _shot(8, t[2], d2, [("email", "b@two.test")], (decoy,)),
        _shot(9, t[4], d3, [("email", "c@three.test")], (decoy,)),
        _shot(10, t[0], d1, []),  # no identifier: the nearest capture of T0000 in time (ts 7)
    ]  # fmt: skip
    result = link_distributors(shots)
    assert result.generic == [decoy] and not result.problems  # three established groups: the guard stops it
    shots[6] = _shot(7, t[0], d1, [("phone", "+442079460001")], (decoy,))
    assert link_distributors(shots).generic == []  # that page alone is no established group: the decoy links
    assert result.group_of[9] == result.group_of[6] == result.group_of[0]
    shots[9] = _shot(10, t[6], d1, [])  # a template never seen with an identifier: unattributed
    assert "1 captures unattributed" in link_distributors(shots).problems
    shots[9] = _shot(10, t[2], d1, [("email", "b@two.test")])  # D01 showing D02's address joins them
    assert any("join" in p for p in link_distributors(shots).problems)


def test_urls_actioned_follow_the_actioned_rule() -> None:
    host = HostInfo("a.test", "a.test", "a", "test", None)
    at = int(datetime(2012, 5, 1, tzinfo=UTC).timestamp())

    def rec(url: str, dt: int, *, commercial: bool | None = None, actioned: bool | None = None) -> Rec:
        return Rec(at + dt, f"http://a.test/{url}", host, "HL-A", commercial=commercial, actioned=actioned)

    counts = ReportCounts(["2012"])
    counts.add([
        rec("a", 1, actioned=True), rec("a", 2, actioned=False),  # one report says actioned
        rec("b", 3, commercial=False),  # nobody states actioned, commercial stated
        rec("c", 4, commercial=True, actioned=False),  # actioned stated false: not counted
        rec("d", 5),  # nothing stated
        rec("e", 6, commercial=True),  # commercial, counted by the fallback
    ])  # fmt: skip
    got = counts.periods["2012"]
    assert (got.reports, got.actioned, got.commercial) == (6, 3, 2)


def test_iban_and_slot_markup() -> None:
    value = iban_gb("ZVGL", 123456, 12345678)
    assert int("".join(str(int(c, 36)) for c in value[4:] + value[:4])) % 97 == 1
    layout = Layout.make(random.Random(1), "kala")
    a = render(layout, Slots(PayForm("https://pay.cardgate.test/checkout", "gw_merchant", "M-1"), "Contact", "mailto:x@y.test", "x@y.test", "4410021"), random.Random(2), host="a.test")
    b = render(layout, Slots(PayForm("/join/step2", "gw_merchant", ""), "Contact", "#join", "use the join form below", ""), random.Random(2), host="a.test")
    assert fingerprint(a).template_id == fingerprint(b).template_id  # identifiers never change the markup


# ------------------------------------------------------------------ the §4 world


@pytest.mark.slow
def test_the_s4_world_is_calibrated_to_the_assessment(synth_world: Callable[..., World]) -> None:
    built = synth_world(profile="s4")
    summary, s4 = built.summary, built.path
    truth = _truth(s4, "attribution.json")
    y, all_time = truth["2012"], truth["2009-06-01..2012-12-31"]
    assert (y["reports"], y["urls_actioned"], y["commercial_urls"], round(100 * y["commercial_share"])) == (39211, 9550, 2588, 27)
    assert (all_time["templates"], all_time["distributors_active"]) == (1292, 13)
    assert (y["brands_active"], y["brands_new"], y["distributors_active"], y["distributors_new"]) == (513, 268, 8, 1)
    assert round(100 * y["top10_share"], 2) == 15.26 and {b["distributor_id"] for b in y["top_brands"]} == {"D01"}
    assert [d["brands"] for d in y["top30_by_distributor"]] == [16, 9, 5] and truth["label_dependent"]["2012"] == []
    assert y["top30_by_distributor"][0]["distributor_id"] == "D01"
    rows = _rows(s4)
    d13 = sorted(r["captured_at"] for r in rows if r["distributor"] == "D13")
    late = [c for c in d13 if c >= "2012-06"]  # two incidents (maybe captured twice), September and November
    assert d13[0] >= "2012-01" and 2 <= len(late) <= 4 and late[0] >= "2012-09"
    assert 2500 < summary.captures < 6000 and summary.rows > 50_000
    size = sum(p.stat().st_size for p in s4.rglob("*") if p.is_file())
    assert size < 40_000_000
    assert Counter(r["distributor"] for r in rows if r["decoys"]).keys() >= {f"D{i:02d}" for i in (1, 2, 3)}


@pytest.mark.slow
def test_the_pipeline_finds_the_worlds_brands_and_distributors(world: Path, tmp_path: Path) -> None:
    """End to end: ingest, attribute and `stats brands` give the truth, up to the naming of IDs."""
    from vigil.analyse.brands import brand_stats
    from vigil.attribute.run import attribute_store
    from vigil.ingest.captures import CaptureIngest
    from vigil.ingest.reports import ReportIngest
    from vigil.periods import Period
    from vigil.store import Store

    truth = _truth(world, "attribution.json")
    rows = {r["capture_id"]: r for r in _rows(world)}
    with Store(tmp_path / "v.duckdb") as store:
        ReportIngest(store, batch_size=20_000).run([world / "reports"])
        ingested = CaptureIngest(store).run([world / "captures" / "analyst-tool", world / "captures" / "crawler.warc.gz"])
        assert ingested.total("skipped_media") == truth["media_skipped"]
        attribute_store(store, processors=[world / "processors.toml"])
        got = store.con.execute("""SELECT c.capture_id, a.template_id, a.brand_id, a.distributor_id, a.cover
            FROM captures c JOIN capture_attribution a USING (capture_key)""").fetchall()  # fmt: skip
        stats = {p: brand_stats(store.engine, Period.parse(p)) for p in ("2012", "2009-06-01..2012-12-31")}
    assert len(got) == len(rows)
    names: dict[str, dict[str, str]] = {"template": {}, "brand": {}, "distributor": {}}
    for capture_id, *ids, cover in got:
        row = rows[capture_id]
        assert bool(cover) == row["cover"]
        if not cover:
            for key, value in zip(names, ids):
                assert names[key].setdefault(value, row[key]) == row[key], (key, value)  # one label per ID
    for key, seen in names.items():
        assert len(set(seen.values())) == len(seen)  # and one ID per label
    for period, obj in stats.items():
        tied = set(truth["label_dependent"][period])
        for key, want in truth[period].items():
            value = obj[key]
            if key == "top_brands":
                value = [{"brand_id": names["brand"][b["brand_id"]], "urls": b["urls"],
                          "distributor_id": names["distributor"][b["distributor_id"]]} for b in value]  # fmt: skip
            if key == "top30_by_distributor":
                value = [{"distributor_id": names["distributor"][d["distributor_id"]], "brands": d["brands"]} for d in value]
            if key == "top30_by_distributor":  # equal counts are listed by ID: compare as sets
                value, want = sorted(map(str, value)), sorted(map(str, want))
            if key in tied and key == "top_brands":
                assert sorted(b["urls"] for b in value) == sorted(b["urls"] for b in want)
            elif key not in tied:
                assert value == want, (period, key)


# ------------------------------------------------------------------------ namespaces


def _values(world: Path) -> set[tuple[str, str]]:
    """Every key identifier the world's pages were given (the deliberate decoys apart)."""
    return {tuple(v) for r in _rows(world) for v in r["values"]}


def test_a_namespace_gives_a_world_values_of_its_own(tmp_path: Path) -> None:
    # the same seed draws the same random numbers: only the namespace can tell the values apart
    for ns in (3, 4):
        generate_world(tmp_path / f"ns{ns}", seed=21, reports=8000, namespace=ns)
    three, four = _values(tmp_path / "ns3"), _values(tmp_path / "ns4")
    assert {k for k, _ in three} >= {"merchant_account", "payment_form", "email", "phone", "analytics_id"}
    assert three and four and not three & four
    ids = [{r["capture_id"] for r in _rows(tmp_path / f"ns{ns}")} for ns in (3, 4)]
    assert not ids[0] & ids[1]
    # and the pages carry exactly those values (drama-range phones included)
    html = pages(tmp_path / "ns3")
    procs = Processors.load([tmp_path / "ns3" / "processors.toml"])
    for row in _rows(tmp_path / "ns3"):
        found = extract_identifiers(html[row["capture_id"]], base_url=row["url"], processors=procs)
        assert {(i.kind, i.value) for i in found if KINDS[i.kind].pivot} == {tuple(v) for v in row["values"] + row["decoys"]}
    with pytest.raises(ConfigError, match="--namespace"):
        generate_world(tmp_path / "bad", namespace=500)


def _groups(db: Path, worlds: list[Path]) -> set[frozenset[str]]:
    """Attribute the worlds' captures in one store: the captures of each distributor."""
    from vigil.attribute.run import attribute_store
    from vigil.ingest.captures import CaptureIngest
    from vigil.store import Store

    with Store(db) as store:
        CaptureIngest(store).run([p for w in worlds for p in (w / "captures" / "analyst-tool", w / "captures" / "crawler.warc.gz")])
        attribute_store(store, processors=[worlds[0] / "processors.toml"])  # every world writes the same file
        got = store.con.execute("""SELECT c.capture_id, a.distributor_id FROM captures c
            JOIN capture_attribution a USING (capture_key) WHERE a.distributor_id IS NOT NULL""").fetchall()  # fmt: skip
    groups: dict[str, set[str]] = {}
    for capture_id, distributor in got:
        groups.setdefault(distributor, set()).add(capture_id)
    return {frozenset(g) for g in groups.values()}


@pytest.mark.slow
def test_worlds_in_their_own_namespaces_load_side_by_side(tmp_path: Path) -> None:
    """Two worlds in one store are attributed as each is alone: no distributor spans both."""
    worlds = [tmp_path / f"w{ns}" for ns in (5, 6)]
    for seed, ns, world in zip((31, 32), (5, 6), worlds):
        generate_world(world, seed=seed, reports=8000, namespace=ns)
    alone = _groups(tmp_path / "w5.duckdb", worlds[:1]) | _groups(tmp_path / "w6.duckdb", worlds[1:])
    together = _groups(tmp_path / "both.duckdb", worlds)
    assert len(alone) > 10
    assert together == alone
    # scored against both truths at once: each world's D01 is its own (a shared label would halve recall)
    from vigil.attribute.evaluate import evaluate
    from vigil.store import Store

    with Store(tmp_path / "both.duckdb", read_only=True) as store:
        scored = evaluate(store, [w / "truth" / "captures.jsonl" for w in worlds])
    assert scored["captures"] == sum(1 for w in worlds for r in _rows(w) if not r["cover"])
    assert scored["distributors"]["bcubed_recall"] > 0.95 and scored["distributors"]["bcubed_precision"] > 0.9


def test_truth_files_must_be_rows_of_distinct_captures(tmp_path: Path) -> None:
    from vigil.attribute.evaluate import read_truth
    from vigil.errors import InputError

    one, two, bad = tmp_path / "one.jsonl", tmp_path / "two.jsonl", tmp_path / "bad.jsonl"
    one.write_text('{"capture_id": "a", "brand": "T1.D01", "distributor": "D01"}\n\n'
                   '{"capture_id": "b", "brand": null, "distributor": null, "cover": true}\n')  # fmt: skip
    two.write_text('{"capture_id": "c", "brand": "T1.D01", "distributor": "D01"}\n')
    assert read_truth([one]) == [{"capture_id": "a", "brand": "T1.D01", "distributor": "D01"}]
    assert read_truth([one, two]) == [{"capture_id": "a", "brand": "1:T1.D01", "distributor": "1:D01"},
                                      {"capture_id": "c", "brand": "2:T1.D01", "distributor": "2:D01"}]  # fmt: skip
    with pytest.raises(InputError, match=r"one\.jsonl:1: capture a is also in .*one\.jsonl"):
        read_truth([one, one])
    bad.write_text('{"capture_id": "x", "brand": "B", "distributor": "D"}\n{"capture_id": "y", "brand": \n')
    with pytest.raises(InputError, match=r"bad\.jsonl:2: not a truth row"):
        read_truth([bad])


def test_the_fictional_phone_numbers_are_valid_distinct_and_shared_out() -> None:
    import phonenumbers

    from vigil.synth.captures.identifiers import (
        _DRAMA_NUMBERS,
        NAMESPACES,
        UK_DRAMA,
        _drama_number,
    )

    numbers = [_drama_number(i) for i in range(_DRAMA_NUMBERS)]
    assert len(set(numbers)) == len(numbers) >= 100 * NAMESPACES  # each namespace gets 100 or more
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(n)) for n in numbers[::7] + numbers[-3:])
    # only the ranges kept for fiction: UK drama blocks and US 555-0100..0199
    assert all(n[:-3] in UK_DRAMA or re.fullmatch(r"\+1[2-9][0-9]{2}55501[0-9]{2}", n) for n in numbers)
