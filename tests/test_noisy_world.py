"""The noisy world (profile noisy): what it promises, and attribution's bounds on it.

The truth is the generator's own (vigil.synth never calls the pipeline); pages are checked
with the pipeline's pure per-page functions only where it says so. The world is built with
every identifier spelling (``ALL_SPELLINGS``); each is a switch (``spellings=``).

Measured (seed 2012): without per-load changes (``mutations=0``) B-cubed F1 is 1.0 for
brands and distributors. With them (``mutations=1``, the default) distributors 0.999 and
brands 0.989: the advertisements, cookie banner, missing or swapped blocks of some loads take
them below the fingerprint's same-template threshold (0.8; the exact Jaccard near it), so
they found templates of their own (new brands; a bare page that founds one is left
unattributed). Later loads near-identical to the page's first template join it rather than
following such a load (the oldest template wins, docs/attribution.md). No identifier is
misread and no two operators are ever joined.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from worlds import World

from vigil.attribute.evaluate import evaluate
from vigil.attribute.fingerprint import fingerprint
from vigil.attribute.identifiers import KINDS, extract_identifiers
from vigil.attribute.processors import Processors
from vigil.errors import ConfigError
from vigil.store import Store
from vigil.synth import generate_world
from vigil.synth.noisy_world.loads import AD_NETWORKS, ALL_SPELLINGS, HOST_BADGE


def _rows(world: Path, name: str = "captures.jsonl") -> list[dict[str, Any]]:
    return [json.loads(line) for line in (world / "truth" / name).read_text().splitlines()]


@pytest.fixture(scope="module")
def noisy(synth_world: Callable[..., World]) -> Path:
    return synth_world(profile="noisy").path


def _scored(built: dict[str, Any]) -> dict[str, Any]:
    world = built["world"]
    with Store(built["db"], read_only=True) as store:
        scores = evaluate(store, world / "truth" / "captures.jsonl")
        got = {r[0]: r[1:] for r in store.con.execute("""SELECT c.capture_id, a.distributor_id, a.cover
            FROM captures c JOIN capture_attribution a USING (capture_key)""").fetchall()}  # fmt: skip
        covers = {r[0] for r in store.con.execute("SELECT url FROM disguised_urls").fetchall()}
    return {"scores": scores, "got": got, "covers": covers, "truth": _rows(world),
            "expected": json.loads((world / "truth" / "attribution.json").read_text())}  # fmt: skip


# ------------------------------------------------------------------------ the world


def test_the_noisy_world_has_what_it_promises(noisy: Path) -> None:
    described = json.loads((noisy / "truth" / "world.json").read_text())
    rows = _rows(noisy)
    assert described["profile"] == "noisy" and 600 <= len(rows) <= 1500
    assert set(described["spellings"]) == set(described["spelled"]) == ALL_SPELLINGS  # every enabled spelling is used
    templates = _rows(noisy, "templates.jsonl")
    kits = [t for t in templates if t["kit"]]
    assert len(kits) == 3 and all(len(t["brands"]) >= 2 for t in kits)  # kits sold to several operators
    assert sum(1 for t in templates if t["altered_from"]) >= 8  # brands altered from a base layout
    attribution = json.loads((noisy / "truth" / "attribution.json").read_text())
    assert len(attribution["disguised"]) >= 10
    decoys = {(d["kind"], d["value"]) for d in attribution["decoys"]}
    assert {("analytics_id", tracker) for _, tracker in AD_NETWORKS} | {("email", HOST_BADGE)} <= decoys
    assert len(decoys) >= 6 and sum(bool(r["decoys"]) for r in rows) > 0.4 * len(rows)  # heavy decoys
    bare = [r for r in rows if not r["cover"] and r["distributor"] is None]
    assert len(bare) == described["unattributed_kit_pages"] >= 5
    for row in bare:  # knowable: the kit, not its operator
        assert row["template"] in {t["template"] for t in kits} and not row["values"]
        assert row["brand"] == f"{row['template']}.unattributed" and row["operator"] in row["candidates"]
        assert len(row["candidates"]) >= 2


def test_loads_of_one_page_differ(noisy: Path) -> None:
    from test_synth_captures import pages

    html = pages(noisy)
    by_url: dict[str, list[dict[str, Any]]] = {}
    for row in _rows(noisy):
        if not row["cover"]:
            by_url.setdefault(row["url"], []).append(row)
    again = [rows for rows in by_url.values() if len(rows) >= 2]
    assert len(again) >= 50
    differ = sum(fingerprint(html[a["capture_id"]]).template_id != fingerprint(html[b["capture_id"]]).template_id
                 for a, b, *_ in again)  # fmt: skip
    assert differ >= 0.6 * len(again)  # another skeleton on most loads, not only other text


def test_pages_carry_exactly_the_identifiers_meant(noisy: Path) -> None:
    from test_synth_captures import pages

    html = pages(noisy)
    procs = Processors.load([noisy / "processors.toml"])
    loads = {r["capture_id"]: r for r in _rows(noisy, "loads.jsonl")}
    spelled: Counter[str] = Counter()
    for row in _rows(noisy):
        found = extract_identifiers(html[row["capture_id"]], base_url=row["url"], processors=procs)
        pivots = {(i.kind, i.value) for i in found if KINDS[i.kind].pivot}
        assert pivots == {tuple(v) for v in row["values"] + row["decoys"]}, (row["capture_id"], loads[row["capture_id"]])
        spelled.update(f"{k}:{v}" for k, v in loads[row["capture_id"]]["spellings"].items())
    assert set(spelled) == ALL_SPELLINGS


def test_spellings_are_switches(tmp_path: Path) -> None:
    generate_world(tmp_path / "mailto", profile="noisy", spellings=frozenset({"email:mailto"}))
    spelled = {k for r in _rows(tmp_path / "mailto", "loads.jsonl") for k in r["spellings"].items()}
    assert spelled == {("email", "mailto"), ("phone", "intl"), ("merchant", "hidden")}  # the s4 world's spellings
    with pytest.raises(ConfigError, match="unknown spellings"):
        generate_world(tmp_path / "bad", profile="noisy", spellings=frozenset({"email:smoke"}))
    with pytest.raises(ConfigError, match="only the noisy world"):
        generate_world(tmp_path / "bad2", profile="s4", spellings=frozenset({"email:mailto"}))


# ------------------------------------------------------------------------ attribution


def test_attribution_on_the_noisy_world_stays_within_its_bounds(noisy_attributed: Callable[..., dict[str, Any]]) -> None:
    got = _scored(noisy_attributed())
    scores = got["scores"]
    print(json.dumps({k: scores[k]["bcubed_f1"] for k in ("brands", "distributors", "baseline_brands", "baseline_distributors")}))
    assert scores["distributors"]["bcubed_f1"] >= 0.99  # measured 0.999 (one bare load founds a template)
    assert scores["brands"]["bcubed_f1"] >= 0.97  # measured 0.989: templates split by loads that differ
    assert scores["brands"]["bcubed_precision"] >= 0.999  # no two brands joined: the loss is all recall
    assert scores["baseline_distributors"]["bcubed_f1"] <= scores["distributors"]["bcubed_f1"] - 0.3
    _no_cover_and_no_kit_guess(got)


def test_attribution_is_exact_without_per_load_changes(noisy_attributed: Callable[..., dict[str, Any]]) -> None:
    """Spellings, shared kits, decoys and disguised sites alone: the issue's bound, 0.99."""
    got = _scored(noisy_attributed(mutations=0.0))
    assert got["scores"]["brands"]["bcubed_f1"] >= 0.99 and got["scores"]["distributors"]["bcubed_f1"] >= 0.99
    _no_cover_and_no_kit_guess(got)


@pytest.mark.xfail(strict=True, reason="loads that differ split templates (docs/synthetic-world.md, the noisy world)")
def test_brands_on_the_noisy_world_reach_the_issue_bound(noisy_attributed: Callable[..., dict[str, Any]]) -> None:
    assert _scored(noisy_attributed())["scores"]["brands"]["bcubed_f1"] >= 0.99


def test_decoys_are_flagged_generic_and_evidence_chains_are_complete(noisy_attributed: Callable[..., dict[str, Any]]) -> None:
    built = noisy_attributed()
    expected = json.loads((built["world"] / "truth" / "attribution.json").read_text())
    with Store(built["db"], read_only=True) as store:
        generic = set(store.con.execute("SELECT kind, value FROM identifier_values WHERE status = 'generic'").fetchall())
        rows = store.con.execute("SELECT brand_id, distributor_id, evidence FROM brands WHERE distributor_id IS NOT NULL").fetchall()
        firsts = dict(store.con.execute("""SELECT distributor_id, arg_min(brand_id, (first_seen, brand_id)) FROM brands
            WHERE distributor_id IS NOT NULL GROUP BY distributor_id""").fetchall())  # fmt: skip
    decoys = {(d["kind"], d["value"]) for d in expected["decoys"]}
    assert len(decoys) >= 6 and decoys <= generic, sorted(decoys - generic)  # every value many unrelated sites share
    assert rows
    for brand, distributor, evidence in rows:
        path = json.loads(evidence)
        assert path[0]["brand"] == firsts[distributor] and path[-1]["brand"] == brand
        for step in path[1:]:
            assert step["value"] and step["seen_on_previous"] and step["seen_on_brand"], (brand, step)


def _no_cover_and_no_kit_guess(got: dict[str, Any]) -> None:
    truth, ours = got["truth"], got["got"]
    assert got["covers"] == set(got["expected"]["disguised"])
    for row in truth:
        distributor, cover = ours[row["capture_id"]]
        if row["cover"]:
            assert cover and distributor is None, row["capture_id"]  # no cover page attributed
        elif row["distributor"] is None:
            assert distributor is None, f"{row['capture_id']}: a bare page of a shared kit guessed into {distributor}"
    assert sum(1 for r in truth if not r["cover"] and r["distributor"] is None) >= 5
