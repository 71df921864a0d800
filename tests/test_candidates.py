"""Template candidates as a set step: each skeleton with the ``window`` before it in each of
its LSH buckets (by first seen, then ID), checked against a plain reading of that rule on
buckets of every size, the large ones included (the lineage index has buckets of tens of
thousands, where the step must stay linear)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pyarrow as pa
import pytest

from vigil.attribute import templates
from vigil.attribute.templates import BAND_SCHEMA, candidate_pairs
from vigil.store import Store

SIGNATURE = bytes(range(128)) * 4  # one signature for all: every pair at similarity 1.0, none near the threshold


def _reference(rows: list[tuple[str, int, int]], first: dict[str, dt.datetime], window: int, only: set[str] | None) -> set[tuple[str, str]]:
    buckets: dict[tuple[int, int], list[str]] = {}
    for skeleton, band, key in rows:
        buckets.setdefault((band, key), []).append(skeleton)
    pairs = set()
    for members in buckets.values():
        members.sort(key=lambda s: (first[s], s))
        for i, later in enumerate(members):
            if only is None or later in only:
                pairs.update((later, earlier) for earlier in members[max(0, i - window) : i])
    return pairs


@pytest.mark.parametrize(("distinct_first", "chunk"), [(True, None), (False, None), (True, 150), (False, 300)])
@pytest.mark.parametrize("window", [1, 3, 10])
def test_candidates_are_the_window_before_each_skeleton_in_each_bucket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, window: int, distinct_first: bool, chunk: int | None
) -> None:
    """Deduplicated before or after the estimates, and estimated in one go or in chunks of
    150 or 300 skeletons (25 or 9 chunks of the 700), the same pairs."""
    if chunk:
        monkeypatch.setattr(templates, "CHUNK_SKELETONS", chunk)
    rng = random.Random(window)
    skeletons = [f"{rng.getrandbits(128):032x}" for _ in range(700)]
    start = dt.datetime(2012, 1, 1)
    first = {s: start + dt.timedelta(days=rng.randrange(60)) for s in skeletons}  # many ties: the ID breaks them
    rows = []
    for s in skeletons:
        for band in range(4):
            key = 0 if band == 0 else rng.randrange(5 if band == 1 else 400)  # one bucket of all, a few large, many small
            rows.append((s, band, key))
    only = set(rng.sample(skeletons, 50))
    with Store(tmp_path / "v.duckdb") as store:
        engine = store.engine
        engine.put_arrow("_bands", pa.table({"skeleton_id": [r[0] for r in rows], "band": [r[1] for r in rows],
                                             "key": [r[2] for r in rows]}, schema=BAND_SCHEMA))  # fmt: skip
        engine.put_arrow("_skeletons", pa.table({"skeleton_id": skeletons, "first_seen": [first[s] for s in skeletons],
                                                 "minhash": [SIGNATURE] * len(skeletons)}))  # fmt: skip
        engine.put_arrow("_only", pa.table({"skeleton_id": sorted(only)}))
        for chosen in (None, only):
            candidate_pairs(engine, "_bands", window, 0.8, 0.0, only="_only" if chosen else None, distinct_first=distinct_first)
            got = engine.rows("test", "SELECT a, b, similarity FROM _pairs")
            assert {(r["a"], r["b"]) for r in got} == _reference(rows, first, window, chosen)
            assert len(got) == len({(r["a"], r["b"]) for r in got}) and all(r["similarity"] == 1.0 for r in got)


@pytest.mark.parametrize(("distinct_first", "chunk"), [(True, None), (False, None), (True, 1), (False, 2)])
def test_pairs_estimated_below_the_floor_are_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, distinct_first: bool, chunk: int | None
) -> None:
    """One bucket of four skeletons whose signatures agree with the first one's on 128, 96, 64
    and 32 of 128 positions: with a floor of 0.5 the pairs estimated at 0.25 (and the pairs
    among the less similar ones, estimated lower) are dropped, the rest kept with their
    estimates; a floor above ``same - EXACT_MARGIN`` is refused (an exact Jaccard could lift
    such a pair over ``same``); in chunks of one or two skeletons, the same."""
    if chunk:
        monkeypatch.setattr(templates, "CHUNK_SKELETONS", chunk)
    base = list(range(1, 129))
    agree = {"s0": 128, "s1": 96, "s2": 64, "s3": 32}
    signatures = {name: base[:n] + [10_000 + 1_000 * i + j for j in range(128 - n)]
                  for i, (name, n) in enumerate(agree.items())}  # fmt: skip
    first = {name: dt.datetime(2012, 1, 1 + i) for i, name in enumerate(agree)}
    with Store(tmp_path / "f.duckdb") as store:
        engine = store.engine
        # two bands holding all four: every pair is found twice, and must come out once
        engine.put_arrow("_bands", pa.table({"skeleton_id": list(agree) * 2, "band": [0] * 4 + [1] * 4, "key": [7] * 8},
                                            schema=BAND_SCHEMA))  # fmt: skip
        engine.put_arrow("_skeletons", pa.table({
            "skeleton_id": list(agree), "first_seen": [first[s] for s in agree],
            "minhash": [b"".join(v.to_bytes(4, "little") for v in signatures[s]) for s in agree]}))  # fmt: skip
        candidate_pairs(engine, "_bands", 3, 0.8, 0.0, distinct_first=distinct_first)
        rows = engine.rows("test", "SELECT * FROM _pairs")
        everything = {(r["a"], r["b"]): r["similarity"] for r in rows}
        assert len(rows) == len(everything)
        assert len(everything) == 6 and everything[("s1", "s0")] == 0.75 and everything[("s3", "s0")] == 0.25
        candidate_pairs(engine, "_bands", 3, 0.8, 0.5, distinct_first=distinct_first)
        rows = engine.rows("test", "SELECT * FROM _pairs")
        kept = {(r["a"], r["b"]): r["similarity"] for r in rows}
        assert len(rows) == len(kept)
        assert kept == {pair: s for pair, s in everything.items() if s >= 0.5} and ("s2", "s0") in kept
        with pytest.raises(ValueError, match="floor"):
            candidate_pairs(engine, "_bands", 3, 0.8, 0.75)
