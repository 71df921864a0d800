"""A distributor's evidence graph: its brands and the key identifiers they share, as data to draw.

Nodes are brands and identifier values; an edge says the value was found on pages of the
brand. Only pivot values shared by two or more of the distributor's brands are drawn (the
links attribution used). Past ``max_nodes`` the graph collapses: brands are grouped into
one node per the shared value most of them carry, and only the most shared values are kept,
so a distributor of a thousand brands still draws at once. Labels are plain text (drawn on a
canvas, never parsed as markup).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any, Final

from vigil.store.handle import DuckStoreHandle

MAX_NODES: Final = 300
LABEL_CHARS: Final = 80


def _label(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def evidence_graph(store: DuckStoreHandle, distributor_id: str, *, kinds: set[str] | None = None, max_nodes: int = MAX_NODES) -> dict[str, Any] | None:
    brands = [r[0] for r in store.con.execute(
        "SELECT brand_id FROM brands WHERE distributor_id = ? ORDER BY first_seen, brand_id", [distributor_id]).fetchall()]  # fmt: skip
    if not brands:
        return None
    links = store.con.execute("""SELECT DISTINCT p.kind, p.value, a.brand_id FROM brands b
        JOIN capture_attribution a USING (brand_id) JOIN captures c USING (capture_key) JOIN page_identifiers p USING (page_sha256)
        WHERE b.distributor_id = ? AND p.is_pivot""", [distributor_id]).fetchall()  # fmt: skip
    all_kinds = sorted({k for k, _, _ in links})
    by_value: dict[tuple[str, str], set[str]] = defaultdict(set)
    for kind, value, brand in links:
        if kinds is None or kind in kinds:
            by_value[(kind, value)].add(brand)
    shared = {key: members for key, members in by_value.items() if len(members) >= 2}
    ranked = sorted(shared, key=lambda key: (-len(shared[key]), key))
    collapsed = len(brands) + len(shared) > max_nodes
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    if not collapsed:
        nodes += [{"id": b, "label": b, "type": "brand"} for b in brands]
        for kind, value in ranked:
            vid = f"v:{kind}:{value}"
            nodes.append({"id": vid, "label": _label(value), "type": "value", "kind": kind, "brands": len(shared[(kind, value)])})
            edges += [{"source": b, "target": vid, "kind": kind} for b in sorted(shared[(kind, value)])]
    else:
        kept = ranked[: max(1, max_nodes // 2)]
        home: dict[str, tuple[str, str]] = {}
        for key in kept:  # each brand joins the cluster of the most shared value it carries
            for b in shared[key]:
                home.setdefault(b, key)
        clusters = Counter(home.values())
        alone = len(brands) - len(home)
        for key in kept:
            kind, value = key
            vid = f"v:{kind}:{value}"
            nodes.append({"id": vid, "label": _label(value), "type": "value", "kind": kind, "brands": len(shared[key])})
            if key in clusters:
                cid = f"c:{kind}:{value}"
                nodes.append({"id": cid, "label": f"{clusters[key]} brands", "type": "cluster", "brands": clusters[key]})
                edges.append({"source": cid, "target": vid, "kind": kind})
        for key in kept:  # a cluster also touches the other kept values its brands carry
            vid = f"v:{key[0]}:{key[1]}"
            for cluster in sorted({home[b] for b in shared[key] if home.get(b) not in (None, key)}):
                edges.append({"source": f"c:{cluster[0]}:{cluster[1]}", "target": vid, "kind": key[0]})
        if alone:
            nodes.append({"id": "c:unlinked", "label": f"{alone} brands via values not drawn", "type": "cluster", "brands": alone})
    return {"distributor_id": distributor_id, "brands": len(brands), "kinds": all_kinds, "collapsed": collapsed,
            "nodes": nodes, "edges": edges}  # fmt: skip
