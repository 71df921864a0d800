"""Identifiers → distributor groups, as set steps: inverted index, over-matching guard, judgements.

Pages are the nodes (captures of one page share its identifiers). A value's **spread** is
the number of templates whose pages carry it. Values are judged level by level in
increasing spread: every value of one level is judged against the groups that the values
of lower levels formed, and the level's linking values then merge groups together, as
connected components. So no value's fate depends on its spelling (the old one-at-a-time
order broke ties by kind and value), and the work is four engine steps per level: the
level's decisions, its merge edges, their components, the new page → group labels. A
level's merge graph is solved on the driver when it is small (``LOCAL_EDGES``) and in SQL
otherwise, so the graph as a whole never gathers on one machine (docs/attribution.md,
docs/scaling.md).

At a level, a value

1. on a warning list never links (status ``warninglist``, decided before any level);
2. whose pages already lie in ``max_groups`` or more *established* groups (groups that
   span two or more templates) is ``generic``: kept and shown, but it does not link;
3. that would put two templates an analyst judged *not the same* into one group is
   ``blocked``; when several values of one level would do so only together, they are
   taken one at a time in (kind, value) order and the one that would close the gap is
   blocked (a handful of values, on the driver);
4. whose pages lie in one group only is ``single``; otherwise it ``link``\\ s its groups.

*Same* judgements then join the groups of the two templates. A group is named by its
smallest page hash (only ever used inside this run).

Inputs (temporary tables): ``_lk_pages(page, template_id)`` and the distinct pivot values
``_lk_pivots(page, kind, value)`` of those pages. Outputs: ``_page_groups(page_sha256,
grp, identified, valued)``, ``_decisions(kind, value, spread, status, groups_joined,
reason, first_page)``, ``_linked(kind, value, spread, page)`` (the pages of each value that
linked or was single) and ``_judged(judgement_id, template_a, template_b)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pyarrow as pa

from vigil.attribute.warninglists import WarningLists
from vigil.defaults import MAX_GROUPS
from vigil.store.engine import Engine
from vigil.store.stages import stage

# a level's graph up to this many edges is solved on the driver (≈ 100 bytes an edge)
LOCAL_EDGES: Final = 100_000

LISTED_SCHEMA = pa.schema([("kind", pa.string()), ("value", pa.string()), ("listed", pa.string())])


@dataclass(frozen=True)
class Listed:
    """Each value's warning list (or NULL): pure, per row."""

    lists: WarningLists

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        names = [self.lists.match(v) for v in batch.column("value").to_pylist()]
        return pa.RecordBatch.from_pydict({"kind": batch.column("kind"), "value": batch.column("value"),
                                           "listed": pa.array(names, pa.string())}, schema=LISTED_SCHEMA)  # fmt: skip


# _lk_outside: what lies beyond the pages in hand, for values an incremental run only sees
# in part (incremental.py): their templates, groups and established groups out there
# each value's spread (its templates, here and beyond) and its first page (by number: the
# smallest number is the smallest page)
_SQL_VALUES = """
SELECT v.kind, v.value, count(DISTINCT p.t) + coalesce(max(o.templates), 0) AS spread, min(v.n) AS first_n
FROM _lk_pv v JOIN _lk_pt p ON p.n = v.n LEFT JOIN _lk_outside o ON o.kind = v.kind AND o.value = v.value
GROUP BY v.kind, v.value
"""

_OUTSIDE = pa.schema([("kind", pa.string()), ("value", pa.string()), ("templates", pa.int64()), ("joined", pa.int64()),
                      ("established", pa.int64())])  # fmt: skip
_HISTORY = pa.schema([("spread", pa.int32()), ("node", pa.string()), ("label", pa.string()), ("templates", pa.int64())])

# The levels work on numbers, not on the 64-digit page hashes, template IDs and values: a
# page is its rank among the pages (n), a template its rank among the templates (t), a
# value its rank among the values (vid), so every minimum and every order is the one the
# names would give. At 10M pages a level that rewrote the page → group labels as hashes
# took 76 s; as numbers it reads and writes a tenth of the bytes (docs/benchmarks.md).
_SQL_NODES = "SELECT page, row_number() OVER (ORDER BY page) AS n FROM (SELECT DISTINCT page FROM _lk_pages) p"
_SQL_TEMPLATE_IDS = """
SELECT template_id, row_number() OVER (ORDER BY template_id) AS t FROM (SELECT DISTINCT template_id FROM _lk_pages) p
"""
_SQL_PAGE_TEMPLATES = """
SELECT DISTINCT n.n, d.t FROM _lk_pages p JOIN _lk_nodes n ON n.page = p.page JOIN _lk_tids d ON d.template_id = p.template_id
"""
# the pivots with each page as its number: the only join on the 64-digit page hashes
_SQL_PIVOT_NUMBERS = "SELECT n.n, v.kind, v.value FROM _lk_pivots v JOIN _lk_nodes n ON n.page = v.page"

# the live values' pages in level order, so a level reads its own rows only
_SQL_WALK = """
SELECT v.vid, p.n, v.spread FROM _lk_pv p JOIN _lk_values v ON v.kind = p.kind AND v.value = p.value
WHERE v.listed IS NULL ORDER BY v.spread
"""

# the merges of a level, with the number of templates of each merged group (incremental.py)
_SQL_MERGES = """
SELECT CAST($level AS INT) AS spread, c.node, c.label, s.templates
FROM _lk_cc c JOIN (
    SELECT l.root, count(DISTINCT p.t) AS templates FROM _lk_labels l JOIN _lk_pt p ON p.n = l.n
    WHERE l.root IN (SELECT label FROM _lk_cc) GROUP BY l.root
) s ON s.root = c.label
"""

_SQL_HISTORY = """
SELECT m.spread, a.page AS node, b.page AS label, m.templates
FROM ({merges}) m JOIN _lk_nodes a ON a.n = m.node JOIN _lk_nodes b ON b.n = m.label
"""

# the groups each value of the level touches now
_TOUCH = """touch AS (
    SELECT DISTINCT w.vid, l.root
    FROM _lk_walk w JOIN _lk_labels l ON l.n = w.n
    WHERE w.spread = $level
)"""

# the level's decisions, against the groups lower levels formed; a clash is a value whose
# own groups hold both templates of a not-same judgement (one pair named)
_SQL_LEVEL = f"""
WITH {_TOUCH},
held AS (
    SELECT l.root, p.t
    FROM _lk_labels l JOIN _lk_pt p ON p.n = l.n
    WHERE l.root IN (SELECT root FROM touch)
),
groups AS (SELECT root, count(DISTINCT t) AS templates FROM held GROUP BY root),
watch AS (SELECT DISTINCT root, t FROM held WHERE t IN (SELECT a FROM _lk_forbid)),
facts AS (
    SELECT t.vid, count(*) + max(v.out_joined) AS joined,
           count(CASE WHEN g.templates >= 2 THEN 1 END) + max(v.out_established) AS established, min(t.root) AS hub
    FROM touch t JOIN groups g ON g.root = t.root JOIN _lk_values v ON v.vid = t.vid
    GROUP BY t.vid
),
clash AS (
    SELECT vid, a AS clash_a, b AS clash_b FROM (
        SELECT t1.vid, f.a, f.b, row_number() OVER (PARTITION BY t1.vid ORDER BY f.a, f.b) AS k
        FROM touch t1 JOIN watch w1 ON w1.root = t1.root
        JOIN _lk_forbid f ON f.a = w1.t AND f.a < f.b
        JOIN touch t2 ON t2.vid = t1.vid AND t2.root <> t1.root
        JOIN watch w2 ON w2.root = t2.root AND w2.t = f.b
    ) WHERE k = 1
)
SELECT f.vid, CAST($level AS INT) AS spread, f.joined, f.established, f.hub, c.clash_a, c.clash_b,
       CASE WHEN f.established >= $max_groups THEN 'generic'
            WHEN c.clash_a IS NOT NULL THEN 'blocked'
            WHEN f.joined = 1 THEN 'single'
            ELSE 'link' END AS status
FROM facts f LEFT JOIN clash c ON c.vid = f.vid
"""

# each linking value ties every group it touches to its smallest one
_SQL_EDGES = f"""
WITH {_TOUCH}
SELECT DISTINCT t.root AS a, l.hub AS b
FROM touch t JOIN {{level}} l ON l.vid = t.vid
WHERE l.status = 'link' AND t.root <> l.hub
"""

_SQL_RELABEL = """
SELECT l.n, coalesce(m.label, l.root) AS root
FROM _lk_labels l LEFT JOIN _lk_cc m ON m.node = l.root
"""

_SQL_REASONS = """
SELECT v.kind, v.value, d.spread, d.status, d.groups_joined, v.first_page,
       CASE d.status
           WHEN 'warninglist' THEN 'on the warning list ' || chr(39) || v.listed || chr(39)
           WHEN 'generic' THEN 'shared by ' || CAST(d.spread AS STRING) || ' templates in ' || CAST(d.established AS STRING)
                || ' otherwise unrelated groups (the guard stops values joining ' || CAST($max_groups AS STRING) || ' or more)'
           WHEN 'blocked' THEN 'an analyst judged templates ' || ca.template_id || ' and ' || cb.template_id || ' not the same'
           WHEN 'single' THEN 'seen within one group only'
           ELSE 'links ' || CAST(d.groups_joined AS STRING) || ' groups' END AS reason
FROM (
    SELECT vid, spread, 'warninglist' AS status, 0 AS groups_joined, 0 AS established,
           CAST(NULL AS BIGINT) AS clash_a, CAST(NULL AS BIGINT) AS clash_b
    FROM _lk_values WHERE listed IS NOT NULL
    {levels}
) d JOIN _lk_values v ON v.vid = d.vid LEFT JOIN _lk_tids ca ON ca.t = d.clash_a LEFT JOIN _lk_tids cb ON cb.t = d.clash_b
"""

_SQL_LEVEL_ROWS = """
    UNION ALL
    SELECT vid, spread, status, joined, established, clash_a, clash_b FROM {level}
"""

# a same judgement ties the groups of every page of its two templates
_SQL_SAME_EDGES = """
WITH j AS (
    SELECT DISTINCT s.judgement_id, l.root
    FROM _lk_same s JOIN _lk_tids d ON d.template_id = s.template_a OR d.template_id = s.template_b
    JOIN _lk_pt p ON p.t = d.t JOIN _lk_labels l ON l.n = p.n
)
SELECT DISTINCT j.root AS a, h.hub AS b
FROM j JOIN (SELECT judgement_id, min(root) AS hub FROM j GROUP BY judgement_id) h ON h.judgement_id = j.judgement_id
WHERE j.root <> h.hub
"""

# each page's group (by name) and whether it is identified (its group holds two pages or
# more) and valued (a value of it linked or was single); groups are counted by aggregate, not
# by a window over every page (which ran out of memory at 10M pages under the 3 GB cap)
_SQL_ROOTS = """
SELECT g.root, n.page AS grp, g.pages FROM (SELECT root, count(*) AS pages FROM _lk_labels GROUP BY root) g
JOIN _lk_nodes n ON n.n = g.root
"""

# the values each level kept (linked, seen in one group, or blocked by a judgement)
_SQL_KEPT = """
SELECT vid, status FROM ({levels}) l WHERE status IN ('link', 'single', 'blocked')
"""

_SQL_VALUED = """
SELECT DISTINCT w.n FROM _lk_walk w JOIN _lk_kept k ON k.vid = w.vid WHERE k.status IN ('link', 'single')
"""

# what ties templates into components (derive.py): each kept value ties the templates of its
# pages to its smallest one; on numbers (a template's rank orders as its ID), then named
_SQL_TIES = """
WITH vt AS (SELECT DISTINCT w.vid, p.t FROM _lk_walk w JOIN _lk_kept k ON k.vid = w.vid JOIN _lk_pt p ON p.n = w.n),
hub AS (SELECT vid, min(t) AS hub FROM vt GROUP BY vid),
e AS (SELECT DISTINCT vt.t AS a, hub.hub AS b FROM vt JOIN hub ON hub.vid = vt.vid WHERE vt.t <> hub.hub)
SELECT x.template_id AS a, y.template_id AS b FROM e JOIN _lk_tids x ON x.t = e.a JOIN _lk_tids y ON y.t = e.b
"""

# the pages of each linked or single value, named
_SQL_LINKED = """
SELECT v.kind, v.value, v.spread, n.page
FROM _lk_walk w JOIN _lk_kept k ON k.vid = w.vid JOIN _lk_values v ON v.vid = w.vid JOIN _lk_nodes n ON n.n = w.n
WHERE k.status IN ('link', 'single')
"""

#: The scratch ``link`` drops before it returns (with each level's ``_lk_level_N`` and
#: ``_lk_merges_N``): at 10M pages the pivots alone are 31M rows of hashes and values.
LINK_SCRATCH: Final = (
    "_lk_pivots", "_lk_pv", "_lk_values_raw", "_lk_listed", "_lk_values", "_lk_nodes", "_lk_tids", "_lk_pt", "_lk_walk",
    "_lk_not_same", "_lk_forbid", "_lk_labels", "_lk_same", "_lk_kept", "_lk_roots", "_lk_valued", "_lk_cc", "_lk_watch",
    "_lk_late", "_lk_fixed",
)  # fmt: skip

_SQL_PAGE_GROUPS = """
SELECT a.page AS page_sha256, r.grp, r.pages >= 2 AS identified, v.n IS NOT NULL AS valued
FROM _lk_labels l JOIN _lk_nodes a ON a.n = l.n JOIN _lk_roots r ON r.root = l.root LEFT JOIN _lk_valued v ON v.n = l.n
"""


class DisjointSets:
    """Union-find over names (or numbers), for graphs small enough for one process; a set is named by its smallest member."""

    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, node: Any) -> Any:
        parent = self.parent
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]  # path halving
            node = parent[node]
        return node

    def union(self, a: Any, b: Any) -> None:
        a, b = self.find(a), self.find(b)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


#: What :func:`components` leaves behind when it solves a graph in SQL (too big for the driver).
COMPONENT_SCRATCH = ("_cc_edges", "_cc_adj", "_cc_spread", "_cc_next")


def components(engine: Engine, edges: str, out: str, params: dict[str, Any] | None = None, *,
               local_limit: int = LOCAL_EDGES) -> int:  # fmt: skip
    """Connected components of the undirected graph of query ``edges`` (``a, b``) as table ``out(node, label)``.

    ``label`` is the smallest node of the component. A graph of at most ``local_limit``
    edges is solved on the driver (a union-find: a job or two instead of a dozen); a bigger
    one by minimum-label propagation with pointer jumping in SQL (each round takes the
    smallest label among a node's neighbours, then the label of that label, so a chain of n
    nodes settles in about log n rounds), so a big graph never leaves the engine. Returns the
    number of nodes (0: no edges).
    """
    few = engine.rows("component edges", f"SELECT a, b FROM ({edges}) e LIMIT {local_limit + 1}", params)
    if len(few) <= local_limit:
        sets = DisjointSets()
        for edge in few:
            sets.union(edge["a"], edge["b"])
        nodes = sorted(sets.parent)
        kind = pa.int64() if nodes and isinstance(nodes[0], int) else pa.string()  # pages by number, templates by ID
        engine.put_arrow(out, pa.table({"node": pa.array(nodes, kind), "label": pa.array([sets.find(n) for n in nodes], kind)}))
        return len(nodes)
    engine.materialise("_cc_edges", edges, params)
    engine.materialise("_cc_adj", "SELECT a AS node, b AS other FROM _cc_edges UNION SELECT b, a FROM _cc_edges "
                                  "UNION SELECT a, a FROM _cc_edges UNION SELECT b, b FROM _cc_edges")  # fmt: skip
    engine.materialise(out, "SELECT node, min(other) AS label FROM _cc_adj GROUP BY node")
    for _ in range(200):
        engine.materialise("_cc_spread", f"""
            SELECT x.node, min(l.label) AS label FROM _cc_adj x JOIN {out} l ON l.node = x.other GROUP BY x.node""")
        engine.materialise("_cc_next", """
            SELECT s.node, CASE WHEN j.label < s.label THEN j.label ELSE s.label END AS label
            FROM _cc_spread s LEFT JOIN _cc_spread j ON j.node = s.label""")  # fmt: skip
        changed = engine.scalar("components", f"SELECT count(*) FROM _cc_next n JOIN {out} o ON o.node = n.node WHERE n.label <> o.label")
        engine.materialise(out, "SELECT * FROM _cc_next")
        if not changed:
            return int(engine.scalar("components", f"SELECT count(*) FROM {out}"))
    raise RuntimeError("connected components did not settle in 200 rounds")


@stage(reads=("_lk_pages", "_lk_pivots"),
       writes=("_lk_hist", "_lk_values_raw", "_lk_listed", "_lk_values", "_lk_pv", "_lk_nodes", "_lk_tids", "_lk_pt",
               "_lk_walk", "_lk_not_same", "_lk_forbid", "_lk_labels", "_lk_same", "_judged", "_decisions", "_linked",
               "_lk_kept", "_lk_ties", "_lk_roots", "_lk_valued", "_page_groups"),
       maybe=("_lk_outside", "_lk_level_*", "_lk_merges_*", "_lk_cc", *COMPONENT_SCRATCH, "_lk_watch", "_lk_late",
              "_lk_fixed"),
       drops=(*LINK_SCRATCH, "_lk_level_*", "_lk_merges_*"))  # fmt: skip
def link(
    engine: Engine,
    *,
    max_groups: int = MAX_GROUPS,
    warnings: WarningLists | None = None,
    not_same: Sequence[tuple[str, str]] = (),
    same: Sequence[tuple[str, str, str]] = (),
    progress: Callable[[int, int], None] | None = None,
    outside: bool = False,
) -> int:
    """Group the pages of ``_lk_pages`` by their shared values in ``_lk_pivots``; returns the levels run.

    ``not_same`` holds template pairs an analyst says are different operators; ``same``
    holds ``(judgement_id, template_a, template_b)`` that must be one operator. With
    ``outside``, table ``_lk_outside`` adds to values what lies beyond the pages in hand.
    Each level's merges are kept in ``_lk_hist`` (spread, node, label, templates); what ties
    templates into components in ``_lk_ties`` (a, b). The pivots and every other scratch
    table (:data:`LINK_SCRATCH`) are dropped before it returns.
    """
    tick = progress or (lambda done, total: None)
    if not outside:
        engine.put_arrow("_lk_outside", _OUTSIDE.empty_table())
    engine.materialise("_lk_nodes", _SQL_NODES)
    engine.materialise("_lk_tids", _SQL_TEMPLATE_IDS)
    engine.materialise("_lk_pt", _SQL_PAGE_TEMPLATES)
    engine.materialise("_lk_pv", _SQL_PIVOT_NUMBERS)
    engine.drop("_lk_pivots")  # held as numbers from here on
    engine.materialise("_lk_values_raw", _SQL_VALUES)
    engine.map_batches("_lk_listed", "SELECT kind, value FROM _lk_values_raw", Listed(warnings or WarningLists()), LISTED_SCHEMA)
    engine.materialise("_lk_values", """
        SELECT row_number() OVER (ORDER BY v.kind, v.value) AS vid, v.kind, v.value, v.spread, n.page AS first_page, l.listed,
               coalesce(o.joined, 0) AS out_joined, coalesce(o.established, 0) AS out_established
        FROM _lk_values_raw v JOIN _lk_nodes n ON n.n = v.first_n LEFT JOIN _lk_listed l ON l.kind = v.kind AND l.value = v.value
        LEFT JOIN _lk_outside o ON o.kind = v.kind AND o.value = v.value""")  # fmt: skip
    engine.materialise("_lk_walk", _SQL_WALK)
    engine.drop("_lk_pv")
    engine.put_arrow("_lk_not_same", pa.table({"a": pa.array([a for a, b in not_same] + [b for a, b in not_same], pa.string()),
                                               "b": pa.array([b for a, b in not_same] + [a for a, b in not_same], pa.string())}))  # fmt: skip
    engine.materialise("_lk_forbid", """
        SELECT DISTINCT x.t AS a, y.t AS b FROM _lk_not_same f JOIN _lk_tids x ON x.template_id = f.a
        JOIN _lk_tids y ON y.template_id = f.b""")  # fmt: skip
    judged = bool(not_same)
    engine.materialise("_lk_labels", "SELECT DISTINCT n, n AS root FROM _lk_walk")
    levels = [int(r["spread"]) for r in engine.rows("spread levels", "SELECT DISTINCT spread FROM _lk_walk ORDER BY spread")]
    params = {"max_groups": max_groups}
    merges: list[str] = []
    tick(0, len(levels))
    for i, level in enumerate(levels):
        name = f"_lk_level_{i}"
        engine.materialise(name, _SQL_LEVEL, {"level": level, **params})
        if components(engine, _SQL_EDGES.format(level=name), "_lk_cc", {"level": level}):
            if judged:
                _split_clashes(engine, name, level)
            engine.materialise("_lk_labels", _SQL_RELABEL)
            merges.append(f"_lk_merges_{i}")
            engine.materialise(merges[-1], _SQL_MERGES, {"level": level})
        tick(i + 1, len(levels))
    if merges:
        engine.materialise("_lk_hist", _SQL_HISTORY.format(merges=" UNION ALL ".join(f"SELECT * FROM {m}" for m in merges)))
    else:
        engine.put_arrow("_lk_hist", _HISTORY.empty_table())
    # pages without a live value are groups of their own; then the analysts' same judgements
    engine.materialise("_lk_labels", """
        SELECT p.n, coalesce(l.root, p.n) AS root FROM _lk_nodes p LEFT JOIN _lk_labels l ON l.n = p.n""")  # fmt: skip
    engine.put_arrow("_lk_same", pa.table({"judgement_id": pa.array([s[0] for s in same], pa.string()),
                                           "template_a": pa.array([s[1] for s in same], pa.string()),
                                           "template_b": pa.array([s[2] for s in same], pa.string())}))  # fmt: skip
    engine.materialise("_judged", """
        SELECT s.judgement_id, s.template_a, s.template_b FROM _lk_same s
        WHERE EXISTS (SELECT 1 FROM _lk_pages p WHERE p.template_id = s.template_a OR p.template_id = s.template_b)""")  # fmt: skip
    if same and components(engine, _SQL_SAME_EDGES, "_lk_cc"):
        engine.materialise("_lk_labels", _SQL_RELABEL)
    rows = "".join(_SQL_LEVEL_ROWS.format(level=f"_lk_level_{i}") for i in range(len(levels)))
    engine.materialise("_decisions", _SQL_REASONS.format(levels=rows), params)
    kept = " UNION ALL ".join(f"SELECT vid, status FROM _lk_level_{i}" for i in range(len(levels)))
    engine.materialise("_lk_kept", _SQL_KEPT.format(levels=kept or "SELECT CAST(NULL AS BIGINT) AS vid, 'none' AS status"))
    engine.materialise("_linked", _SQL_LINKED)
    engine.materialise("_lk_ties", _SQL_TIES)
    engine.materialise("_lk_roots", _SQL_ROOTS)
    engine.materialise("_lk_valued", _SQL_VALUED)
    engine.materialise("_page_groups", _SQL_PAGE_GROUPS)
    engine.drop(*LINK_SCRATCH, *(f"_lk_level_{i}" for i in range(len(levels))), *merges)
    return len(levels)


def _split_clashes(engine: Engine, level: str, spread: int) -> None:
    """Components of one level that join two not-same templates only through several values.

    Their values are taken one at a time in (kind, value) order; a value that would join the
    pair is blocked. Only the values of such components come to the driver (a handful: those
    around templates an analyst judged).
    """
    engine.materialise("_lk_watch", """
        SELECT DISTINCT l.root, p.t FROM _lk_labels l JOIN _lk_pt p ON p.n = l.n
        WHERE p.t IN (SELECT a FROM _lk_forbid) AND l.root IN (SELECT node FROM _lk_cc)""")  # fmt: skip
    bad = engine.rows("judged components", """
        SELECT DISTINCT c1.label FROM _lk_cc c1 JOIN _lk_watch w1 ON w1.root = c1.node
        JOIN _lk_forbid f ON f.a = w1.t
        JOIN _lk_cc c2 ON c2.label = c1.label JOIN _lk_watch w2 ON w2.root = c2.node AND w2.t = f.b""")  # fmt: skip
    if not bad:
        return
    labels = [r["label"] for r in bad]
    touched = engine.rows("judged values", f"""
        WITH {_TOUCH}
        SELECT t.vid, t.root FROM touch t JOIN {level} l ON l.vid = t.vid
        JOIN _lk_cc c ON c.node = l.hub WHERE l.status = 'link' AND array_contains($labels, c.label)
        ORDER BY t.vid, t.root""", {"labels": labels, "level": spread})  # fmt: skip
    roots = sorted({r["root"] for r in touched})
    watch: dict[int, set[int]] = {root: set() for root in roots}
    for r in engine.rows("judged templates", "SELECT root, t FROM _lk_watch WHERE array_contains($roots, root)", {"roots": roots}):
        watch[r["root"]].add(r["t"])
    forbid: dict[int, set[int]] = {}
    for r in engine.rows("judgements", "SELECT a, b FROM _lk_forbid"):
        forbid.setdefault(r["a"], set()).add(r["b"])
    sets = DisjointSets()
    values: dict[int, list[int]] = {}
    for r in touched:  # in (kind, value) order: a value's number is its rank
        values.setdefault(r["vid"], []).append(r["root"])
    blocked: list[tuple[int, int, int]] = []
    for vid, members in values.items():
        groups = sorted({sets.find(m) for m in members})
        held: dict[int, set[int]] = {}
        for root in roots:
            held.setdefault(sets.find(root), set()).update(watch[root])
        pair = next(((a, b) for g in groups for a in held.get(g, ()) for h in groups if h != g
                     for b in held.get(h, ()) if b in forbid.get(a, ())), None)  # fmt: skip
        if pair:
            blocked.append((vid, *sorted(pair)))  # type: ignore[arg-type]
            continue
        for g in groups[1:]:
            sets.union(g, groups[0])
    columns = list(zip(*blocked)) if blocked else [(), (), ()]
    engine.put_arrow("_lk_late", pa.table({name: pa.array(list(col), pa.int64())
                                           for name, col in zip(("vid", "clash_a", "clash_b"), columns)}))  # fmt: skip
    engine.put_arrow("_lk_fixed", pa.table({"node": pa.array(roots, pa.int64()),
                                            "label": pa.array([sets.find(r) for r in roots], pa.int64())}))  # fmt: skip
    engine.materialise(level, f"""
        SELECT l.vid, l.spread, l.joined, l.established, l.hub,
               coalesce(b.clash_a, l.clash_a) AS clash_a, coalesce(b.clash_b, l.clash_b) AS clash_b,
               CASE WHEN b.vid IS NULL THEN l.status ELSE 'blocked' END AS status
        FROM {level} l LEFT JOIN _lk_late b ON b.vid = l.vid""")  # fmt: skip
    engine.materialise("_lk_cc", """
        SELECT c.node, coalesce(f.label, c.label) AS label FROM _lk_cc c LEFT JOIN _lk_fixed f ON f.node = c.node""")
