"""Incremental attribution: a new batch of captures recomputes only what it touches.

The result is exactly a full rerun's (templates, brands, distributors, IDs, evidence);
where that cannot be guaranteed cheaply, the run says why and rebuilds everything.

**Templates.** A skeleton's template depends only on the skeletons before it in its LSH
buckets (their first seen, similarity and template, and the first seen of that template's
founder). The batch moves some skeletons: those it brings, known ones whose first seen it
moves (a capture earlier than the skeleton's first so far, or an earlier capture of its URL
that becomes a cover page, or stops being one: captures arriving out of time order and new
evidence of a disguised site are common), and those it leaves on cover pages only. These,
the members of templates founded by one of them, and the window of skeletons after each of
them in a bucket they share are chosen again against the stored links of the rest; whichever comes
out changed widens the set the same way, until a round changes nothing new (``redo_skeletons``).
Founders' lineage likewise in the lineage index. The templates whose skeletons, first seen
or lineage change are the ones touched; every other skeleton keeps its parent and root.

**Distributors, brands, evidence.** Every later step stays inside the *components* that
live pivot values and *same* judgements tie templates into (a value's spread, the groups it
touches, the guard, judgements, capture groups, IDs and evidence paths never look outside
its component). The components of the last run are kept in ``attribution_components``; a
batch touches its own templates, the templates of the earlier captures whose cover status it
changes, the templates changed above, the templates carrying any value it brings, and their
whole components; only those are linked and derived again, and their stored rows replaced.
Warning-listed values link nothing and are left out of the components; their rows get
their spread over the whole store.

Anything that may change every result — settings, data files, judgements, the fingerprint,
captures arriving under an already attributed batch — forces a full rerun, as does a store
never attributed since this bookkeeping exists. The deletions are the one engine-specific
step (``DELETE`` on DuckDB; a rewrite of the table on Spark): the set steps are the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path

from vigil.attribute.derive import covers, derive, pivots, strong_kinds
from vigil.attribute.linking import LISTED_SCHEMA, Listed
from vigil.attribute.templates import (
    BAND_SCHEMA,
    EXACT_MARGIN,
    SQL_LINEAGE,
    BandKeys,
    TemplateSettings,
    candidate_pairs,
    join_templates,
    lineage_floor,
)
from vigil.attribute.warninglists import WarningLists
from vigil.store.engine import Engine
from vigil.store.handle import StoreHandle
from vigil.store.stages import stage

#: Bumped when the bookkeeping or the pipeline changes meaning: the next run is then full.
ALGORITHM = 3  # 2: a skeleton joins the oldest template among its near-identical candidates; 3: brand stems (derive.py)

_SQL_MERGES = "SELECT h.spread, h.node, h.label, h.templates, p.template_id FROM _lk_hist h JOIN _lk_pages p ON p.page = h.label"

# The groups a generic value reaches beyond the scope, at its level: each of its pages
# outside is walked through the stored merges of the levels below (``_inc_walk``), and
# each group it ends in is counted, established when it spans two templates or more.
_SQL_OUTSIDE = """
WITH roots AS (SELECT DISTINCT kind, value, spread, root FROM _inc_walk),
sized AS (
    SELECT r.kind, r.value, r.root, m.templates,
           row_number() OVER (PARTITION BY r.kind, r.value, r.root ORDER BY m.spread DESC) AS k
    FROM roots r JOIN attribution_merges m ON m.node = r.root AND m.label = r.root AND m.spread < r.spread
)
SELECT r.kind, r.value, max(t.templates) AS templates, count(*) AS joined,
       count(CASE WHEN coalesce(z.templates, 1) >= 2 THEN 1 END) AS established
FROM roots r LEFT JOIN sized z ON z.kind = r.kind AND z.value = r.value AND z.root = r.root AND z.k = 1
JOIN _inc_out_templates t ON t.kind = r.kind AND t.value = r.value
GROUP BY r.kind, r.value
"""


def config_digest(store: StoreHandle, *, settings: TemplateSettings, max_groups: int, min_strength: float,
                  warninglists: Sequence[Path]) -> str:  # fmt: skip
    """Everything besides the captures that a run's result depends on, as one digest."""
    engine = store.engine
    digest = hashlib.sha256(f"algorithm {ALGORITHM}\n{settings!r}\n{max_groups}\n{min_strength!r}\n".encode())
    for row in engine.rows("page cache", "SELECT digest FROM page_cache WHERE name = 'pages'"):
        digest.update(row["digest"].encode())
    digest.update((resources.files("vigil.attribute") / "data" / "warninglist.json").read_bytes())
    for path in warninglists:
        digest.update(Path(path).read_bytes())
    for row in engine.rows("judgements", "SELECT judgement_id, brand_a, brand_b, verdict FROM judgements ORDER BY judgement_id"):
        digest.update("|".join(row.values()).encode())
    return digest.hexdigest()


def forget(engine: Engine) -> None:
    """Drop the record of the last run first: a run cut short leaves the next one full."""
    _delete(engine, "attribution_state", "name = 'digest'")


def record_full(engine: Engine, digest: str) -> None:
    """The bookkeeping of a full run (inside its transaction): bands, components, batches, digest."""
    engine.replace("attribution_bands", """
        SELECT 0, b.skeleton_id, b.band, b.key, s.first_seen FROM _bands b JOIN _skeletons s ON s.skeleton_id = b.skeleton_id
        UNION ALL
        SELECT 1, b.skeleton_id, b.band, b.key, s.first_seen FROM _founder_bands b JOIN _skeletons s ON s.skeleton_id = b.skeleton_id""")  # fmt: skip
    engine.replace("attribution_components", "SELECT template_id, component FROM _comp_rows")
    engine.replace("attribution_merges", _SQL_MERGES)
    engine.replace("attribution_batches", "SELECT DISTINCT batch_id FROM captures")
    _record(engine, digest, "SELECT count(*) FROM captures")


def _record(engine: Engine, digest: str, captures_sql: str) -> None:
    engine.replace("attribution_state", f"""
        SELECT name, value FROM attribution_state WHERE name NOT IN ('digest', 'captures')
        UNION ALL SELECT 'captures', CAST(({captures_sql}) AS STRING)
        UNION ALL SELECT 'digest', $digest""", {"digest": digest})  # fmt: skip


def _delete(engine: Engine, table: str, where: str) -> None:
    """Delete the rows of stored ``table`` matching ``where`` (rows with NULL in it are kept)."""
    if engine.name == "duckdb":
        engine.rows(f"delete from {table}", f"DELETE FROM {table} WHERE {where}")
    else:
        engine.replace(table, f"SELECT * FROM {table} WHERE NOT coalesce(({where}), false)")


def _count(engine: Engine, step: str, sql: str) -> int:
    return int(engine.scalar(step, sql) or 0)


def attribute_increment(
    store: StoreHandle,
    *,
    digest: str,
    settings: TemplateSettings,
    max_groups: int,
    min_strength: float,
    warnings: WarningLists,
    tick: Callable[[str, int, int], None],
) -> str | int:
    """Attribute only what the captures of new batches touch; returns the number of templates
    recomputed, or why a full run is needed (then nothing has been written)."""
    engine = store.engine
    state = {r["name"]: r["value"] for r in engine.rows("attribution state", "SELECT name, value FROM attribution_state")}
    if "digest" not in state:
        return "no earlier run recorded for incremental attribution"
    if state["digest"] != digest:
        return "settings, data files, judgements or the fingerprint changed since the last run"
    new_captures(engine)
    new = _count(engine, "new captures", "SELECT count(*) FROM _inc_new")
    if _count(engine, "captures", "SELECT count(*) FROM captures") - new != int(state.get("captures", -1)):
        return "captures arrived under a batch already attributed"
    if not new:
        return 0
    tick("templates", 0, 2)
    new_urls(engine)
    covers(store, settings.altered, urls="_inc_urls")
    recovered(engine)
    reason = redo_skeletons(engine, settings)
    if reason:
        return reason
    tick("templates", 1, 2)
    scope(engine, min_strength, warnings)
    tick("templates", 2, 2)
    scope_captures(engine)
    pivots(engine, min_strength)
    outside(engine)
    derive(store, max_groups=max_groups, warnings=warnings, tick=tick, outside=True)
    if _count(engine, "generic check", """
            SELECT count(*) FROM _decisions d JOIN _lk_outside o ON o.kind = d.kind AND o.value = d.value
            WHERE d.status <> 'generic'"""):  # fmt: skip
        return "a value flagged generic would now link beyond the templates the batch touches"
    dropped_values(engine)
    if _count(engine, "dropped values", """
            SELECT count(*) FROM page_identifiers i JOIN _inc_dropped d ON d.kind = i.kind AND d.value = i.value
            JOIN captures c ON c.page_sha256 = i.page_sha256 JOIN capture_attribution a ON a.capture_key = c.capture_key
            WHERE i.is_pivot AND NOT a.cover AND a.template_id IS NOT NULL
              AND a.template_id NOT IN (SELECT template_id FROM _inc_scope)"""):  # fmt: skip
        return "a page that became a cover page carried a value seen beyond the templates the batch touches"
    store_increment(engine, digest)
    tick("brands and evidence", 2, 2)
    return _count(engine, "scope", "SELECT count(*) FROM _inc_scope")


@stage(reads=("captures", "attribution_batches"), writes=("_inc_new",))
def new_captures(engine: Engine) -> None:
    """``_inc_new``: the captures of batches not attributed yet."""
    engine.materialise("_inc_new", """
        SELECT capture_key, captured_at, url, page_sha256, batch_id FROM captures
        WHERE batch_id NOT IN (SELECT batch_id FROM attribution_batches)""")  # fmt: skip


@stage(reads=("_inc_new",), writes=("_inc_urls",))
def new_urls(engine: Engine) -> None:
    """``_inc_urls``: the URLs the new captures were taken at (``covers`` looks at these only)."""
    engine.materialise("_inc_urls", "SELECT DISTINCT url FROM _inc_new")


@stage(reads=("captures", "page_skeletons", "templates", "_inc_all_links", "_inc_covers", "_inc_scope", "_inc_lf",
              "_inc_lineage"),
       writes=("_attr_captures", "_lineage"))  # fmt: skip
def scope_captures(engine: Engine) -> None:
    """``_attr_captures`` and ``_lineage`` of the scope, as a full run's ``template_captures`` and ``build_templates`` give them."""
    engine.materialise("_attr_captures", """
        SELECT c.capture_key, c.captured_at, c.page_sha256, s.skeleton_id, l.template_id
        FROM captures c JOIN page_skeletons s ON s.page_sha256 = c.page_sha256
        JOIN _inc_all_links l ON l.skeleton_id = s.skeleton_id
        WHERE c.capture_key NOT IN (SELECT capture_key FROM _inc_covers)""")  # fmt: skip
    engine.materialise("_lineage", """
        SELECT template_id, lineage_skeleton, lineage_similarity FROM templates
        WHERE lineage_skeleton IS NOT NULL AND template_id IN (SELECT template_id FROM _inc_scope)
          AND template_id NOT IN (SELECT skeleton_id FROM _inc_lf)
        UNION ALL SELECT template_id, lineage_skeleton, lineage_similarity FROM _inc_lineage
        WHERE template_id IN (SELECT template_id FROM _inc_scope)""")  # fmt: skip


@stage(reads=("captures", "capture_attribution", "_inc_new", "_inc_urls", "_cover"), writes=("_inc_recover", "_inc_covers"))
def recovered(engine: Engine) -> None:
    """``_inc_recover``: earlier captures of the batch's URLs whose cover status the batch
    changes (``cover``: what it is now); ``_inc_covers``: every cover capture, now."""
    engine.materialise("_inc_recover", """
        SELECT c.capture_key, c.page_sha256, c.capture_key IN (SELECT capture_key FROM _cover) AS cover
        FROM captures c LEFT JOIN capture_attribution a ON a.capture_key = c.capture_key
        WHERE c.url IN (SELECT url FROM _inc_urls) AND c.capture_key NOT IN (SELECT capture_key FROM _inc_new)
          AND coalesce(a.cover, false) <> (c.capture_key IN (SELECT capture_key FROM _cover))""")  # fmt: skip
    engine.materialise("_inc_covers", """
        SELECT capture_key FROM capture_attribution
        WHERE cover AND capture_key NOT IN (SELECT capture_key FROM _inc_recover WHERE NOT cover)
        UNION SELECT capture_key FROM _cover""")  # fmt: skip


#: Rounds of widening the skeletons chosen again before giving up (the run is then a full one).
MAX_ROUNDS = 50

# a skeleton's stored link row where it differs from the one chosen now, for the chosen ones
# and those gone (no longer on any page that is not a cover page)
_SQL_CHANGED = """
SELECT coalesce(n.skeleton_id, o.skeleton_id) AS skeleton_id, o.template_id AS was_root, n.root_id AS now_root,
       least(coalesce(n.first_seen, o.first_seen), coalesce(o.first_seen, n.first_seen)) AS since,
       (n.skeleton_id IS NOT NULL AND n.parent_id IS NULL) AS founder_now,
       (o.skeleton_id IS NOT NULL AND o.parent_id IS NULL) AS founder_was
FROM _inc_links n
FULL JOIN (SELECT * FROM skeleton_links WHERE skeleton_id IN (SELECT skeleton_id FROM _inc_replaced)) o
  ON o.skeleton_id = n.skeleton_id
WHERE n.skeleton_id IS NULL OR o.skeleton_id IS NULL OR n.root_id <> o.template_id OR n.first_seen <> o.first_seen
   OR coalesce(n.parent_id, '') <> coalesce(o.parent_id, '') OR coalesce(n.similarity, -1.0) <> coalesce(o.similarity, -1.0)
"""


@stage(reads=("captures", "page_skeletons", "pages", "skeleton_links", "templates", "attribution_bands", "_inc_new",
              "_inc_recover", "_inc_covers"),
       writes=("_inc_affected", "_inc_seen", "_inc_moved", "_inc_bands_new", "_inc_dirty", "_inc_dbands", "_inc_redo_ids",
               "_inc_redo", "_inc_replaced", "_inc_bands", "_inc_known", "_inc_buckets", "_skeletons", "_cand_n", "_cand_pairs",
               "_pairs_part_*", "_pairs", "_exact", "_pairs_exact", "_inc_roots", "_links", "_links_next", "_inc_links", "_inc_changed", "_inc_more",
               "_inc_fbands", "_inc_fchanged", "_inc_fb", "_inc_lf", "_inc_lfbands", "_inc_lineage", "_inc_tchanged"),
       drops=("_cand_n", "_cand_pairs", "_pairs_part_*"))  # fmt: skip
def redo_skeletons(engine: Engine, settings: TemplateSettings) -> str | None:
    """Parents, roots and lineage of the skeletons the batch may change (``_inc_links``,
    ``_inc_lineage``); ``_inc_tchanged``, the templates whose skeletons, first seen or lineage
    change (old and new); ``_inc_replaced``, the skeletons whose stored links are replaced.

    A skeleton's choice reads only the skeletons before it in its LSH buckets (their first
    seen, similarity and template, and the first seen of that template's founder). So the
    skeletons chosen again are those the batch moves (new, first seen earlier or later, gone),
    the members of templates founded by a moved one, and the ``window`` skeletons after each of
    those in every bucket they share (in the order before the batch and in the order after it:
    a skeleton's window reads no further back); whichever of them comes out changed widens the
    set the same way (with its old template's later members when its template changed), until a
    round changes nothing new. Founders' lineage: again for the founders chosen again and the
    ``5 × window`` founders after one whose founder status or first seen changed in a bucket of
    the lineage index. Returns why a full run is needed instead, if the set does not settle
    in :data:`MAX_ROUNDS` rounds."""
    engine.materialise("_inc_affected", """
        SELECT DISTINCT skeleton_id FROM page_skeletons WHERE features > 0
          AND page_sha256 IN (SELECT page_sha256 FROM _inc_new UNION SELECT page_sha256 FROM _inc_recover)""")  # fmt: skip
    engine.materialise("_inc_seen", """
        SELECT s.skeleton_id, min(c.captured_at) AS first_seen, any_value(s.minhash) AS minhash
        FROM page_skeletons s JOIN captures c ON c.page_sha256 = s.page_sha256
        WHERE s.skeleton_id IN (SELECT skeleton_id FROM _inc_affected)
          AND c.capture_key NOT IN (SELECT capture_key FROM _inc_covers)
        GROUP BY s.skeleton_id""")  # fmt: skip
    engine.materialise("_inc_moved", """
        SELECT a.skeleton_id, o.first_seen AS was, n.first_seen AS now
        FROM _inc_affected a LEFT JOIN _inc_seen n ON n.skeleton_id = a.skeleton_id
        LEFT JOIN skeleton_links o ON o.skeleton_id = a.skeleton_id
        WHERE (n.first_seen IS NULL) <> (o.first_seen IS NULL) OR n.first_seen <> o.first_seen""")  # fmt: skip
    # band keys are a function of the signature: a known skeleton's stored keys are reused
    engine.map_batches("_inc_bands_new", """SELECT skeleton_id, minhash FROM _inc_seen
        WHERE skeleton_id NOT IN (SELECT skeleton_id FROM skeleton_links)""", BandKeys(settings.same, settings.recall), BAND_SCHEMA)  # fmt: skip
    engine.materialise("_inc_dirty", """
        SELECT skeleton_id, least(coalesce(was, now), coalesce(now, was)) AS since FROM _inc_moved
        UNION ALL
        SELECT l.skeleton_id, l.first_seen FROM skeleton_links l
        WHERE l.template_id IN (SELECT skeleton_id FROM _inc_moved WHERE was IS NOT NULL)
          AND l.skeleton_id NOT IN (SELECT skeleton_id FROM _inc_moved)""")  # fmt: skip
    if not _count(engine, "moved skeletons", "SELECT count(*) FROM _inc_dirty"):
        _choose(engine, settings)  # nothing: the tables of an empty choice
    else:
        for _ in range(MAX_ROUNDS):
            _choose(engine, settings)
            engine.materialise("_inc_more", """
                SELECT c.skeleton_id, c.since FROM _inc_changed c WHERE c.skeleton_id NOT IN (SELECT skeleton_id FROM _inc_dirty)
                UNION ALL
                SELECT l.skeleton_id, l.first_seen FROM skeleton_links l
                JOIN (SELECT was_root, min(since) AS since FROM _inc_changed
                      WHERE was_root IS NOT NULL AND (now_root IS NULL OR now_root <> was_root) GROUP BY was_root) z
                  ON z.was_root = l.template_id AND l.first_seen >= z.since
                WHERE l.skeleton_id NOT IN (SELECT skeleton_id FROM _inc_dirty)
                  AND l.skeleton_id NOT IN (SELECT skeleton_id FROM _inc_changed)""")  # fmt: skip
            if not _count(engine, "widen", "SELECT count(*) FROM _inc_more"):
                break
            engine.materialise("_inc_dirty", """
                SELECT skeleton_id, min(since) AS since FROM (SELECT * FROM _inc_dirty UNION ALL SELECT * FROM _inc_more)
                GROUP BY skeleton_id""")  # fmt: skip
        else:
            return f"the skeletons a batch changes did not settle in {MAX_ROUNDS} rounds"
    _lineage_again(engine, settings)
    return None


def _choose(engine: Engine, settings: TemplateSettings) -> None:
    """One round: ``_inc_links`` for the dirty skeletons and the known ones in the window after
    a dirty one in a shared bucket (``_inc_redo``), chosen against the stored links of the rest;
    ``_inc_changed``, the rows that differ from the stored ones."""
    # a skeleton's window is the ``window`` skeletons before it in each bucket: a dirty skeleton
    # changes the choices of the ``window`` after it, in the order before the batch (where it
    # was) and in the order after it (where it is now)
    engine.materialise("_inc_dbands", """
        SELECT DISTINCT b.band, b.key
        FROM (SELECT skeleton_id, band, key FROM attribution_bands WHERE lsh = 0
              UNION ALL SELECT skeleton_id, band, key FROM _inc_bands_new) b
        WHERE b.skeleton_id IN (SELECT skeleton_id FROM _inc_dirty)""")  # fmt: skip
    after = _window_after(lsh=0, buckets="_inc_dbands", stored_not="_inc_moved", current="""
        SELECT b.skeleton_id, b.band, b.key, v.now FROM
            (SELECT skeleton_id, band, key FROM attribution_bands WHERE lsh = 0
             UNION ALL SELECT skeleton_id, band, key FROM _inc_bands_new) b
        JOIN _inc_moved v ON v.skeleton_id = b.skeleton_id WHERE v.now IS NOT NULL""", dirty="_inc_dirty", width=settings.window)  # fmt: skip
    engine.materialise("_inc_redo_ids", f"""
        WITH {after}
        SELECT skeleton_id FROM _inc_dirty UNION SELECT skeleton_id FROM after
        EXCEPT SELECT skeleton_id FROM _inc_moved WHERE now IS NULL""")  # fmt: skip
    engine.materialise("_inc_redo", """
        SELECT i.skeleton_id, coalesce(n.first_seen, l.first_seen) AS first_seen, m.minhash
        FROM _inc_redo_ids i LEFT JOIN _inc_seen n ON n.skeleton_id = i.skeleton_id
        LEFT JOIN skeleton_links l ON l.skeleton_id = i.skeleton_id
        JOIN (SELECT skeleton_id, any_value(minhash) AS minhash FROM page_skeletons
              WHERE skeleton_id IN (SELECT skeleton_id FROM _inc_redo_ids) GROUP BY skeleton_id) m
          ON m.skeleton_id = i.skeleton_id""")  # fmt: skip
    engine.materialise("_inc_replaced", """
        SELECT skeleton_id FROM _inc_redo UNION SELECT skeleton_id FROM _inc_moved WHERE now IS NULL""")  # fmt: skip
    engine.materialise("_inc_bands", """
        SELECT skeleton_id, band, key FROM attribution_bands
        WHERE lsh = 0 AND skeleton_id IN (SELECT skeleton_id FROM _inc_redo)
        UNION ALL SELECT skeleton_id, band, key FROM _inc_bands_new WHERE skeleton_id IN (SELECT skeleton_id FROM _inc_redo)""")  # fmt: skip
    _buckets(engine, 0, "_inc_bands", "_inc_redo")
    candidate_pairs(engine, "_inc_buckets", settings.window, settings.same, settings.same - EXACT_MARGIN, only="_inc_redo")
    engine.materialise("_inc_roots", """
        SELECT skeleton_id, first_seen FROM _inc_redo
        UNION ALL SELECT skeleton_id, first_seen FROM skeleton_links
        WHERE parent_id IS NULL AND skeleton_id NOT IN (SELECT skeleton_id FROM _inc_replaced)""")  # fmt: skip
    join_templates(engine, settings.same, choose="_inc_redo", roots="_inc_roots", known="""
        SELECT skeleton_id, parent_id, similarity, first_seen, template_id FROM skeleton_links
        WHERE skeleton_id NOT IN (SELECT skeleton_id FROM _inc_replaced)
          AND skeleton_id IN (SELECT b FROM _pairs WHERE a IN (SELECT skeleton_id FROM _inc_redo))""")  # fmt: skip
    engine.materialise("_inc_links", "SELECT * FROM _links WHERE skeleton_id IN (SELECT skeleton_id FROM _inc_redo)")
    engine.materialise("_inc_changed", _SQL_CHANGED)


def _window_after(*, lsh: int, buckets: str, stored_not: str, current: str, dirty: str, width: int) -> str:
    """CTEs ending in ``after``: the skeletons among the ``width`` after a skeleton of table
    ``dirty`` in a bucket of table ``buckets`` (index ``lsh``), in the order before the batch
    (the stored bands) and in the order after it (the stored bands less the skeletons in
    ``stored_not``, plus the rows of query ``current`` at their first seen now). A skeleton's
    window is the ``width`` before it, so a change reaches no further.

    One pass over each bucket: a skeleton is after a dirty one when a dirty one is among the
    ``width`` rows before it (a window frame), not a join of each dirty skeleton with its
    bucket, which grows with their product in the few buckets that hold tens of thousands."""
    return f"""
        dirty_ids AS (SELECT DISTINCT skeleton_id FROM {dirty}),
        was AS (
            SELECT o.skeleton_id, max(CASE WHEN x.skeleton_id IS NULL THEN 0 ELSE 1 END) OVER (
                       PARTITION BY o.band, o.key ORDER BY o.first_seen, o.skeleton_id
                       ROWS BETWEEN {width} PRECEDING AND 1 PRECEDING) AS near
            FROM attribution_bands o JOIN {buckets} d ON d.band = o.band AND d.key = o.key
            LEFT JOIN dirty_ids x ON x.skeleton_id = o.skeleton_id
            WHERE o.lsh = {lsh}
        ),
        now AS (
            SELECT m.skeleton_id, max(CASE WHEN x.skeleton_id IS NULL THEN 0 ELSE 1 END) OVER (
                       PARTITION BY m.band, m.key ORDER BY m.first_seen, m.skeleton_id
                       ROWS BETWEEN {width} PRECEDING AND 1 PRECEDING) AS near
            FROM (SELECT o.skeleton_id, o.band, o.key, o.first_seen FROM attribution_bands o
                  JOIN {buckets} d ON d.band = o.band AND d.key = o.key
                  WHERE o.lsh = {lsh} AND o.skeleton_id NOT IN (SELECT skeleton_id FROM {stored_not})
                  UNION ALL
                  SELECT c.* FROM ({current}) c JOIN {buckets} d ON d.band = c.band AND d.key = c.key) m
            LEFT JOIN dirty_ids x ON x.skeleton_id = m.skeleton_id
        ),
        after AS (
            SELECT skeleton_id FROM was WHERE near = 1
            UNION
            SELECT skeleton_id FROM now WHERE near = 1
        )"""


def _lineage_again(engine: Engine, settings: TemplateSettings) -> None:
    """``_inc_lineage`` of the founders whose lineage may change (``_inc_lf``) and
    ``_inc_tchanged``; ``_inc_fbands``: the lineage bands of the founders chosen again."""
    engine.map_batches("_inc_fbands", """SELECT r.skeleton_id, r.minhash FROM _inc_redo r
        JOIN _inc_links l ON l.skeleton_id = r.skeleton_id WHERE l.parent_id IS NULL""",
        BandKeys(settings.altered, settings.recall), BAND_SCHEMA)  # fmt: skip
    engine.materialise("_inc_fchanged", """
        SELECT skeleton_id FROM _inc_changed WHERE founder_now OR founder_was""")  # fmt: skip
    engine.materialise("_inc_fb", """
        SELECT DISTINCT band, key FROM (
            SELECT skeleton_id, band, key FROM attribution_bands WHERE lsh = 1
            UNION ALL SELECT skeleton_id, band, key FROM _inc_fbands)
        WHERE skeleton_id IN (SELECT skeleton_id FROM _inc_fchanged)""")  # fmt: skip
    after = _window_after(lsh=1, buckets="_inc_fb", stored_not="_inc_replaced", current="""
        SELECT b.skeleton_id, b.band, b.key, r.first_seen FROM _inc_fbands b
        JOIN _inc_redo r ON r.skeleton_id = b.skeleton_id""", dirty="_inc_fchanged", width=settings.window * 5)  # fmt: skip
    engine.materialise("_inc_lf", f"""
        WITH {after},
        ids AS (
            SELECT skeleton_id FROM _inc_links WHERE parent_id IS NULL
            UNION
            SELECT skeleton_id FROM after WHERE skeleton_id NOT IN (SELECT skeleton_id FROM _inc_replaced)
        )
        SELECT i.skeleton_id, coalesce(r.first_seen, l.first_seen) AS first_seen, m.minhash
        FROM ids i LEFT JOIN _inc_redo r ON r.skeleton_id = i.skeleton_id LEFT JOIN skeleton_links l ON l.skeleton_id = i.skeleton_id
        JOIN (SELECT skeleton_id, any_value(minhash) AS minhash FROM page_skeletons
              WHERE skeleton_id IN (SELECT skeleton_id FROM ids) GROUP BY skeleton_id) m ON m.skeleton_id = i.skeleton_id""")  # fmt: skip
    engine.materialise("_inc_lfbands", """
        SELECT skeleton_id, band, key FROM _inc_fbands
        UNION ALL SELECT skeleton_id, band, key FROM attribution_bands
        WHERE lsh = 1 AND skeleton_id IN (SELECT skeleton_id FROM _inc_lf)
          AND skeleton_id NOT IN (SELECT skeleton_id FROM _inc_replaced)""")  # fmt: skip
    _buckets(engine, 1, "_inc_lfbands", "_inc_lf")
    candidate_pairs(engine, "_inc_buckets", settings.window * 5, settings.same, lineage_floor(settings), only="_inc_lf",
                    distinct_first=False)
    # SQL_LINEAGE reads the founders' links: those chosen again, and the stored ones of the rest
    engine.materialise("_links", """
        SELECT * FROM _inc_links WHERE parent_id IS NULL
        UNION ALL SELECT skeleton_id, parent_id, similarity, first_seen, template_id FROM skeleton_links
        WHERE skeleton_id IN (SELECT skeleton_id FROM _inc_lf) AND skeleton_id NOT IN (SELECT skeleton_id FROM _inc_replaced)""")  # fmt: skip
    engine.materialise("_inc_lineage", SQL_LINEAGE, {"same": settings.same, "altered": settings.altered})
    engine.materialise("_inc_tchanged", """
        SELECT was_root AS template_id FROM _inc_changed WHERE was_root IS NOT NULL
        UNION SELECT now_root FROM _inc_changed WHERE now_root IS NOT NULL
        UNION SELECT coalesce(n.template_id, o.template_id) FROM _inc_lineage n
        FULL JOIN (SELECT template_id, lineage_skeleton, lineage_similarity FROM templates WHERE lineage_skeleton IS NOT NULL
                   AND template_id IN (SELECT skeleton_id FROM _inc_lf)) o
          ON o.template_id = n.template_id
        WHERE n.template_id IS NULL OR o.template_id IS NULL OR n.lineage_skeleton <> o.lineage_skeleton
           OR n.lineage_similarity <> o.lineage_similarity""")  # fmt: skip


def _buckets(engine: Engine, lsh: int, bands: str, chosen: str) -> None:
    """``_inc_buckets``: the bands in table ``bands`` of the skeletons in table ``chosen``
    (chosen again) with the other known skeletons in their buckets of index ``lsh``;
    ``_skeletons``: all of them."""
    engine.materialise("_inc_known", f"""
        SELECT o.skeleton_id, o.band, o.key, o.first_seen FROM attribution_bands o
        JOIN (SELECT DISTINCT band, key FROM {bands}) b ON b.band = o.band AND b.key = o.key
        WHERE o.lsh = {lsh} AND o.skeleton_id NOT IN (SELECT skeleton_id FROM {chosen})
          AND o.skeleton_id NOT IN (SELECT skeleton_id FROM _inc_replaced)""")  # fmt: skip
    engine.materialise("_inc_buckets", f"SELECT skeleton_id, band, key FROM {bands} UNION ALL SELECT skeleton_id, band, key FROM _inc_known")
    engine.materialise("_skeletons", f"""
        SELECT skeleton_id, first_seen, minhash FROM {chosen}
        UNION ALL
        SELECT k.skeleton_id, k.first_seen, s.minhash FROM (SELECT DISTINCT skeleton_id, first_seen FROM _inc_known) k
        JOIN (SELECT skeleton_id, any_value(minhash) AS minhash FROM page_skeletons
              WHERE skeleton_id IN (SELECT skeleton_id FROM _inc_known) GROUP BY skeleton_id) s
          ON s.skeleton_id = k.skeleton_id""")  # fmt: skip


@stage(reads=("page_skeletons", "skeleton_links", "page_identifiers", "identifier_values", "attribution_components",
              "capture_attribution", "templates", "_inc_new", "_inc_recover", "_inc_covers", "_inc_links", "_inc_tchanged",
              "_inc_replaced"),
       writes=("_inc_caps", "_inc_values", "_inc_listed", "_stem_templates", "_inc_restem", "_inc_touched", "_inc_scope",
               "_inc_all_links"))  # fmt: skip
def scope(engine: Engine, min_strength: float, warnings: WarningLists) -> None:
    """``_inc_scope``: the templates the batch touches and their whole components; with
    ``_inc_all_links`` (their skeletons, as they are now).

    A template is touched when the batch brings captures of it, changes whether one of its
    captures is a cover page, changes its skeletons, first seen or lineage
    (``_inc_tchanged``), or carries a value the batch brings that was not generic (a generic
    value reaches across components: ``outside``), or when its brand IDs change because a
    template the batch adds or removes shares the first 10 hex digits of its ID (``_inc_restem``,
    with the templates whose lineage names its brand).
    """
    # the templates of the batch's captures and of those whose cover status it changes, as
    # they are now (a skeleton chosen again has its new root)
    engine.materialise("_inc_caps", """
        SELECT n.page_sha256, coalesce(f.root_id, l.template_id) AS template_id
        FROM (SELECT capture_key, page_sha256 FROM _inc_new UNION ALL SELECT capture_key, page_sha256 FROM _inc_recover) n
        JOIN page_skeletons s ON s.page_sha256 = n.page_sha256
        LEFT JOIN skeleton_links l ON l.skeleton_id = s.skeleton_id LEFT JOIN _inc_links f ON f.skeleton_id = s.skeleton_id
        WHERE n.capture_key NOT IN (SELECT capture_key FROM _inc_covers) AND coalesce(f.root_id, l.template_id) IS NOT NULL""")  # fmt: skip
    strong = strong_kinds(min_strength)
    engine.materialise("_inc_values", """
        SELECT DISTINCT kind, value FROM page_identifiers
        WHERE is_pivot AND array_contains($strong, kind) AND page_sha256 IN (SELECT page_sha256 FROM _inc_caps)""",
        {"strong": strong})  # fmt: skip
    engine.map_batches("_inc_listed", "SELECT kind, value FROM _inc_values", Listed(warnings), LISTED_SCHEMA)
    engine.materialise("_stem_templates", """
        SELECT template_id FROM skeleton_links WHERE skeleton_id NOT IN (SELECT skeleton_id FROM _inc_replaced)
        UNION SELECT root_id FROM _inc_links""")  # fmt: skip
    # brand stems (derive.py) change only for templates sharing 10 digits with one that comes or goes
    engine.materialise("_inc_restem", """
        WITH p AS (SELECT template_id FROM (SELECT template_id FROM templates UNION SELECT template_id FROM _stem_templates)
                   WHERE substr(template_id, 1, 10) IN (SELECT substr(template_id, 1, 10) FROM _inc_tchanged)),
        hot AS (SELECT substr(template_id, 1, 10) AS p10 FROM p GROUP BY substr(template_id, 1, 10) HAVING count(*) > 1),
        restem AS (SELECT template_id FROM p WHERE substr(template_id, 1, 10) IN (SELECT p10 FROM hot))
        SELECT template_id FROM restem
        UNION SELECT template_id FROM templates WHERE lineage_skeleton IN (SELECT template_id FROM restem)""")  # fmt: skip
    engine.materialise("_inc_touched", """
        SELECT template_id FROM _inc_restem
        UNION
        SELECT DISTINCT template_id FROM _inc_caps
        UNION
        SELECT template_id FROM _inc_tchanged
        UNION
        SELECT template_id FROM capture_attribution
        WHERE template_id IS NOT NULL AND capture_key IN (SELECT capture_key FROM _inc_recover)
        UNION
        SELECT DISTINCT l.template_id FROM page_identifiers i
        JOIN (SELECT v.kind, v.value FROM _inc_values v JOIN _inc_listed w ON w.kind = v.kind AND w.value = v.value
              LEFT JOIN identifier_values o ON o.kind = v.kind AND o.value = v.value
              WHERE w.listed IS NULL AND (o.status IS NULL OR o.status <> 'generic')) v ON v.kind = i.kind AND v.value = i.value
        JOIN page_skeletons s ON s.page_sha256 = i.page_sha256 JOIN skeleton_links l ON l.skeleton_id = s.skeleton_id
        WHERE i.is_pivot""")  # fmt: skip
    engine.materialise("_inc_scope", """
        SELECT template_id FROM _inc_touched
        UNION
        SELECT template_id FROM attribution_components WHERE component IN (
            SELECT component FROM attribution_components WHERE template_id IN (SELECT template_id FROM _inc_touched))""")  # fmt: skip
    engine.materialise("_inc_all_links", """
        SELECT skeleton_id, template_id FROM skeleton_links
        WHERE template_id IN (SELECT template_id FROM _inc_scope) AND skeleton_id NOT IN (SELECT skeleton_id FROM _inc_replaced)
        UNION ALL SELECT skeleton_id, root_id FROM _inc_links WHERE root_id IN (SELECT template_id FROM _inc_scope)""")  # fmt: skip


@stage(reads=("captures", "page_identifiers", "identifier_values", "capture_attribution", "attribution_merges",
              "_lk_pivots", "_lk_pages", "_inc_scope"),
       writes=("_inc_cross", "_inc_out_pages", "_inc_out_templates", "_inc_walk", "_lk_outside"))  # fmt: skip
def outside(engine: Engine) -> None:
    """``_lk_outside``: for each value of the scope that was generic and is also carried
    beyond it, its templates there and the groups it reaches there at its (new) level."""
    engine.materialise("_inc_cross", """
        SELECT DISTINCT v.kind, v.value FROM _lk_pivots v
        JOIN identifier_values o ON o.kind = v.kind AND o.value = v.value WHERE o.status = 'generic'""")  # fmt: skip
    engine.materialise("_inc_out_pages", """
        SELECT DISTINCT i.kind, i.value, i.page_sha256 AS page, a.template_id FROM page_identifiers i
        JOIN _inc_cross x ON x.kind = i.kind AND x.value = i.value
        JOIN captures c ON c.page_sha256 = i.page_sha256 JOIN capture_attribution a ON a.capture_key = c.capture_key
        WHERE i.is_pivot AND NOT a.cover AND a.template_id IS NOT NULL
          AND a.template_id NOT IN (SELECT template_id FROM _inc_scope)""")  # fmt: skip
    engine.materialise("_inc_out_templates", """
        SELECT kind, value, count(DISTINCT template_id) AS templates FROM _inc_out_pages GROUP BY kind, value""")
    engine.materialise("_inc_walk", """
        SELECT o.kind, o.value, t.templates + i.templates AS spread, o.page, o.page AS root
        FROM (SELECT DISTINCT kind, value, page FROM _inc_out_pages) o
        JOIN _inc_out_templates t ON t.kind = o.kind AND t.value = o.value
        JOIN (SELECT v.kind, v.value, count(DISTINCT p.template_id) AS templates FROM _lk_pivots v
              JOIN _lk_pages p ON p.page = v.page GROUP BY v.kind, v.value) i ON i.kind = o.kind AND i.value = o.value""")  # fmt: skip
    top = engine.scalar("walk", "SELECT max(spread) FROM _inc_walk")
    if top is not None:
        levels = [int(r["spread"]) for r in engine.rows("merge levels", """
            SELECT DISTINCT spread FROM attribution_merges WHERE spread < $top ORDER BY spread""", {"top": int(top)})]  # fmt: skip
        for level in levels:
            engine.materialise("_inc_walk", """
                SELECT w.kind, w.value, w.spread, w.page, CASE WHEN m.label IS NOT NULL THEN m.label ELSE w.root END AS root
                FROM _inc_walk w LEFT JOIN attribution_merges m ON m.spread = $level AND m.node = w.root AND w.spread > $level""",
                {"level": level})  # fmt: skip
    engine.materialise("_lk_outside", _SQL_OUTSIDE)


@stage(reads=("page_identifiers", "_inc_recover", "_values"), writes=("_inc_dropped",))
def dropped_values(engine: Engine) -> None:
    """``_inc_dropped``: values on the pages of captures that became cover pages which the scope
    no longer carries (their rows go, unless they are carried beyond it: then a full run)."""
    engine.materialise("_inc_dropped", """
        SELECT DISTINCT i.kind, i.value FROM page_identifiers i
        WHERE i.is_pivot AND i.page_sha256 IN (SELECT page_sha256 FROM _inc_recover WHERE cover)
          AND i.kind || ' ' || i.value NOT IN (SELECT kind || ' ' || value FROM _values)""")  # fmt: skip


@stage(reads=("captures", "page_skeletons", "page_identifiers", "skeleton_links", "capture_attribution", "attribution_state",
              "_inc_scope", "_inc_links", "_inc_new", "_inc_urls", "_inc_bands", "_inc_fbands", "_inc_redo", "_inc_replaced",
              "_inc_moved", "_inc_fchanged",
              "_inc_recover", "_inc_tchanged", "_inc_dropped", "_cover",
              "_disguised", "_lineage", "_attr", "_dist_rows", "_brand_rows", "_ev_path", "_values", "_comp_rows",
              "_lk_hist", "_lk_pages"),
       writes=("_inc_old_distributors", "_inc_templates", "_inc_listed_spread"))  # fmt: skip
def store_increment(engine: Engine, digest: str) -> None:
    """Replace the scope's stored rows by the derived ones, and keep the bookkeeping."""
    in_scope = "template_id IN (SELECT template_id FROM _inc_scope)"
    engine.materialise("_inc_old_distributors", f"""
        SELECT DISTINCT distributor_id FROM capture_attribution WHERE {in_scope} AND distributor_id IS NOT NULL
        UNION SELECT distributor_id FROM _dist_rows""")  # fmt: skip
    engine.materialise("_inc_templates", """
        WITH l AS (
            SELECT skeleton_id, template_id, first_seen FROM skeleton_links
            WHERE template_id IN (SELECT template_id FROM _inc_tchanged) AND skeleton_id NOT IN (SELECT skeleton_id FROM _inc_replaced)
            UNION ALL SELECT skeleton_id, root_id, first_seen FROM _inc_links WHERE root_id IN (SELECT template_id FROM _inc_tchanged)
        )
        SELECT l.template_id, min(l.first_seen) AS first_seen, count(*) AS skeletons,
               any_value(g.lineage_skeleton) AS lineage_skeleton, any_value(g.lineage_similarity) AS lineage_similarity
        FROM l LEFT JOIN _lineage g ON g.template_id = l.template_id GROUP BY l.template_id""")  # fmt: skip
    with engine.transaction():
        forget(engine)
        _delete(engine, "capture_attribution", f"{in_scope} OR capture_key IN (SELECT capture_key FROM _inc_recover)")
        engine.insert("capture_attribution", """
            SELECT * FROM _attr
            UNION ALL
            SELECT n.capture_key, s.skeleton_id, NULL, NULL, NULL, true
            FROM (SELECT capture_key, page_sha256 FROM _inc_new UNION ALL SELECT capture_key, page_sha256 FROM _inc_recover) n
            JOIN page_skeletons s ON s.page_sha256 = n.page_sha256 WHERE n.capture_key IN (SELECT capture_key FROM _cover)""")
        _delete(engine, "skeleton_links", "skeleton_id IN (SELECT skeleton_id FROM _inc_replaced)")
        engine.insert("skeleton_links", "SELECT skeleton_id, parent_id, similarity, root_id, first_seen FROM _inc_links")
        _delete(engine, "templates", "template_id IN (SELECT template_id FROM _inc_tchanged)")
        engine.insert("templates", "SELECT * FROM _inc_templates")
        _delete(engine, "distributors", "distributor_id IN (SELECT distributor_id FROM _inc_old_distributors)")
        engine.insert("distributors", "SELECT * FROM _dist_rows")
        _delete(engine, "brands", in_scope)
        engine.insert("brands", "SELECT b.*, e.evidence FROM _brand_rows b LEFT JOIN _ev_path e ON e.brand = b.brand_id")
        # a warning-listed value's spread counts every template carrying it, in scope or not
        engine.materialise("_inc_listed_spread", """
            SELECT i.kind, i.value, count(DISTINCT a.template_id) AS spread
            FROM page_identifiers i JOIN captures c ON c.page_sha256 = i.page_sha256
            JOIN capture_attribution a ON a.capture_key = c.capture_key
            WHERE i.is_pivot AND NOT a.cover AND a.template_id IS NOT NULL
              AND i.kind || ' ' || i.value IN (SELECT kind || ' ' || value FROM _values WHERE status = 'warninglist')
            GROUP BY i.kind, i.value""")  # fmt: skip
        _delete(engine, "identifier_values", "kind || ' ' || value IN (SELECT kind || ' ' || value FROM _values "
                                             "UNION ALL SELECT kind || ' ' || value FROM _inc_dropped)")
        engine.insert("identifier_values", """
            SELECT v.kind, v.value, coalesce(w.spread, v.spread), v.status, v.groups_joined, v.reason, v.distributor_id
            FROM _values v LEFT JOIN _inc_listed_spread w ON w.kind = v.kind AND w.value = v.value""")  # fmt: skip
        _delete(engine, "disguised_urls", "url IN (SELECT url FROM _inc_urls)")
        engine.insert("disguised_urls", "SELECT * FROM _disguised")
        _delete(engine, "attribution_components", in_scope)
        engine.insert("attribution_components", "SELECT template_id, component FROM _comp_rows")
        _delete(engine, "attribution_merges", in_scope)
        engine.insert("attribution_merges", _SQL_MERGES)
        # band rows: a moved skeleton's first seen, a changed founder's lineage bands
        _delete(engine, "attribution_bands", "(lsh = 0 AND skeleton_id IN (SELECT skeleton_id FROM _inc_moved)) "
                                             "OR (lsh = 1 AND skeleton_id IN (SELECT skeleton_id FROM _inc_fchanged))")
        engine.insert("attribution_bands", """
            SELECT 0, b.skeleton_id, b.band, b.key, f.first_seen FROM _inc_bands b JOIN _inc_redo f ON f.skeleton_id = b.skeleton_id
            WHERE b.skeleton_id IN (SELECT skeleton_id FROM _inc_moved)
            UNION ALL
            SELECT 1, b.skeleton_id, b.band, b.key, f.first_seen FROM _inc_fbands b JOIN _inc_redo f ON f.skeleton_id = b.skeleton_id
            WHERE b.skeleton_id IN (SELECT skeleton_id FROM _inc_fchanged)""")  # fmt: skip
        engine.insert("attribution_batches", "SELECT DISTINCT batch_id FROM _inc_new")
        _record(engine, digest, "SELECT count(*) FROM captures")
