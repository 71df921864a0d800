"""Evidence paths: for every brand of a distributor, how it is tied to the distributor's first brand.

A path is brand → shared identifier → brand → … with the captures on which each identifier
was seen on each side, found by breadth-first search over the values that actually linked
(and analysts' *same* judgements). Stored as JSON in ``brands.evidence``.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from vigil.attribute.linking import Linking

_SHOW = 3  # captures named per side of a step


def evidence_paths(store: Any, linking: Linking) -> None:
    rows = store.engine.rows("brand pages", """
        SELECT a.brand_id, a.template_id, a.distributor_id, c.page_sha256, c.capture_id, c.url, c.captured_at, b.first_seen
        FROM capture_attribution a JOIN captures c USING (capture_key) JOIN brands b USING (brand_id)
        WHERE NOT a.cover AND a.distributor_id IS NOT NULL
        ORDER BY c.captured_at, c.capture_id""")  # fmt: skip
    brands_of_page: dict[str, set[str]] = {}
    seen_on: dict[tuple[str, str], list[dict[str, Any]]] = {}
    distributor: dict[str, str] = {}
    first: dict[str, tuple[Any, str]] = {}
    brands_of_template: dict[str, set[str]] = {}
    for r in rows:
        brands_of_template.setdefault(r["template_id"], set()).add(r["brand_id"])
        brands_of_page.setdefault(r["page_sha256"], set()).add(r["brand_id"])
        seen_on.setdefault((r["brand_id"], r["page_sha256"]), []).append(r)
        distributor[r["brand_id"]] = r["distributor_id"]
        key = (r["first_seen"], r["brand_id"])
        if r["distributor_id"] not in first or key < first[r["distributor_id"]]:
            first[r["distributor_id"]] = key
    edges: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for d in linking.decisions:
        if d.status not in ("link", "single"):
            continue
        carriers: dict[str, list[str]] = {}
        for page in d.pages:
            for brand in brands_of_page.get(page, ()):
                carriers.setdefault(brand, []).append(page)
        names = sorted(carriers)
        for a in names:
            for b in names:
                if a != b and distributor[a] == distributor[b]:
                    via = {"kind": d.kind, "value": d.value, "pages_from": carriers[a], "pages_to": carriers[b]}
                    edges.setdefault(a, []).append((b, via))
    for judgement_id, template_a, template_b in linking.judged:
        for a in sorted(brands_of_template.get(template_a, ())):
            for b in sorted(brands_of_template.get(template_b, ())):
                if distributor[a] == distributor[b]:
                    via = {"kind": "analyst judgement", "value": judgement_id, "pages_from": [], "pages_to": []}
                    edges.setdefault(a, []).append((b, via))
                    edges.setdefault(b, []).append((a, via))
    paths: dict[str, list[dict[str, Any]]] = {}
    for dist, (_, root) in first.items():
        paths[root] = [{"brand": root}]
        queue = deque([root])
        while queue:
            here = queue.popleft()
            for there, via in edges.get(here, ()):
                if there in paths:
                    continue
                step = {
                    "kind": via["kind"],
                    "value": via["value"],
                    "seen_on_previous": _captures(seen_on, here, via["pages_from"]),
                    "brand": there,
                    "seen_on_brand": _captures(seen_on, there, via["pages_to"]),
                }
                paths[there] = [*paths[here], step]
                queue.append(there)
    store.engine.put_arrow("_evidence", pa.table({
        "brand_id": pa.array(list(paths), pa.string()),
        "evidence": pa.array([json.dumps(path, default=str) for path in paths.values()], pa.string())}))  # fmt: skip
    store.engine.replace("brands", """
        SELECT b.brand_id, b.template_id, b.distributor_id, b.first_seen, b.last_seen, b.captures, b.lineage_brand,
               coalesce(e.evidence, b.evidence)
        FROM brands b LEFT JOIN _evidence e ON e.brand_id = b.brand_id""")  # fmt: skip


def _captures(seen_on: dict[tuple[str, str], list[dict[str, Any]]], brand: str, pages: Sequence[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in pages:
        for r in seen_on.get((brand, page), []):
            out.append({"capture_id": r["capture_id"], "url": r["url"], "captured_at": r["captured_at"]})
    out.sort(key=lambda x: (str(x["captured_at"]), x["capture_id"]))
    return out[:_SHOW]
