"""Incremental attribution gives exactly what a full rerun gives, batch after batch.

A world's captures are ingested once; two copies of the store then receive them again in
batches (in time order, then a batch of captures held back from the past: skeletons first
seen earlier than before, new skeletons before known ones in their LSH buckets, cover pages
decided again — all incremental too). After every batch one copy runs ``vigil attribute``
(incremental) and the other ``vigil attribute --full``; every derived table must be equal,
row for row: templates, brands (with evidence), distributors, IDs, identifier values,
cover pages, and the bookkeeping itself.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner
from test_fingerprint import Family
from worlds import World

import test_attribution
import test_attribution_kits
from vigil.attribute import incremental
from vigil.attribute.run import AttributeSummary, attribute_store
from vigil.cli import app
from vigil.ingest.captures import CaptureIngest
from vigil.store import Store

TABLES = ("capture_attribution", "skeleton_links", "templates", "brands", "distributors", "identifier_values",
          "disguised_urls", "attribution_components", "attribution_bands")  # fmt: skip


def dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    return {t: store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}


def batches_by_time(db: Path, sizes: list[float], held_back: int, seed: int = 3) -> list[list[str]]:
    """Capture keys in batches: ``sizes`` shares in time order (cut between distinct times),
    less ``held_back`` random captures of the first batch, which come last."""
    with Store(db, read_only=True) as store:
        rows = store.con.execute("SELECT capture_key, captured_at FROM captures ORDER BY captured_at, capture_key").fetchall()
    cuts, start = [], 0
    for share in sizes:
        end = min(len(rows), start + max(1, int(share * len(rows))))
        while 0 < end < len(rows) and rows[end][1] == rows[end - 1][1]:
            end += 1
        cuts.append([k for k, _ in rows[start:end]])
        start = end
    if start < len(rows):
        cuts[-1] += [k for k, _ in rows[start:]]
    late = random.Random(seed).sample(cuts[0][len(cuts[0]) // 2 :], held_back) if held_back else []
    cuts[0] = [k for k in cuts[0] if k not in set(late)]
    return [c for c in cuts if c] + ([late] if late else [])


def replay(db: Path, tmp: Path, batches: list[list[str]], **options: Any) -> list[AttributeSummary]:
    """Feed the batches to an incremental copy and a full copy; equal after every batch."""
    copies = {mode: tmp / f"{mode}.duckdb" for mode in ("inc", "full")}
    for path in copies.values():
        shutil.copy(db, path)
        with Store(path) as store:
            store.con.execute("CREATE TABLE _all_captures AS SELECT * FROM captures; DELETE FROM captures")
    summaries = []
    for i, keys in enumerate(batches):
        got = {}
        for mode, path in copies.items():
            with Store(path) as store:
                store.con.execute("INSERT INTO captures SELECT * REPLACE ($b AS batch_id) FROM _all_captures "
                                  "WHERE list_contains($k, capture_key)", {"b": f"replay-{i}", "k": keys})  # fmt: skip
                summary = attribute_store(store, full=mode == "full", **options)
                got[mode] = dump(store)
            if mode == "inc":
                summaries.append(summary)
        for table in TABLES:
            assert got["inc"][table] == got["full"][table], (i, table, summaries[-1])
    return summaries


def _ingest(world: Path, db: Path) -> None:
    with Store(db) as store:
        CaptureIngest(store).run([world])


@pytest.mark.parametrize("module", [test_attribution, test_attribution_kits])
def test_batches_attributed_incrementally_equal_a_full_rerun(module: Any, tmp_path: Path) -> None:
    module.build(tmp_path / "caps")
    _ingest(tmp_path / "caps", tmp_path / "all.duckdb")
    batches = batches_by_time(tmp_path / "all.duckdb", [0.5, 0.2, 0.15, 0.15], held_back=3)
    summaries = replay(tmp_path / "all.duckdb", tmp_path, batches)
    modes = [s.full for s in summaries]
    assert modes[0] and not any(modes[1:]), [s.why_full for s in summaries]  # the first run has nothing to build on


def test_a_batch_recomputes_only_the_components_it_touches(tmp_path: Path) -> None:
    test_attribution_kits.build(tmp_path / "caps")
    _ingest(tmp_path / "caps", tmp_path / "all.duckdb")
    with Store(tmp_path / "all.duckdb") as store:  # without the kit the two operators share nothing
        store.con.execute("DELETE FROM captures WHERE capture_id LIKE '%-50-%'")
        ids = dict(store.con.execute("SELECT capture_id, capture_key FROM captures").fetchall())
    late = [key for capture_id, key in ids.items() if capture_id.startswith("op-b-") and int(capture_id.rsplit("-", 1)[1]) >= 5]
    summaries = replay(tmp_path / "all.duckdb", tmp_path, [sorted(set(ids.values()) - set(late)), late])
    assert summaries[0].full and not summaries[1].full
    assert (summaries[1].templates, summaries[1].recomputed_templates) == (2, 1)


def test_cover_pages_decided_again_by_later_batches_stay_incremental(tmp_path: Path) -> None:
    """A URL first captured without a referrer, then with one on another operator's layout: its
    earlier capture becomes a cover page (its skeleton leaves the templates, months back); then a
    capture with a referrer on the page's own layout: it is no cover page again. Both batches
    run incrementally and equal a full rerun."""
    caps = tmp_path / "caps"
    test_attribution.build(caps)
    url, chain = "http://site11-3.test/", "http://forum.test/t/1 > http://site11-3.test/"
    rng = random.Random(9)
    (caps / "late-other.html").write_text(Family.make(21).capture(rng))
    (caps / "late-own.html").write_text(Family.make(11).capture(rng))
    late = [{"capture_id": "late-other", "url": url, "file": "late-other.html", "captured_at": "2012-11-02T10:00:00Z",
             "referrer": chain},
            {"capture_id": "late-own", "url": url, "file": "late-own.html", "captured_at": "2012-11-03T10:00:00Z",
             "referrer": chain}]  # fmt: skip
    with (caps / "manifest.jsonl").open("a") as manifest:
        manifest.writelines(json.dumps(r) + "\n" for r in late)
    _ingest(caps, tmp_path / "all.duckdb")
    with Store(tmp_path / "all.duckdb", read_only=True) as store:
        ids = dict(store.con.execute("SELECT capture_id, capture_key FROM captures").fetchall())
    first = sorted(k for i, k in ids.items() if not i.startswith("late-"))

    def cover_of(path: Path, capture_id: str) -> bool | None:
        with Store(path, read_only=True) as store:
            got = store.con.execute("""SELECT a.cover FROM capture_attribution a JOIN captures c USING (capture_key)
                                       WHERE c.capture_id = ?""", [capture_id]).fetchone()  # fmt: skip
        return None if got is None else bool(got[0])

    (tmp_path / "one").mkdir()
    summaries = replay(tmp_path / "all.duckdb", tmp_path / "one", [first, [ids["late-other"]]])
    assert not summaries[1].full, summaries[1].why_full
    assert summaries[1].cover_pages == 1 and cover_of(tmp_path / "one" / "inc.duckdb", "op-a-11-3") is True
    (tmp_path / "two").mkdir()
    summaries = replay(tmp_path / "all.duckdb", tmp_path / "two", [first, [ids["late-other"]], [ids["late-own"]]])
    assert not summaries[2].full, summaries[2].why_full
    assert summaries[2].cover_pages == 0 and cover_of(tmp_path / "two" / "inc.duckdb", "op-a-11-3") is False


def test_a_batch_of_known_skeletons_only_chooses_no_template_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages captured again later (the same bytes, so the same skeletons): no skeleton's first
    seen moves, nothing is chosen again, and the result is still a full rerun's."""
    caps = tmp_path / "caps"
    test_attribution.build(caps)
    again = [{"capture_id": f"again-{name}", "url": f"http://mirror-{name}.test/", "file": f"{name}.html",
              "captured_at": "2012-12-20T10:00:00Z"} for name in ("op-a-11-2", "op-c-31-5")]  # fmt: skip
    with (caps / "manifest.jsonl").open("a") as manifest:
        manifest.writelines(json.dumps(r) + "\n" for r in again)
    _ingest(caps, tmp_path / "all.duckdb")
    with Store(tmp_path / "all.duckdb", read_only=True) as store:
        ids = dict(store.con.execute("SELECT capture_id, capture_key FROM captures").fetchall())
    late = [k for i, k in ids.items() if i.startswith("again-")]
    chosen: list[int] = []
    redo = incremental.redo_skeletons

    def counted(engine: Any, settings: Any) -> None:
        redo(engine, settings)
        chosen.append(int(engine.scalar("test", "SELECT count(*) FROM _inc_redo")))

    monkeypatch.setattr(incremental, "redo_skeletons", counted)
    summaries = replay(tmp_path / "all.duckdb", tmp_path, [sorted(set(ids.values()) - set(late)), late])
    assert not summaries[1].full, summaries[1].why_full
    assert chosen == [0]  # the first run is a full one


def test_choices_that_do_not_settle_make_the_run_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no round of widening allowed, a batch that moves skeletons says why and runs in
    full (still equal to a full rerun), rather than failing."""
    test_attribution.build(tmp_path / "caps")
    _ingest(tmp_path / "caps", tmp_path / "all.duckdb")
    monkeypatch.setattr(incremental, "MAX_ROUNDS", 0)
    summaries = replay(tmp_path / "all.duckdb", tmp_path, batches_by_time(tmp_path / "all.duckdb", [0.6, 0.4], held_back=0))
    assert summaries[1].full and "did not settle" in summaries[1].why_full, summaries[1].why_full


def test_a_generic_value_across_components_is_judged_with_what_lies_beyond(tmp_path: Path) -> None:
    """The public checkout on every operator's pages is generic: op-c's new captures carry it,
    yet only op-c's templates are recomputed, and the checkout's row is a full run's."""
    test_attribution.build(tmp_path / "caps")
    _ingest(tmp_path / "caps", tmp_path / "all.duckdb")
    with Store(tmp_path / "all.duckdb", read_only=True) as store:
        ids = dict(store.con.execute("SELECT capture_id, capture_key FROM captures").fetchall())
    late = [key for capture_id, key in ids.items() if capture_id.startswith("op-c-") and int(capture_id.rsplit("-", 1)[1]) >= 6]
    summaries = replay(tmp_path / "all.duckdb", tmp_path, [sorted(set(ids.values()) - set(late)), late])
    assert summaries[0].full and not summaries[1].full, summaries[1].why_full
    assert (summaries[1].templates, summaries[1].recomputed_templates, summaries[1].generic_values) == (8, 3, 1)


def test_nothing_new_changes_nothing_and_full_is_on_the_command_line(tmp_path: Path) -> None:
    test_attribution.build(tmp_path / "caps")
    db = tmp_path / "v.duckdb"
    _ingest(tmp_path / "caps", db)
    runner = CliRunner()
    first = runner.invoke(app, ["attribute", "--db", str(db)])
    assert first.exit_code == 0 and "full run" in first.output, first.output
    with Store(db, read_only=True) as store:
        before = dump(store)
    again = runner.invoke(app, ["attribute", "--db", str(db)])
    assert again.exit_code == 0 and "incremental" in again.output, again.output
    forced = runner.invoke(app, ["attribute", "--full", "--db", str(db)])
    assert forced.exit_code == 0 and "--full" in forced.output, forced.output
    with Store(db, read_only=True) as store:
        assert dump(store) == before


def test_a_changed_setting_makes_the_next_run_full(tmp_path: Path) -> None:
    test_attribution.build(tmp_path / "caps")
    with Store(tmp_path / "v.duckdb") as store:
        CaptureIngest(store).run([tmp_path / "caps"])
        assert attribute_store(store).full
        assert not attribute_store(store).full
        changed = attribute_store(store, max_groups=4)
        assert changed.full and "settings" in changed.why_full


@pytest.mark.slow
def test_the_s4_world_in_batches_equals_a_full_rerun(synth_world: Callable[..., World], tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("s4batches")
    _ingest(synth_world(profile="s4").path / "captures", root / "all.duckdb")  # the shared world (tests/conftest.py)
    batches = batches_by_time(root / "all.duckdb", [0.7, 0.1, 0.1, 0.1], held_back=20)
    summaries = replay(root / "all.duckdb", root, batches)
    assert not any(s.full for s in summaries[1:]), [s.why_full for s in summaries]


@pytest.mark.slow
@pytest.mark.spark
def test_incremental_on_spark_equals_a_full_run_on_duckdb(tmp_path: Path) -> None:
    pytest.importorskip("pyspark", reason="the Spark engine is the optional extra vigil[spark]")
    from vigil.store.spark import SparkStore, copy_store

    test_attribution_kits.build(tmp_path / "caps")
    _ingest(tmp_path / "caps", tmp_path / "all.duckdb")
    first, second = batches_by_time(tmp_path / "all.duckdb", [0.6, 0.4], held_back=0)
    shutil.copy(tmp_path / "all.duckdb", tmp_path / "d.duckdb")
    with Store(tmp_path / "d.duckdb") as store:
        store.con.execute("DELETE FROM captures WHERE NOT list_contains($k, capture_key)", {"k": first})
        copy_store(store, tmp_path / "data")
    with Store(tmp_path / "all.duckdb", read_only=True) as store:
        later = store.con.sql("SELECT * REPLACE ('later' AS batch_id) FROM captures WHERE list_contains($k, capture_key)",
                              params={"k": second}).to_arrow_table()  # fmt: skip
    with SparkStore(tmp_path / "data") as spark:
        assert attribute_store(spark).full
        spark.engine.append("captures", later)
        summary = attribute_store(spark)
        assert not summary.full, summary.why_full
        got = {t: sorted(tuple(str(v) for v in r.values()) for r in spark.engine.rows(t, f"SELECT * FROM {t}")) for t in TABLES}
    with Store(tmp_path / "d.duckdb") as store:
        attribute_store(store)
        store.con.execute("INSERT INTO captures SELECT * FROM later")
        attribute_store(store, full=True)
        want = {t: sorted(tuple(str(v) for v in r) for r in store.con.execute(f"SELECT * FROM {t}").fetchall()) for t in TABLES}
    for table in TABLES:
        assert got[table] == want[table], table


def _plant_clashes(db: Path) -> tuple[str, str, str, list[str]]:
    """Analyse the pages, then give the two templates of another operator first seen last IDs
    that share the first 10 hex digits with the template first seen first (one of them the
    first 16): brand IDs are those digits, and template IDs are hashes, so a big store has
    such pairs (docs/attribution.md). Returns the three IDs and the captures of the two."""
    with Store(db) as store:
        attribute_store(store, full=True)
        order = store.con.execute("""SELECT t.template_id, any_value(b.distributor_id) FROM templates t
            JOIN brands b ON b.template_id = t.template_id GROUP BY t.template_id, t.first_seen
            ORDER BY t.first_seen, t.template_id""").fetchall()  # fmt: skip
        x, owner = order[0]
        y, z = [t for t, d in order if d != owner][-1:-3:-1]
        late = [r[0] for r in store.con.execute("SELECT capture_key FROM capture_attribution WHERE template_id IN ($y, $z)",
                                                {"y": y, "z": z}).fetchall()]  # fmt: skip
        y2, z2 = x[:10] + y[10:], x[:16] + z[16:]
        for old, new in ((y, y2), (z, z2)):
            store.con.execute("UPDATE page_skeletons SET skeleton_id = $n WHERE skeleton_id = $o", {"n": new, "o": old})
    return x, y2, z2, late


def test_templates_that_share_the_digits_of_a_brand_id_get_longer_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two templates whose IDs share 10 hex digits get brand IDs of 16; sharing 16, all 32. A
    batch that brings such a template touches the older one (its brand IDs change: incremental
    equals full), and a judgement names a brand by its longer ID."""
    test_attribution.build(tmp_path / "caps")
    db = tmp_path / "all.duckdb"
    _ingest(tmp_path / "caps", db)
    x, y2, z2, late = _plant_clashes(db)
    with Store(db, read_only=True) as store:
        keys = [r[0] for r in store.con.execute("SELECT capture_key FROM captures").fetchall()]
    restemmed: list[set[str]] = []
    scope = incremental.scope

    def spied(engine: Any, *args: Any) -> None:
        scope(engine, *args)
        restemmed.append({r["template_id"] for r in engine.rows("test", "SELECT template_id FROM _inc_restem")})

    monkeypatch.setattr(incremental, "scope", spied)
    summaries = replay(db, tmp_path, [sorted(set(keys) - set(late)), late])
    assert summaries[0].full and not summaries[1].full, summaries[1].why_full
    assert len(restemmed) == 1 and {x, y2, z2} <= restemmed[0]  # the older template is touched for its stem
    with Store(tmp_path / "inc.duckdb", read_only=True) as store:
        brands = store.con.execute("SELECT brand_id, template_id, distributor_id, lineage_brand FROM brands").fetchall()
    stems = {t: b.split("-")[1] for b, t, _, _ in brands}
    assert stems[x] == x and stems[z2] == z2 and stems[y2] == y2[:16]  # x and z2 share 16 digits, y2 only 10 of them
    assert all(stems[t] == t[:10] for t in stems if t not in (x, y2, z2))
    assert len({b for b, *_ in brands}) == len(brands) == len({(t, d) for _, t, d, _ in brands})
    assert {lb for *_, lb in brands if lb} <= {b.rsplit("-", 1)[0] if b.count("-") == 2 else b for b, *_ in brands}
    # a same judgement between y2's brand (16 digits) and a brand of another distributor joins them
    brand_y = next(b for b, t, *_ in brands if t == y2)
    dist_y = next(d for b, t, d, _ in brands if b == brand_y)
    other = next(b for b, t, d, _ in brands if d != dist_y and d is not None)
    runner = CliRunner()
    judged = runner.invoke(app, ["judge", brand_y, other, "--verdict", "same", "--analyst", "a.n.analyst", "--db", str(tmp_path / "inc.duckdb")])
    assert judged.exit_code == 0, judged.output
    assert runner.invoke(app, ["attribute", "--db", str(tmp_path / "inc.duckdb")]).exit_code == 0
    with Store(tmp_path / "inc.duckdb", read_only=True) as store:
        joined = dict(store.con.execute("SELECT brand_id, distributor_id FROM brands").fetchall())
    assert joined[brand_y] == joined[other]
