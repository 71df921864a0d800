"""§4 end to end on the calibrated synthetic world: raw inputs in, attribution equal to the truth.

The world (profile s4) carries its own labels for every capture (template, brand,
distributor); pipeline IDs are matched to them through the captures. The truth is the
generator's, computed from its own labels, never from Vigil's attribution code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner
from worlds import World

from vigil.analyse.brands import brand_stats
from vigil.attribute.evaluate import evaluate
from vigil.attribute.run import attribute_store
from vigil.cli import app
from vigil.ingest.captures import CaptureIngest
from vigil.ingest.reports import ReportIngest
from vigil.periods import Period
from vigil.store import Store

pytestmark = pytest.mark.slow


def _build(world: Path, db: Path, captured: Any = None) -> dict[str, Any]:
    """The world through report and capture ingest and attribution into ``db``, then read back;
    a ``captured`` summary means the store is already built (read only)."""
    if captured is None:
        with Store(db) as store:
            ReportIngest(store).run([world / "reports"])
            captured = CaptureIngest(store).run([world / "captures"])
            attribute_store(store, processors=[world / "processors.toml"])  # the world's own, as --processors
    with Store(db, read_only=True) as store:
        scores = evaluate(store, world / "truth" / "captures.jsonl")
        ours = dict(store.con.execute("""SELECT c.capture_id, a.brand_id || ' ' || coalesce(a.distributor_id, '-')
            FROM captures c JOIN capture_attribution a USING (capture_key) WHERE NOT a.cover""").fetchall())  # fmt: skip
        covers = {r[0] for r in store.con.execute("SELECT url FROM disguised_urls").fetchall()}
        stats = {p: brand_stats(store.engine, Period.parse(p)) for p in ("2012", "2009-06-01..2012-12-31")}
    truth = [json.loads(line) for line in (world / "truth" / "captures.jsonl").read_text().splitlines()]
    expected = json.loads((world / "truth" / "attribution.json").read_text())
    return {"db": db, "world": world, "captured": captured, "scores": scores, "ours": ours, "covers": covers,
            "stats": stats, "truth": truth, "expected": expected}  # fmt: skip


@pytest.fixture(scope="module")
def s4(s4_attributed: dict[str, Any]) -> dict[str, Any]:
    """The shared §4 store (tests/conftest.py): the same ingest and attribution as ``_build``."""
    return _build(s4_attributed["world"], s4_attributed["db"], s4_attributed["captured"])


@pytest.fixture(scope="module")
def hard(synth_world: Callable[..., World], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _build(synth_world(profile="s4", decoys=2.0, mutations=2.0).path, tmp_path_factory.mktemp("hard") / "v.duckdb")


def _mapping(result: dict[str, Any]) -> dict[str, str]:
    """Our brand and distributor IDs → the world's labels (checked one-to-one)."""
    mapping: dict[str, str] = {}
    for row in result["truth"]:
        if row["cover"]:
            continue
        brand, distributor = result["ours"][row["capture_id"]].split()
        for ours, theirs in ((brand, row["brand"]), (distributor, row["distributor"])):
            assert mapping.setdefault(ours, theirs) == theirs, f"{ours} holds captures of {theirs} and {mapping[ours]}"
    assert len(set(mapping.values())) == len(mapping), "two of our IDs share one true label"
    return mapping


def test_the_calibrated_figures_come_back_from_raw_inputs(s4: dict[str, Any]) -> None:
    mapping = _mapping(s4)
    for period in ("2012", "2009-06-01..2012-12-31"):
        got, want = s4["stats"][period], s4["expected"][period]
        for key in ("templates", "brands_active", "brands_new"):
            assert abs(got[key] - want[key]) <= 0.02 * want[key], (period, key, got[key], want[key])
        for key in ("reports", "urls_actioned", "commercial_urls", "distributors_active", "distributors_new", "disguised_urls"):
            assert got[key] == want[key], (period, key)
        if "top_brands" not in s4["expected"]["label_dependent"][period]:
            assert [{**r, "brand_id": mapping[r["brand_id"]], "distributor_id": mapping[r["distributor_id"]]}
                    for r in got["top_brands"]] == want["top_brands"]  # fmt: skip
            assert got["top10_share"] == pytest.approx(want["top10_share"])
        if "top30_by_distributor" not in s4["expected"]["label_dependent"][period]:
            assert [{**r, "distributor_id": mapping[r["distributor_id"]]} for r in got["top30_by_distributor"]] == want["top30_by_distributor"]
    assert s4["stats"]["2012"]["templates"] == 513 and s4["expected"]["2009-06-01..2012-12-31"]["templates"] == 1292
    assert round(s4["stats"]["2012"]["top10_share"] * 100, 2) == 15.26
    assert s4["stats"]["2012"]["top_distributor_share"] == pytest.approx(s4["expected"]["2012"]["top_distributor_share"])


def test_media_is_counted_and_cover_pages_found(s4: dict[str, Any]) -> None:
    assert s4["captured"].total("skipped_media") == s4["expected"]["media_skipped"] > 0
    assert s4["covers"] == set(s4["expected"]["disguised"])


@pytest.mark.parametrize("world", ["s4", "hard"])
def test_bcubed_f1_is_high_and_the_naive_baseline_is_worse(world: str, request: pytest.FixtureRequest) -> None:
    scores = request.getfixturevalue(world)["scores"]
    print(world, json.dumps(scores, indent=1))
    assert scores["brands"]["bcubed_f1"] >= 0.98
    assert scores["distributors"]["bcubed_f1"] >= 0.98
    if world == "hard":
        assert scores["baseline_distributors"]["bcubed_f1"] <= scores["distributors"]["bcubed_f1"] - 0.2
        assert scores["baseline_brands"]["bcubed_f1"] <= scores["brands"]["bcubed_f1"] - 0.1


def test_every_brand_of_every_distributor_has_a_complete_evidence_chain(s4: dict[str, Any]) -> None:
    with Store(s4["db"], read_only=True) as store:
        rows = store.con.execute("SELECT brand_id, distributor_id, evidence FROM brands WHERE distributor_id IS NOT NULL").fetchall()
        firsts = dict(store.con.execute("""SELECT distributor_id, arg_min(brand_id, (first_seen, brand_id)) FROM brands
            WHERE distributor_id IS NOT NULL GROUP BY distributor_id""").fetchall())  # fmt: skip
    assert rows
    for brand, distributor, evidence in rows:
        path = json.loads(evidence)
        assert path[0]["brand"] == firsts[distributor] and path[-1]["brand"] == brand
        for step in path[1:]:
            assert step["value"] and step["seen_on_previous"] and step["seen_on_brand"], (brand, step)
    runner = CliRunner()
    sample = sorted(firsts)[:2]
    for distributor in sample:
        text = runner.invoke(app, ["explain", "distributor", distributor, "--db", str(s4["db"])]).output
        assert text.count("Brand B-") == sum(1 for _, d, _ in rows if d == distributor)
