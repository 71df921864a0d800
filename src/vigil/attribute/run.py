"""``vigil attribute``: captures → templates → distributors → brands, with evidence.

Derived, so rebuilt whole each run from the evidence, the data files and the analysts'
judgements: same inputs, same IDs. Per-page work is cached by page (``pages.py``).
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from vigil.attribute.evidence import evidence_paths
from vigil.attribute.identifiers import KINDS
from vigil.attribute.linking import Linking, link
from vigil.attribute.pages import analyse_pages
from vigil.attribute.templates import TemplateSettings, build_templates
from vigil.attribute.warninglists import WarningLists


@dataclass(frozen=True)
class AttributeSummary:
    pages_analysed: int
    captures: int
    cover_pages: int
    templates: int
    brands: int
    distributors: int
    generic_values: int


def _short(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()[:10]


def _covers(store: Any, altered: float) -> None:
    """Disguised URLs: no-referrer captures unlike every with-referrer capture of the URL."""
    rows = store.engine.rows("disguise candidates", """
        SELECT c.capture_key, c.url, c.referrer, s.minhash
        FROM captures c JOIN page_skeletons s ON s.page_sha256 = c.page_sha256
        WHERE c.url IN (SELECT url FROM captures GROUP BY url
                        HAVING count(referrer) > 0 AND count(*) > count(referrer))
        ORDER BY c.url, c.captured_at, c.capture_key""")  # fmt: skip
    by_url: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_url.setdefault(row["url"], []).append(row)
    cover: list[str] = []
    disguised: list[tuple[str, int, int, str]] = []
    for url, items in by_url.items():
        sales = [np.frombuffer(i["minhash"], dtype="<u4") for i in items if i["referrer"]]
        covers = [i for i in items if not i["referrer"]
                  and all(float((np.frombuffer(i["minhash"], dtype="<u4") == s).mean()) < altered for s in sales)]  # fmt: skip
        if covers:
            cover.extend(i["capture_key"] for i in covers)
            chain = next(i["referrer"] for i in items if i["referrer"])
            disguised.append((url, len(covers), len(sales), chain))
    store.engine.put_arrow("_cover", pa.table({"capture_key": pa.array(cover, pa.string())}))
    columns: list[Any] = list(zip(*disguised)) if disguised else [[], [], [], []]
    store.engine.put_arrow("_disguised", pa.table({
        "url": pa.array(columns[0], pa.string()), "cover_captures": pa.array(columns[1], pa.int32()),
        "sales_captures": pa.array(columns[2], pa.int32()), "referrer": pa.array(columns[3], pa.string())}))  # fmt: skip
    store.engine.replace("disguised_urls", "SELECT * FROM _disguised")


def attribute_store(
    store: Any,
    *,
    settings: TemplateSettings = TemplateSettings(),
    max_groups: int = 3,
    min_strength: float = 0.5,
    processors: Sequence[Path] = (),
    warninglists: Sequence[Path] = (),
    progress: Callable[[str, int, int], None] | None = None,
) -> AttributeSummary:
    tick = progress or (lambda stage, done, total: None)
    analysed = analyse_pages(store, processors=processors, progress=lambda d, t: tick("pages", d, t))
    engine = store.engine
    _covers(store, settings.altered)
    build_templates(engine, settings)
    tick("templates", 1, 1)
    captures = engine.rows("captures to attribute", """
        SELECT c.capture_key, c.captured_at, c.page_sha256, s.skeleton_id, l.root_id AS template_id
        FROM captures c JOIN page_skeletons s ON s.page_sha256 = c.page_sha256
        JOIN _links l ON l.skeleton_id = s.skeleton_id
        WHERE c.capture_key NOT IN (SELECT capture_key FROM _cover)
        ORDER BY c.captured_at, c.capture_key""")  # fmt: skip
    page_template = {c["page_sha256"]: c["template_id"] for c in captures}
    strong = sorted(name for name, kind in KINDS.items() if kind.pivot and kind.specificity >= min_strength)
    values = [(r["page_sha256"], r["kind"], r["value"]) for r in engine.rows(
        "pivot identifiers", "SELECT DISTINCT page_sha256, kind, value FROM page_identifiers "
        "WHERE is_pivot AND array_contains($strong, kind) ORDER BY 1, 2, 3", {"strong": strong})]  # fmt: skip
    judgements = engine.rows("judgements", "SELECT judgement_id, brand_a, brand_b, verdict FROM judgements ORDER BY made_at, judgement_id")
    prefixes = {t[:10]: t for t in set(page_template.values())}

    def resolve(brand: str) -> str | None:  # B-<10 hex>[-n] → its template
        return prefixes.get(brand[2:].split("-")[0])

    not_same = [(resolve(j["brand_a"]), resolve(j["brand_b"])) for j in judgements if j["verdict"] == "not_same"]
    same = [(j["judgement_id"], resolve(j["brand_a"]), resolve(j["brand_b"])) for j in judgements if j["verdict"] == "same"]
    warn = WarningLists.load(warninglists)
    linking = link(page_template, values, max_groups=max_groups, warned=warn.match,
                   not_same=[p for p in not_same if None not in p],  # type: ignore[misc]
                   same=[s for s in same if None not in s])  # type: ignore[misc]  # fmt: skip
    tick("distributors", 1, 1)
    _write(store, captures, linking)
    evidence_paths(store, linking)
    summary = engine.rows("attribution summary", """SELECT (SELECT count(*) FROM capture_attribution) AS a,
        (SELECT count(*) FROM capture_attribution WHERE cover) AS b, (SELECT count(*) FROM templates) AS c,
        (SELECT count(*) FROM brands) AS d, (SELECT count(*) FROM distributors) AS e,
        (SELECT count(*) FROM identifier_values WHERE status = 'generic') AS f""")[0]  # fmt: skip
    return AttributeSummary(analysed, *(int(n) for n in summary.values()))


def _write(store: Any, captures: list[dict[str, Any]], linking: Linking) -> None:
    # A page anchors its group when a shared value tied it to another page. Pages whose values
    # are theirs alone (e.g. a contact address rotated on every load) take their template's group.
    size: dict[str, int] = {}
    for root in linking.group.values():
        size[root] = size.get(root, 0) + 1
    identified = {p for p, root in linking.group.items() if size[root] >= 2}
    with_values = {p for d in linking.decisions if d.status in ("link", "single") for p in d.pages}
    lone_templates = {c["template_id"] for c in captures if c["page_sha256"] in with_values} - {
        c["template_id"] for c in captures if c["page_sha256"] in identified}
    # 1. group per capture: its page's group, else the nearest capture in time of its template
    timeline: dict[str, tuple[list[Any], list[str]]] = {}
    for c in captures:
        if c["page_sha256"] in identified:
            times, groups = timeline.setdefault(c["template_id"], ([], []))
            times.append(c["captured_at"])
            groups.append(linking.group[c["page_sha256"]])
    group_of: dict[str, str | None] = {}
    for c in captures:
        if c["page_sha256"] in identified:
            group_of[c["capture_key"]] = linking.group[c["page_sha256"]]
            continue
        line = timeline.get(c["template_id"])
        if not line:  # a template whose own values tie it to nothing else is its own group
            group_of[c["capture_key"]] = "template:" + c["template_id"] if c["template_id"] in lone_templates else None
            continue
        times, groups = line
        moment = c["captured_at"]
        i = bisect.bisect_left(times, moment)
        nearest = []  # (distance, earlier first, index)
        if i > 0:
            nearest.append((moment - times[i - 1], 0, i - 1))
        if i < len(times):
            nearest.append((times[i] - moment, 1, i))
        group_of[c["capture_key"]] = groups[min(nearest)[2]]
    # 2. distributor IDs from each group's earliest capture (captures are in time order)
    distributor: dict[str, str] = {}
    for c in captures:
        group = group_of[c["capture_key"]]
        if group is not None and group not in distributor:
            distributor[group] = "D-" + _short(c["capture_key"])
    # 3. brands: template x distributor, numbered by first seen within the template
    brand_of: dict[tuple[str, str | None], str] = {}
    count: dict[str, int] = {}
    for c in captures:
        key = (c["template_id"], distributor.get(group_of[c["capture_key"]] or ""))
        if key not in brand_of:
            count[key[0]] = count.get(key[0], 0) + 1
            brand_of[key] = f"B-{key[0][:10]}" + ("" if count[key[0]] == 1 else f"-{count[key[0]]}")
    rows = {
        "capture_key": [c["capture_key"] for c in captures],
        "skeleton_id": [c["skeleton_id"] for c in captures],
        "template_id": [c["template_id"] for c in captures],
        "brand_id": [brand_of[(c["template_id"], distributor.get(group_of[c["capture_key"]] or ""))] for c in captures],
        "distributor_id": [distributor.get(group_of[c["capture_key"]] or "") for c in captures],
        "cover": [False] * len(captures),
    }
    engine = store.engine
    engine.put_arrow("_attr", pa.table(rows, schema=pa.schema(
        [(k, pa.bool_() if k == "cover" else pa.string()) for k in rows])))  # fmt: skip
    dist_of_page: dict[str, str | None] = {}
    for c, d in zip(captures, rows["distributor_id"]):
        dist_of_page.setdefault(c["page_sha256"], d)
    decisions = [(d.kind, d.value, d.spread, d.status, d.groups_joined, d.reason,
                  dist_of_page.get(d.pages[0]) if d.status in ("link", "single") else None)
                 for d in linking.decisions]  # fmt: skip
    columns: list[Any] = list(zip(*decisions)) if decisions else [[]] * 7
    engine.put_arrow("_values", pa.table([
        pa.array(columns[0], pa.string()), pa.array(columns[1], pa.string()), pa.array(columns[2], pa.int32()),
        pa.array(columns[3], pa.string()), pa.array(columns[4], pa.int32()), pa.array(columns[5], pa.string()),
        pa.array(columns[6], pa.string())],
        names=["kind", "value", "spread", "status", "groups_joined", "reason", "distributor_id"]))  # fmt: skip
    with engine.transaction():
        engine.replace("capture_attribution", """
            SELECT * FROM _attr
            UNION ALL
            SELECT c.capture_key, s.skeleton_id, NULL, NULL, NULL, true FROM captures c
            JOIN page_skeletons s ON s.page_sha256 = c.page_sha256 WHERE c.capture_key IN (SELECT capture_key FROM _cover)""")
        engine.replace("skeleton_links", "SELECT skeleton_id, parent_id, similarity, root_id, first_seen FROM _links")
        engine.replace("templates", """
            SELECT l.root_id, min(l.first_seen), count(*), any_value(g.lineage_skeleton), any_value(g.lineage_similarity)
            FROM _links l LEFT JOIN _lineage g ON g.template_id = l.root_id GROUP BY l.root_id""")
        engine.replace("distributors", """
            SELECT a.distributor_id, min(c.captured_at), max(c.captured_at), count(DISTINCT a.brand_id), count(*)
            FROM capture_attribution a JOIN captures c USING (capture_key)
            WHERE a.distributor_id IS NOT NULL GROUP BY a.distributor_id""")
        # lineage: a later brand of the same template names the first; a founder names its altered ancestor's brand
        engine.materialise("_brands", """
            SELECT b.brand_id, any_value(b.template_id) AS template_id, any_value(b.distributor_id) AS distributor_id,
                   min(c.captured_at) AS first_seen, max(c.captured_at) AS last_seen, count(*) AS captures
            FROM capture_attribution b JOIN captures c USING (capture_key) WHERE NOT b.cover GROUP BY b.brand_id""")
        engine.replace("brands", """
            SELECT b.brand_id, b.template_id, b.distributor_id, b.first_seen, b.last_seen, b.captures,
                   CASE WHEN b.brand_id LIKE 'B-%-%' THEN 'B-' || substr(b.template_id, 1, 10) ELSE f.lineage_brand END,
                   CAST(NULL AS STRING)
            FROM _brands b LEFT JOIN (
                SELECT t.template_id, min(b2.brand_id) AS lineage_brand
                FROM templates t JOIN skeleton_links k ON k.skeleton_id = t.lineage_skeleton
                JOIN _brands b2 ON b2.template_id = k.template_id AND b2.brand_id NOT LIKE 'B-%-%'
                GROUP BY t.template_id
            ) f ON f.template_id = b.template_id""")
        engine.replace("identifier_values", "SELECT * FROM _values")
