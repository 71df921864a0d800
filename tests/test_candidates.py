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


@pytest.mark.parametrize("window", [1, 3, 10])
def test_candidates_are_the_window_before_each_skeleton_in_each_bucket(tmp_path: Path, window: int) -> None:
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
            candidate_pairs(engine, "_bands", window, 0.8, only="_only" if chosen else None)
            got = engine.rows("test", "SELECT a, b, similarity FROM _pairs")
            assert {(r["a"], r["b"]) for r in got} == _reference(rows, first, window, chosen)
            assert len(got) == len({(r["a"], r["b"]) for r in got}) and all(r["similarity"] == 1.0 for r in got)
