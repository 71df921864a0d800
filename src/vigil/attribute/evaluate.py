"""Scoring an attribution against a synthetic world's truth: pairwise and B-cubed P/R/F1.

Items are captures (truth rows with ``cover`` are left out). An unattributed capture is
its own cluster. The **naive baseline** is what the field does without Vigil: brands by the
exact skeleton hash, distributors by linking on any shared extracted value.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from vigil.attribute.linking import DisjointSets
from vigil.errors import InputError
from vigil.store.handle import StoreHandle


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def scores(predicted: Mapping[str, object], truth: Mapping[str, object]) -> dict[str, float]:
    """Pairwise and B-cubed precision, recall and F1 of ``predicted`` against ``truth`` (item → cluster)."""
    items = sorted(truth)
    pred = {i: predicted.get(i) if predicted.get(i) is not None else ("unattributed", i) for i in items}
    true = {i: truth[i] if truth[i] is not None else ("unattributed", i) for i in items}
    cell = Counter((pred[i], true[i]) for i in items)
    size_p = Counter(pred.values())
    size_t = Counter(true.values())
    tp = sum(_pairs(n) for n in cell.values())
    pp = sum(_pairs(n) for n in size_p.values())
    tt = sum(_pairs(n) for n in size_t.values())
    precision = tp / pp if pp else 1.0
    recall = tp / tt if tt else 1.0
    b_p = sum(cell[(pred[i], true[i])] / size_p[pred[i]] for i in items) / len(items) if items else 1.0
    b_r = sum(cell[(pred[i], true[i])] / size_t[true[i]] for i in items) / len(items) if items else 1.0
    return {
        "pairwise_precision": precision, "pairwise_recall": recall, "pairwise_f1": _f1(precision, recall),
        "bcubed_precision": b_p, "bcubed_recall": b_r, "bcubed_f1": _f1(b_p, b_r),
    }  # fmt: skip


def _naive(store: StoreHandle) -> tuple[dict[str, str], dict[str, str]]:
    rows = [tuple(r.values()) for r in store.engine.rows("captures", """SELECT c.capture_id, c.page_sha256, s.skeleton_id
        FROM captures c JOIN page_skeletons s USING (page_sha256)""")]  # fmt: skip
    sets = DisjointSets()
    by_value: dict[str, str] = {}
    for page, value in [tuple(r.values()) for r in store.engine.rows(
            "identifier values", "SELECT DISTINCT page_sha256, kind || ':' || value AS v FROM page_identifiers ORDER BY 1, 2")]:
        if value in by_value:
            sets.union(page, by_value[value])
        else:
            by_value[value] = page
    skeleton_of = {page: skel for _, page, skel in rows}
    for page, skel in skeleton_of.items():  # one brand per exact skeleton: its pages are one site
        sets.union(page, "skeleton:" + skel)
    brands = {cid: skel for cid, _, skel in rows}
    distributors = {cid: sets.find(page) for cid, page, _ in rows}
    return brands, distributors


def read_truth(truth_files: Sequence[Path]) -> list[dict[str, Any]]:
    """The truth rows of one or more worlds (covers left out).

    With several files, each world's labels get its position as a prefix (``2:D01``), for
    ``D01`` of one world is not ``D01`` of another; a capture ID in two files is refused,
    as the worlds were then not written in namespaces of their own.
    """
    rows: list[dict[str, Any]] = []
    seen: dict[str, Path] = {}
    for n, path in enumerate(truth_files):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text") from None
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                capture_id = str(row["capture_id"])
                labels = {key: row.get(key) for key in ("brand", "distributor")}
            except (ValueError, KeyError, TypeError, AttributeError):
                raise InputError(f"{path}:{number}: not a truth row (a JSON object with capture_id, brand and distributor)") from None
            if capture_id in seen:
                raise InputError(f"{path}:{number}: capture {capture_id} is also in {seen[capture_id]}: "
                                 "write worlds that are scored together with their own --namespace")  # fmt: skip
            seen[capture_id] = path
            if row.get("cover"):
                continue
            if len(truth_files) > 1:
                labels = {key: None if v is None else f"{n + 1}:{v}" for key, v in labels.items()}
            rows.append({"capture_id": capture_id, **labels})
    return rows


def evaluate(store: StoreHandle, truth_files: Path | Sequence[Path]) -> dict[str, Any]:
    """Scores of the store's attribution against the truth of one world, or of several side by side."""
    files = [truth_files] if isinstance(truth_files, Path) else list(truth_files)
    truth = read_truth(files)
    stored = {str(r["capture_id"]) for r in store.engine.rows("truth captures", "SELECT DISTINCT capture_id FROM captures")}
    absent = [t["capture_id"] for t in truth if t["capture_id"] not in stored]
    if not truth or absent:
        names = ", ".join(map(str, files))
        if not truth:
            raise InputError(f"{names}: no truth rows to score")
        raise InputError(f"{names}: {len(absent):,} of {len(truth):,} truth capture IDs are not in the store (first: {absent[0]}): "
                         "ingest that world's captures and run `vigil attribute` first, or pass the store that holds them")  # fmt: skip
    got = [tuple(r.values()) for r in store.engine.rows("attribution", """SELECT c.capture_id, a.brand_id, a.distributor_id
        FROM captures c JOIN capture_attribution a USING (capture_key)""")]  # fmt: skip
    brand = {cid: b for cid, b, _ in got}
    dist = {cid: d for cid, _, d in got}
    true_brand = {t["capture_id"]: t["brand"] for t in truth}
    true_dist = {t["capture_id"]: t["distributor"] for t in truth}
    naive_brand, naive_dist = _naive(store)
    return {
        "captures": len(truth),
        "brands": scores(brand, true_brand),
        "distributors": scores(dist, true_dist),
        "baseline_brands": scores(naive_brand, true_brand),
        "baseline_distributors": scores(naive_dist, true_dist),
    }
