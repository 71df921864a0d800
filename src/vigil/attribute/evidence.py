"""Evidence paths: for every brand of a distributor, how it is tied to the distributor's first brand.

A path is brand → shared identifier → brand → … with the captures on which each identifier
was seen on each side (the first three per side), found by breadth-first search from the
distributor's first brand over the values that actually linked (and analysts' *same*
judgements). Stored as JSON in ``brands.evidence``.

All set steps, so it runs the same on both engines without gathering the graph: one round
per BFS depth; among the ways to reach a brand first, the step through the least-spread
value wins (then kind, value, previous brand), a judgement only when no value does. Each
step's JSON is written by a per-row function, and a path is its previous brand's path plus
that step.
"""

from __future__ import annotations

import json

import pyarrow as pa

from vigil.store.handle import StoreHandle
from vigil.store.stages import stage

_SHOW = 3  # captures named per side of a step

# the brands of each distributor, with the pages carrying each value that linked
_SQL_CARRIERS = """
SELECT DISTINCT a.brand_id AS brand, a.distributor_id AS distributor, l.kind, l.value, l.spread
FROM _attr a JOIN captures c ON c.capture_key = a.capture_key
JOIN _linked l ON l.page = c.page_sha256
WHERE NOT a.cover AND a.distributor_id IS NOT NULL
"""

# a same judgement ties every brand of one template to every brand of the other, both ways
_SQL_JUDGED_EDGES = """
WITH pairs AS (
    SELECT x.brand_id AS a, y.brand_id AS b, j.judgement_id
    FROM _judged j JOIN _brand_rows x ON x.template_id = j.template_a JOIN _brand_rows y ON y.template_id = j.template_b
    WHERE x.distributor_id = y.distributor_id AND x.brand_id <> y.brand_id
)
SELECT a, b, judgement_id FROM pairs UNION SELECT b, a, judgement_id FROM pairs
"""

_SQL_ROOTS = """
SELECT brand_id AS brand, CAST(NULL AS STRING) AS parent, CAST(NULL AS STRING) AS kind, CAST(NULL AS STRING) AS value,
       0 AS depth
FROM (SELECT brand_id, row_number() OVER (PARTITION BY distributor_id ORDER BY first_seen, brand_id) AS k
      FROM _brand_rows WHERE distributor_id IS NOT NULL)
WHERE k = 1
"""

# one BFS round: brands first reached from the brands found at depth $depth
_SQL_NEXT = """
SELECT brand, parent, kind, value, CAST($depth + 1 AS INT) AS depth FROM (
    SELECT brand, parent, kind, value, row_number() OVER (PARTITION BY brand ORDER BY judged, spread, kind, value, parent) AS k
    FROM (
        SELECT n.brand, f.brand AS parent, n.kind, n.value, n.spread, 0 AS judged
        FROM _ev_seen f JOIN _ev_carriers fv ON fv.brand = f.brand
        JOIN _ev_carriers n ON n.kind = fv.kind AND n.value = fv.value AND n.distributor = fv.distributor AND n.brand <> f.brand
        WHERE f.depth = $depth
        UNION ALL
        SELECT j.b, f.brand, 'analyst judgement', j.judgement_id, 0, 1
        FROM _ev_seen f JOIN _ev_judged j ON j.a = f.brand WHERE f.depth = $depth
    ) c WHERE c.brand NOT IN (SELECT brand FROM _ev_seen)
) WHERE k = 1
"""

# the first captures of each side of each step (portable SQL: one column per shown capture)
_SQL_SHOWN = """
WITH pages AS (  -- side p: the previous brand's captures of the value; side b: the brand's own
    SELECT s.brand, d.side, c.capture_id, c.url, c.captured_at
    FROM _ev_seen s CROSS JOIN (SELECT 'p' AS side UNION ALL SELECT 'b') d
    JOIN _attr a ON a.brand_id = CASE WHEN d.side = 'p' THEN s.parent ELSE s.brand END AND NOT a.cover
    JOIN captures c ON c.capture_key = a.capture_key
    JOIN _linked l ON l.page = c.page_sha256 AND l.kind = s.kind AND l.value = s.value
    WHERE s.depth > 0
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY brand, side ORDER BY captured_at, capture_id) AS k FROM pages
)
SELECT s.brand, s.kind, s.value, {columns}
FROM _ev_seen s LEFT JOIN ranked r ON r.brand = s.brand AND r.k <= {show}
WHERE s.depth > 0
GROUP BY s.brand, s.kind, s.value
"""

_SLOTS = [(side, k) for side in ("p", "b") for k in range(1, _SHOW + 1)]
_COLUMNS = ", ".join(f"max(CASE WHEN r.side = '{side}' AND r.k = {k} THEN r.{field} END) AS {side}{k}_{field}"
                     for side, k in _SLOTS for field in ("capture_id", "url", "captured_at"))  # fmt: skip
_STEP = pa.schema([("brand", pa.string()), ("step", pa.string())])


def step_json(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Each step as JSON: the identifier and the captures that show it on both sides (pure, per row)."""
    rows = batch.to_pylist()
    steps = []
    for r in rows:
        shown = {side: [{"capture_id": r[f"{side}{k}_capture_id"], "url": r[f"{side}{k}_url"], "captured_at": r[f"{side}{k}_captured_at"]}
                        for k in range(1, _SHOW + 1) if r[f"{side}{k}_capture_id"] is not None] for side in ("p", "b")}  # fmt: skip
        steps.append(json.dumps({"kind": r["kind"], "value": r["value"], "seen_on_previous": shown["p"],
                                 "brand": r["brand"], "seen_on_brand": shown["b"]}, default=str))  # fmt: skip
    return pa.RecordBatch.from_pydict({"brand": batch.column("brand"), "step": pa.array(steps, pa.string())}, schema=_STEP)


@stage(reads=("captures", "_attr", "_linked", "_judged", "_brand_rows"),
       writes=("_ev_carriers", "_ev_judged", "_ev_seen", "_ev_next", "_ev_steps", "_ev_path"))
def evidence_paths(store: StoreHandle) -> None:
    """``_ev_path(brand, evidence)``; needs ``link``'s ``_linked`` and ``_judged``, ``_attr`` and ``_brand_rows``."""
    engine = store.engine
    engine.materialise("_ev_carriers", _SQL_CARRIERS)
    engine.materialise("_ev_judged", _SQL_JUDGED_EDGES)
    engine.materialise("_ev_seen", _SQL_ROOTS)
    depth = 0
    while True:
        engine.materialise("_ev_next", _SQL_NEXT, {"depth": depth})
        if not engine.scalar("evidence round", "SELECT count(*) FROM _ev_next"):
            break
        engine.materialise("_ev_seen", "SELECT * FROM _ev_seen UNION ALL SELECT * FROM _ev_next")
        depth += 1
    engine.map_batches("_ev_steps", _SQL_SHOWN.format(columns=_COLUMNS, show=_SHOW), step_json, _STEP)
    engine.materialise("_ev_path", """SELECT brand, '[{"brand": "' || brand || '"}]' AS evidence FROM _ev_seen WHERE depth = 0""")
    for level in range(1, depth + 1):
        engine.materialise("_ev_path", """
            SELECT brand, evidence FROM _ev_path
            UNION ALL
            SELECT s.brand, substr(p.evidence, 1, length(p.evidence) - 1) || ', ' || t.step || ']'
            FROM _ev_seen s JOIN _ev_steps t ON t.brand = s.brand JOIN _ev_path p ON p.brand = s.parent
            WHERE s.depth = $depth""", {"depth": level})  # fmt: skip
