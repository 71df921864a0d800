"""``vigil attribute``: captures → templates → distributors → brands, with evidence.

Derived, so rebuilt whole each run from the evidence, the data files and the analysts'
judgements: same inputs, same IDs. Per-page work is cached by page (``pages.py``).
"""

from __future__ import annotations

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
    engine.materialise("_attr_captures", """
        SELECT c.capture_key, c.captured_at, c.page_sha256, s.skeleton_id, l.root_id AS template_id
        FROM captures c JOIN page_skeletons s ON s.page_sha256 = c.page_sha256
        JOIN _links l ON l.skeleton_id = s.skeleton_id
        WHERE c.capture_key NOT IN (SELECT capture_key FROM _cover)""")  # fmt: skip
    page_template = {r["page_sha256"]: r["template_id"] for r in engine.rows(
        "pages to link", "SELECT DISTINCT page_sha256, template_id FROM _attr_captures ORDER BY 1")}  # fmt: skip
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
    _write(store, linking)
    evidence_paths(store, linking)
    summary = engine.rows("attribution summary", """SELECT (SELECT count(*) FROM capture_attribution) AS a,
        (SELECT count(*) FROM capture_attribution WHERE cover) AS b, (SELECT count(*) FROM templates) AS c,
        (SELECT count(*) FROM brands) AS d, (SELECT count(*) FROM distributors) AS e,
        (SELECT count(*) FROM identifier_values WHERE status = 'generic') AS f""")[0]  # fmt: skip
    return AttributeSummary(analysed, *(int(n) for n in summary.values()))


def distributor_ids(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A group's distributor ID: ``D-`` and a hash of its earliest capture's key (stable across runs)."""
    keys = batch.column("capture_key").to_pylist()
    return pa.RecordBatch.from_pydict({"grp": batch.column("grp"), "distributor_id": ["D-" + _short(k) for k in keys]},
                                      schema=_DISTRIBUTOR_IDS)  # fmt: skip


_DISTRIBUTOR_IDS = pa.schema([("grp", pa.string()), ("distributor_id", pa.string())])

# Each capture's group: its page's, when a shared value tied the page to another page;
# otherwise that of the nearest such capture in time of the same template (the earlier one on
# a tie: an identified capture at the same moment counts as later); a template whose own
# values tie it to nothing else is its own group; else none.
_SQL_CAPTURE_GROUPS = """
WITH cap AS (
    SELECT a.capture_key, a.captured_at, a.page_sha256, a.skeleton_id, a.template_id, g.grp,
           coalesce(g.identified, false) AS identified, coalesce(g.valued, false) AS valued
    FROM _attr_captures a LEFT JOIN _page_groups g ON g.page_sha256 = a.page_sha256
),
lone AS (
    SELECT template_id FROM cap GROUP BY template_id HAVING bool_or(valued) AND NOT bool_or(identified)
),
ordered AS (
    SELECT cap.*, row_number() OVER (PARTITION BY template_id
        ORDER BY captured_at, CASE WHEN identified THEN 1 ELSE 0 END, capture_key) AS pos
    FROM cap
),
near AS (
    SELECT o.*,
        max(CASE WHEN identified THEN pos END) OVER (PARTITION BY template_id ORDER BY pos
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_pos,
        min(CASE WHEN identified THEN pos END) OVER (PARTITION BY template_id ORDER BY pos
            ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_pos
    FROM ordered o
)
SELECT w.capture_key, w.captured_at, w.page_sha256, w.skeleton_id, w.template_id,
       CASE WHEN w.identified THEN w.grp
            WHEN p.pos IS NULL AND n.pos IS NULL THEN
                 CASE WHEN w.template_id IN (SELECT template_id FROM lone) THEN 'template:' || w.template_id END
            WHEN n.pos IS NULL THEN p.grp
            WHEN p.pos IS NULL THEN n.grp
            WHEN {m_w} - {m_p} <= {m_n} - {m_w} THEN p.grp
            ELSE n.grp END AS grp
FROM near w
LEFT JOIN ordered p ON p.template_id = w.template_id AND p.pos = w.prev_pos
LEFT JOIN ordered n ON n.template_id = w.template_id AND n.pos = w.next_pos
"""

# Brands: template × distributor, numbered by first capture within the template.
_SQL_BRAND_IDS = """
SELECT template_id, distributor_id,
       'B-' || substr(template_id, 1, 10) ||
       CASE WHEN n = 1 THEN '' ELSE '-' || CAST(n AS STRING) END AS brand_id
FROM (
    SELECT template_id, distributor_id,
           row_number() OVER (PARTITION BY template_id ORDER BY first_at, first_key) AS n
    FROM (SELECT template_id, distributor_id, min(captured_at) AS first_at, min(first_key) AS first_key FROM (
              SELECT template_id, distributor_id, captured_at,
                     CASE WHEN captured_at = min(captured_at) OVER (PARTITION BY template_id, distributor_id)
                          THEN capture_key END AS first_key
              FROM _capture_distributors)
          GROUP BY template_id, distributor_id)
)
"""


def _write(store: Any, linking: Linking) -> None:
    engine = store.engine
    size: dict[str, int] = {}
    for root in linking.group.values():
        size[root] = size.get(root, 0) + 1
    with_values = {p for d in linking.decisions if d.status in ("link", "single") for p in d.pages}
    pages = sorted(linking.group)
    engine.put_arrow("_page_groups", pa.table({
        "page_sha256": pa.array(pages, pa.string()), "grp": pa.array([linking.group[p] for p in pages], pa.string()),
        "identified": pa.array([size[linking.group[p]] >= 2 for p in pages], pa.bool_()),
        "valued": pa.array([p in with_values for p in pages], pa.bool_())}))  # fmt: skip
    micros = engine.dialect.micros
    engine.materialise("_capture_groups", _SQL_CAPTURE_GROUPS.format(
        m_w=micros("w.captured_at"), m_p=micros("p.captured_at"), m_n=micros("n.captured_at")))  # fmt: skip
    engine.map_batches("_distributor_ids", """
        SELECT grp, capture_key FROM (
            SELECT grp, capture_key, row_number() OVER (PARTITION BY grp ORDER BY captured_at, capture_key) AS k
            FROM _capture_groups WHERE grp IS NOT NULL) WHERE k = 1""", distributor_ids, _DISTRIBUTOR_IDS)  # fmt: skip
    engine.materialise("_capture_distributors", """
        SELECT g.capture_key, g.captured_at, g.page_sha256, g.skeleton_id, g.template_id, d.distributor_id
        FROM _capture_groups g LEFT JOIN _distributor_ids d ON d.grp = g.grp""")  # fmt: skip
    engine.materialise("_brand_ids", _SQL_BRAND_IDS)
    engine.materialise("_attr", """
        SELECT c.capture_key, c.skeleton_id, c.template_id, b.brand_id, c.distributor_id, false AS cover
        FROM _capture_distributors c JOIN _brand_ids b ON b.template_id = c.template_id
         AND (b.distributor_id = c.distributor_id OR (b.distributor_id IS NULL AND c.distributor_id IS NULL))""")  # fmt: skip
    firsts = [d.pages[0] if d.status in ("link", "single") else None for d in linking.decisions]
    engine.put_arrow("_value_pages", pa.table({"position": pa.array(range(len(firsts)), pa.int64()),
                                               "page_sha256": pa.array(firsts, pa.string())}))  # fmt: skip
    engine.materialise("_page_distributor", """
        SELECT page_sha256, distributor_id FROM (
            SELECT page_sha256, distributor_id, row_number() OVER (PARTITION BY page_sha256 ORDER BY captured_at, capture_key) AS k
            FROM _capture_distributors) WHERE k = 1""")  # fmt: skip
    decisions = [(i, d.kind, d.value, d.spread, d.status, d.groups_joined, d.reason) for i, d in enumerate(linking.decisions)]
    columns: list[Any] = list(zip(*decisions)) if decisions else [[]] * 7
    engine.put_arrow("_decisions", pa.table([
        pa.array(columns[0], pa.int64()), pa.array(columns[1], pa.string()), pa.array(columns[2], pa.string()),
        pa.array(columns[3], pa.int32()), pa.array(columns[4], pa.string()), pa.array(columns[5], pa.int32()),
        pa.array(columns[6], pa.string())],
        names=["position", "kind", "value", "spread", "status", "groups_joined", "reason"]))  # fmt: skip
    engine.materialise("_values", """
        SELECT d.kind, d.value, d.spread, d.status, d.groups_joined, d.reason, pd.distributor_id
        FROM _decisions d JOIN _value_pages v ON v.position = d.position
        LEFT JOIN _page_distributor pd ON pd.page_sha256 = v.page_sha256""")  # fmt: skip
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
