"""The stages both kinds of attribution run: cover pages, the captures' templates, the pivot
values, and ``derive`` (link, the derived rows, the evidence paths, the components).

``run.py`` runs them over every capture, ``incremental.py`` over the scope a new batch
touches; both import them from here, so neither imports the other's stages.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from vigil.attribute.evidence import evidence_paths
from vigil.attribute.identifiers import KINDS
from vigil.attribute.linking import COMPONENT_SCRATCH, components, link
from vigil.attribute.warninglists import WarningLists
from vigil.store.engine import Engine
from vigil.store.handle import StoreHandle
from vigil.store.stages import stage

# the components of the run's scope: templates tied by a value that is not generic (linking's
# _lk_ties), or a same judgement
_SQL_COMPONENT_EDGES = """
SELECT a, b FROM _lk_ties
UNION
SELECT template_a AS a, template_b AS b FROM _judged WHERE template_a <> template_b
"""



def _short(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()[:10]


# Cover pages, as set steps: the captures of the URLs seen both with and without a referrer
# (a referrer counts when it is not empty), their distinct (no-referrer page, with-referrer
# page) pairs within a URL compared once each, and the no-referrer pages alike to none of
# their URL's with-referrer pages. Nothing is held on the driver: at 10M captures the
# candidates are ~1.2M rows with a signature each.
_SQL_COVER_ITEMS = """
SELECT c.capture_key, c.url, c.referrer, c.captured_at, c.page_sha256, coalesce(c.referrer, '') <> '' AS sale
FROM captures c JOIN page_skeletons s ON s.page_sha256 = c.page_sha256
WHERE c.url IN (SELECT url FROM captures {only} GROUP BY url HAVING count(referrer) > 0 AND count(*) > count(referrer))
"""
_SQL_COVER_SIDES = """
WITH n AS (SELECT DISTINCT url, page_sha256 FROM _cover_items WHERE NOT sale),
r AS (SELECT DISTINCT url, page_sha256 FROM _cover_items WHERE sale)
SELECT n.url, n.page_sha256 AS a, r.page_sha256 AS b FROM n JOIN r ON r.url = n.url
"""
_SQL_COVER_PAIRS = """
SELECT p.a, p.b, sa.minhash AS ma, sb.minhash AS mb FROM (SELECT DISTINCT a, b FROM _cover_sides) p
JOIN page_skeletons sa ON sa.page_sha256 = p.a JOIN page_skeletons sb ON sb.page_sha256 = p.b
"""
_SQL_COVER_PAGES = """
SELECT s.url, s.a AS page_sha256 FROM _cover_sides s JOIN _cover_alike x ON x.a = s.a AND x.b = s.b
GROUP BY s.url, s.a HAVING max(CASE WHEN x.alike THEN 1 ELSE 0 END) = 0
"""
_SQL_DISGUISED = """
WITH cc AS (SELECT url, count(*) AS n FROM _cover_items i WHERE capture_key IN (SELECT capture_key FROM _cover) GROUP BY url),
ss AS (SELECT url, count(*) AS n FROM _cover_items WHERE sale GROUP BY url),
fs AS (SELECT url, referrer FROM (
    SELECT url, referrer, row_number() OVER (PARTITION BY url ORDER BY captured_at, capture_key) AS k
    FROM _cover_items WHERE sale) WHERE k = 1)
SELECT cc.url, CAST(cc.n AS INT) AS cover_captures, CAST(ss.n AS INT) AS sales_captures, f.referrer
FROM cc JOIN ss ON ss.url = cc.url JOIN fs f ON f.url = cc.url
"""

_ALIKE = pa.schema([("a", pa.string()), ("b", pa.string()), ("alike", pa.bool_())])


@dataclass(frozen=True)
class CoverAlike:
    """Whether a no-referrer page (``ma``) is alike to a with-referrer page (``mb``): the share
    of equal MinHash positions is not under ``altered`` (pure, per row)."""

    altered: float

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        alike = [not float((np.frombuffer(x, dtype="<u4") == np.frombuffer(y, dtype="<u4")).mean()) < self.altered
                 for x, y in zip(batch.column("ma").to_pylist(), batch.column("mb").to_pylist())]  # fmt: skip
        return pa.RecordBatch.from_pydict({"a": batch.column("a"), "b": batch.column("b"),
                                           "alike": pa.array(alike, pa.bool_())}, schema=_ALIKE)  # fmt: skip


@stage(reads=("captures", "page_skeletons"),
       writes=("_cover_items", "_cover_sides", "_cover_alike", "_cover_pages", "_cover", "_disguised"))  # fmt: skip
def covers(store: StoreHandle, altered: float, *, urls: str | None = None) -> None:
    """Disguised URLs: no-referrer captures unlike every with-referrer capture of the URL.

    Materialises ``_cover(capture_key)`` and ``_disguised`` (rows of ``disguised_urls``: the
    URL, its cover and sales captures, the referrer of its first sales capture), for every URL
    or for those in table ``urls`` only.
    """
    engine = store.engine
    engine.materialise("_cover_items", _SQL_COVER_ITEMS.format(only=f"WHERE url IN (SELECT url FROM {urls})" if urls else ""))
    engine.materialise("_cover_sides", _SQL_COVER_SIDES)
    engine.map_batches("_cover_alike", _SQL_COVER_PAIRS, CoverAlike(altered), _ALIKE, batch_rows=20_000)
    engine.materialise("_cover_pages", _SQL_COVER_PAGES)
    engine.materialise("_cover", """SELECT i.capture_key FROM _cover_items i
        JOIN _cover_pages p ON p.url = i.url AND p.page_sha256 = i.page_sha256 WHERE NOT i.sale""")  # fmt: skip
    engine.materialise("_disguised", _SQL_DISGUISED)


@stage(reads=("captures", "page_skeletons", "_links", "_cover"), writes=("_attr_captures", "_stem_templates"))
def template_captures(engine: Engine) -> None:
    """``_attr_captures``: every capture that is not a cover page, with its skeleton and
    template; ``_stem_templates``: every template (brand IDs are kept apart among all)."""
    engine.materialise("_attr_captures", """
        SELECT c.capture_key, c.captured_at, c.page_sha256, s.skeleton_id, l.root_id AS template_id
        FROM captures c JOIN page_skeletons s ON s.page_sha256 = c.page_sha256
        JOIN _links l ON l.skeleton_id = s.skeleton_id
        WHERE c.capture_key NOT IN (SELECT capture_key FROM _cover)""")  # fmt: skip
    engine.materialise("_stem_templates", "SELECT DISTINCT root_id AS template_id FROM _links")


def strong_kinds(min_strength: float) -> list[str]:
    """The pivot kinds strong enough to link."""
    return sorted(name for name, kind in KINDS.items() if kind.pivot and kind.specificity >= min_strength)


@stage(reads=("_attr_captures", "page_identifiers"), writes=("_lk_pages", "_lk_pivots"))
def pivots(engine: Engine, min_strength: float) -> None:
    """``_lk_pages`` (page → template) and ``_lk_pivots`` (their linkable values) from ``_attr_captures``."""
    engine.materialise("_lk_pages", "SELECT DISTINCT page_sha256 AS page, template_id FROM _attr_captures")
    engine.materialise("_lk_pivots", """
        SELECT DISTINCT i.page_sha256 AS page, i.kind, i.value FROM page_identifiers i
        WHERE i.is_pivot AND array_contains($strong, i.kind) AND i.page_sha256 IN (SELECT page FROM _lk_pages)""",
        {"strong": strong_kinds(min_strength)})  # fmt: skip


def derive(store: StoreHandle, *, max_groups: int, warnings: WarningLists, tick: Callable[[str, int, int], None],
           outside: bool = False) -> None:  # fmt: skip
    """From ``pivots``' tables and ``_lineage``: link, then the derived rows as temporary tables
    (``_attr``, ``_brand_rows``, ``_dist_rows``, ``_values``) and the evidence paths
    (``_ev_path``). Nothing stored is written.

    Everything here stays inside the components that linking values and *same* judgements
    tie templates into, so a scope made of whole components (with ``_lk_outside`` for the
    generic values that reach beyond it: ``outside``) gives exactly a full run's rows for it.
    """
    engine = store.engine
    judgements = engine.rows("judgements", "SELECT judgement_id, brand_a, brand_b, verdict FROM judgements ORDER BY made_at, judgement_id")
    stems = sorted({b[2:].split("-")[0] for j in judgements for b in (j["brand_a"], j["brand_b"])})
    template_of: dict[str, str] = {}
    for r in engine.rows("judged templates", """
            SELECT DISTINCT template_id FROM _lk_pages
            WHERE array_contains($stems, substr(template_id, 1, 10)) OR array_contains($stems, substr(template_id, 1, 16))
               OR array_contains($stems, template_id) ORDER BY template_id""", {"stems": stems}):  # fmt: skip
        for n in (10, 16, 32):  # a stem names one template; an old 10-digit ID that two share now: the first
            template_of.setdefault(r["template_id"][:n], r["template_id"])

    def resolve(brand: str) -> str | None:  # B-<stem>[-n] → its template
        return template_of.get(brand[2:].split("-")[0])

    pairs = [(j, resolve(j["brand_a"]), resolve(j["brand_b"])) for j in judgements]
    link(engine, max_groups=max_groups, warnings=warnings,
         not_same=[(a, b) for j, a, b in pairs if j["verdict"] == "not_same" and a and b],
         same=[(j["judgement_id"], a, b) for j, a, b in pairs if j["verdict"] == "same" and a and b],
         progress=lambda d, t: tick("distributors", d, t), outside=outside)  # fmt: skip
    tick("brands and evidence", 0, 2)
    derive_rows(store)
    tick("brands and evidence", 1, 2)
    evidence_paths(store)
    component_rows(engine)


def distributor_ids(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A group's distributor ID: ``D-`` and a hash of its earliest capture's key (stable across runs)."""
    keys = batch.column("capture_key").to_pylist()
    return pa.RecordBatch.from_pydict({"grp": batch.column("grp"), "distributor_id": ["D-" + _short(k) for k in keys]},
                                      schema=_DISTRIBUTOR_IDS)  # fmt: skip


_DISTRIBUTOR_IDS = pa.schema([("grp", pa.string()), ("distributor_id", pa.string())])

# Each capture's group: its page's, when a shared value tied the page to another page (the
# page *anchors*); otherwise the one group that the anchored captures of its template share
# — a template used by several groups (a kit sold to several operators) leaves it
# unattributed, never guessed by time; a template with no anchored capture whose own values
# tie it to nothing else is its own group; else none.
_SQL_CAPTURE_GROUPS = """
WITH cap AS (
    SELECT a.capture_key, a.captured_at, a.page_sha256, a.skeleton_id, a.template_id, g.grp,
           coalesce(g.identified, false) AS identified, coalesce(g.valued, false) AS valued
    FROM _attr_captures a LEFT JOIN _page_groups g ON g.page_sha256 = a.page_sha256
),
lone AS (
    SELECT template_id FROM cap GROUP BY template_id HAVING bool_or(valued) AND NOT bool_or(identified)
),
anchors AS (
    SELECT template_id, count(DISTINCT grp) AS n, min(grp) AS grp FROM cap WHERE identified GROUP BY template_id
)
SELECT w.capture_key, w.captured_at, w.page_sha256, w.skeleton_id, w.template_id,
       CASE WHEN w.identified THEN w.grp
            WHEN s.n = 1 THEN s.grp
            WHEN s.n IS NULL AND w.template_id IN (SELECT template_id FROM lone) THEN 'template:' || w.template_id
            END AS grp
FROM cap w LEFT JOIN anchors s ON s.template_id = w.template_id
"""

# A template's brand stem: the first 10 hex digits of its ID, or 16 when another template of
# the store shares those 10, or all 32 when one shares the 16. Template IDs are hashes: among
# n templates about n^2 / 2^41 pairs share 10 digits (≈ 5 at 3.2 million, a 10M-capture
# store), and two brands must never share an ID.
_SQL_BRAND_STEMS = """
WITH p AS (SELECT template_id, substr(template_id, 1, 10) AS p10, substr(template_id, 1, 16) AS p16 FROM _stem_templates),
c10 AS (SELECT p10 FROM p GROUP BY p10 HAVING count(*) > 1),
c16 AS (SELECT p16 FROM p WHERE p10 IN (SELECT p10 FROM c10) GROUP BY p16 HAVING count(*) > 1)
SELECT p.template_id, CASE WHEN a.p10 IS NULL THEN p.p10 WHEN b.p16 IS NULL THEN p.p16 ELSE p.template_id END AS stem
FROM p LEFT JOIN c10 a ON a.p10 = p.p10 LEFT JOIN c16 b ON b.p16 = p.p16
"""

# Brands: template × distributor, numbered by first capture within the template.
_SQL_BRAND_IDS = """
SELECT x.template_id, x.distributor_id,
       'B-' || s.stem ||
       CASE WHEN x.n = 1 THEN '' ELSE '-' || CAST(x.n AS STRING) END AS brand_id
FROM (
    SELECT template_id, distributor_id,
           row_number() OVER (PARTITION BY template_id ORDER BY first_at, first_key) AS n
    FROM (SELECT template_id, distributor_id, min(captured_at) AS first_at, min(first_key) AS first_key FROM (
              SELECT template_id, distributor_id, captured_at,
                     CASE WHEN captured_at = min(captured_at) OVER (PARTITION BY template_id, distributor_id)
                          THEN capture_key END AS first_key
              FROM _capture_distributors)
          GROUP BY template_id, distributor_id)
) x JOIN _brand_stems s ON s.template_id = x.template_id
"""


@stage(reads=("captures", "_attr_captures", "_page_groups", "_decisions", "_lineage", "_stem_templates"),
       writes=("_capture_groups", "_distributor_ids", "_capture_distributors", "_brand_stems", "_brand_ids", "_attr",
               "_page_distributor", "_values", "_dist_rows", "_brand_rows"))  # fmt: skip
def derive_rows(store: StoreHandle) -> None:
    """Captures → groups → distributors → brands, from ``link``'s ``_page_groups`` and ``_decisions``."""
    engine = store.engine
    engine.materialise("_capture_groups", _SQL_CAPTURE_GROUPS)
    engine.map_batches("_distributor_ids", """
        SELECT grp, capture_key FROM (
            SELECT grp, capture_key, row_number() OVER (PARTITION BY grp ORDER BY captured_at, capture_key) AS k
            FROM _capture_groups WHERE grp IS NOT NULL) WHERE k = 1""", distributor_ids, _DISTRIBUTOR_IDS)  # fmt: skip
    engine.materialise("_capture_distributors", """
        SELECT g.capture_key, g.captured_at, g.page_sha256, g.skeleton_id, g.template_id, d.distributor_id
        FROM _capture_groups g LEFT JOIN _distributor_ids d ON d.grp = g.grp""")  # fmt: skip
    engine.materialise("_brand_stems", _SQL_BRAND_STEMS)
    engine.materialise("_brand_ids", _SQL_BRAND_IDS)
    engine.materialise("_attr", """
        SELECT c.capture_key, c.skeleton_id, c.template_id, b.brand_id, c.distributor_id, false AS cover
        FROM _capture_distributors c JOIN _brand_ids b ON b.template_id = c.template_id
         AND (b.distributor_id = c.distributor_id OR (b.distributor_id IS NULL AND c.distributor_id IS NULL))""")  # fmt: skip
    engine.materialise("_page_distributor", """
        SELECT page_sha256, distributor_id FROM (
            SELECT page_sha256, distributor_id, row_number() OVER (PARTITION BY page_sha256 ORDER BY captured_at, capture_key) AS k
            FROM _capture_distributors) WHERE k = 1""")  # fmt: skip
    engine.materialise("_values", """
        SELECT d.kind, d.value, d.spread, d.status, d.groups_joined, d.reason, pd.distributor_id
        FROM _decisions d LEFT JOIN _page_distributor pd
          ON pd.page_sha256 = d.first_page AND d.status IN ('link', 'single')""")  # fmt: skip
    engine.materialise("_dist_rows", """
        SELECT a.distributor_id, min(c.captured_at) AS first_seen, max(c.captured_at) AS last_seen,
               count(DISTINCT a.brand_id) AS brands, count(*) AS captures
        FROM _attr a JOIN captures c ON c.capture_key = a.capture_key
        WHERE a.distributor_id IS NOT NULL GROUP BY a.distributor_id""")  # fmt: skip
    # lineage: a later brand of the same template names the first; a founder names the first
    # brand ('B-' and its stem, always there) of the template it was altered from
    engine.materialise("_brand_rows", """
        SELECT b.brand_id, b.template_id, b.distributor_id, b.first_seen, b.last_seen, b.captures,
               CASE WHEN b.brand_id LIKE 'B-%-%' THEN 'B-' || s.stem
                    WHEN g.lineage_skeleton IS NOT NULL THEN 'B-' || coalesce(t.stem, substr(g.lineage_skeleton, 1, 10)) END AS lineage_brand
        FROM (SELECT a.brand_id, any_value(a.template_id) AS template_id, any_value(a.distributor_id) AS distributor_id,
                     min(c.captured_at) AS first_seen, max(c.captured_at) AS last_seen, count(*) AS captures
              FROM _attr a JOIN captures c ON c.capture_key = a.capture_key GROUP BY a.brand_id) b
        JOIN _brand_stems s ON s.template_id = b.template_id
        LEFT JOIN _lineage g ON g.template_id = b.template_id
        LEFT JOIN _brand_stems t ON t.template_id = g.lineage_skeleton""")  # fmt: skip


@stage(reads=("_lk_ties", "_judged", "_lk_pages"), writes=("_comp_rows",), maybe=("_inc_cc", *COMPONENT_SCRATCH))
def component_rows(engine: Engine) -> None:
    """``_comp_rows(template_id, component)`` for the templates of the run's scope (after ``link``)."""
    components(engine, _SQL_COMPONENT_EDGES, "_inc_cc")
    engine.materialise("_comp_rows", """
        SELECT t.template_id, coalesce(c.label, t.template_id) AS component
        FROM (SELECT DISTINCT template_id FROM _lk_pages) t LEFT JOIN _inc_cc c ON c.node = t.template_id""")  # fmt: skip
