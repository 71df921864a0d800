"""Need-to-know as data: a connection on which every table holds only what a principal may see.

:func:`scoped` opens a cursor on the store and shadows each evidence and derived table with a
temporary view of the same name holding only the rows the actor may see, and derived counts
recomputed from those rows. Every reader (the library's statistics, explanations and exports,
the web pages, the API) then runs unchanged on that cursor: rows are filtered *before* any
aggregation, so a count, a cluster or a distributor's brand list never reveals a member the
reader may not see. Which sources and records are visible is decided by
:func:`vigil.access.policy.permission_allowed`, asked for each marking.

Derived records are visible through their evidence: a brand when one of its captures is, a
distributor when one of its brands is. A brand some of whose captures are hidden loses its
stored evidence chain (it names captures), and ``complete`` says so.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa

from vigil.access.markings import record_markings, source_markings
from vigil.access.policy import Actor, Marking, permission_allowed
from vigil.store.engine import DuckDBEngine


#: Actions that read evidence: an actor with none of them sees no record at all.
READ_ACTIONS = ("search", "view_entity", "view_brand", "view_distributor", "view_dashboard", "view_submissions", "export")


def _may_see(actor: Actor, marking: Marking) -> bool:
    return any(permission_allowed(actor, action, marking) for action in READ_ACTIONS)


def visible_sources(con: Any, actor: Actor) -> list[str]:
    return sorted(s for s, m in source_markings(con).items() if _may_see(actor, m))


def _views(db: str, actor: Actor) -> dict[str, str]:
    m = f'"{db}".main'
    sees_all_inputs = actor.role in ("admin", "analyst")
    own_files = f"(SELECT file_sha256 FROM {m}.submissions WHERE org_id = $org)"
    return {
        "reports": f"""SELECT r.* FROM {m}.reports r
            WHERE (r.source IN (SELECT source FROM _vis_sources)
                   AND r.report_key NOT IN (SELECT record_key FROM _rec_marks WHERE kind = 'report'))
               OR r.report_key IN (SELECT record_key FROM _rec_marks WHERE kind = 'report' AND visible)""",
        "captures": f"""SELECT c.* FROM {m}.captures c
            WHERE (c.source IN (SELECT source FROM _vis_sources)
                   AND c.capture_key NOT IN (SELECT record_key FROM _rec_marks WHERE kind = 'capture'))
               OR c.capture_key IN (SELECT record_key FROM _rec_marks WHERE kind = 'capture' AND visible)""",
        "_hidden_captures": f"SELECT capture_key FROM {m}.captures EXCEPT SELECT capture_key FROM captures",
        "capture_attribution": f"SELECT a.* FROM {m}.capture_attribution a SEMI JOIN captures c USING (capture_key)",
        "pages": f"SELECT p.* FROM {m}.pages p WHERE p.page_sha256 IN (SELECT page_sha256 FROM captures)",
        "page_skeletons": f"SELECT p.* FROM {m}.page_skeletons p WHERE p.page_sha256 IN (SELECT page_sha256 FROM captures)",
        "page_identifiers": f"SELECT p.* FROM {m}.page_identifiers p WHERE p.page_sha256 IN (SELECT page_sha256 FROM captures)",
        "_brand_counts": """SELECT a.brand_id, count(*) AS captures, min(c.captured_at) AS first_seen,
                max(c.captured_at) AS last_seen FROM capture_attribution a JOIN captures c USING (capture_key)
            WHERE a.brand_id IS NOT NULL GROUP BY a.brand_id""",
        "_incomplete_brands": f"""SELECT DISTINCT a.brand_id FROM {m}.capture_attribution a
            WHERE a.capture_key IN (SELECT capture_key FROM _hidden_captures) AND a.brand_id IS NOT NULL""",
        "brands": f"""SELECT b.brand_id, b.template_id, b.distributor_id, n.first_seen, n.last_seen, n.captures,
                b.lineage_brand,
                CASE WHEN b.brand_id IN (SELECT brand_id FROM _incomplete_brands) THEN NULL ELSE b.evidence END AS evidence
            FROM {m}.brands b JOIN _brand_counts n USING (brand_id)""",
        "distributors": f"""SELECT d.distributor_id, min(b.first_seen) AS first_seen, max(b.last_seen) AS last_seen,
                CAST(count(*) AS INTEGER) AS brands, sum(b.captures) AS captures
            FROM {m}.distributors d JOIN brands b USING (distributor_id) GROUP BY d.distributor_id""",
        "templates": f"SELECT t.* FROM {m}.templates t WHERE t.template_id IN (SELECT template_id FROM capture_attribution)",
        "skeleton_links": f"SELECT s.* FROM {m}.skeleton_links s WHERE s.skeleton_id IN (SELECT skeleton_id FROM capture_attribution)",
        "identifier_values": f"""SELECT v.* FROM {m}.identifier_values v
            WHERE (v.kind, v.value) IN (SELECT kind, value FROM page_identifiers)""",
        "judgements": f"""SELECT j.* FROM {m}.judgements j
            WHERE j.brand_a IN (SELECT brand_id FROM brands) AND j.brand_b IN (SELECT brand_id FROM brands)""",
        "_visible_hosts": "SELECT host FROM reports UNION SELECT host FROM captures",
        "dns_observations": f"SELECT o.* FROM {m}.dns_observations o WHERE o.host IN (SELECT host FROM _visible_hosts)",
        "observations": """SELECT host, ip, reported_at AS seen_at, 'report' AS origin, report_key AS ref
                FROM reports WHERE ip IS NOT NULL
            UNION ALL SELECT host, ip, seen_at, 'dns' AS origin, resolver AS ref FROM dns_observations""",
        "hosts": f"SELECT h.* FROM {m}.hosts h WHERE h.host IN (SELECT host FROM _visible_hosts)",
        "ip_info": f"SELECT i.* FROM {m}.ip_info i WHERE i.ip IN (SELECT ip FROM observations)",
        "url_site_types": f"""SELECT u.* FROM {m}.url_site_types u
            WHERE u.url IN (SELECT url FROM reports UNION SELECT url FROM captures)""",
        "disguised_urls": f"SELECT d.* FROM {m}.disguised_urls d WHERE d.url IN (SELECT url FROM captures)",
        "test_purchases": f"""SELECT t.* FROM {m}.test_purchases t
            WHERE {str(sees_all_inputs).upper()} AND t.host IN (SELECT host FROM _visible_hosts)""",
        "expert_estimates": f"SELECT * FROM {m}.expert_estimates WHERE {str(sees_all_inputs).upper()}",
        "search_volumes": f"SELECT * FROM {m}.search_volumes WHERE {str(sees_all_inputs).upper()}",
        "submissions": f"SELECT s.* FROM {m}.submissions s WHERE s.org_id = $org OR {str(actor.role == 'admin').upper()}",
        "quarantine": f"""SELECT q.* FROM {m}.quarantine q
            WHERE {str(actor.role == 'admin').upper()} OR q.file_sha256 IN {own_files}""",
        "ingest_files": f"""SELECT f.* FROM {m}.ingest_files f
            WHERE f.file_sha256 IN (SELECT file_sha256 FROM reports UNION SELECT file_sha256 FROM captures)""",
        "ingest_batches": f"""SELECT b.* FROM {m}.ingest_batches b
            WHERE b.batch_id IN (SELECT batch_id FROM reports UNION SELECT batch_id FROM captures)""",
        "users": f"SELECT * FROM {m}.users WHERE FALSE",
        "sessions": f"SELECT * FROM {m}.sessions WHERE FALSE",
        "api_tokens": f"SELECT * FROM {m}.api_tokens WHERE FALSE",
        "audit_log": f"SELECT * FROM {m}.audit_log WHERE {str(actor.role in ('admin', 'auditor')).upper()}",
    }


@dataclass(frozen=True, slots=True)
class ScopeKey:
    """Everything a scoped connection's views depend on: equal keys, interchangeable connections."""

    org_id: str
    role: str
    sources: tuple[str, ...]
    records: tuple[tuple[str, str, bool], ...]
    generation: int = 0  # bumped when derived tables (brands, distributors) are rebuilt


#: Scoped derived tables computed once per scoped connection (they change only when attribution
#: reruns, which bumps the pool's generation); every other name stays a live view.
MATERIALISED = ("_hidden_captures", "_brand_counts", "_incomplete_brands", "brands", "distributors")


def scope_key(con: Any, actor: Actor, *, generation: int = 0) -> ScopeKey:
    records = tuple(sorted((kind, key, _may_see(actor, mark)) for kind, key, mark in record_markings(con)))
    return ScopeKey(actor.org_id, actor.role, tuple(visible_sources(con, actor)), records, generation)


class ScopedStore:
    """A store-like object (``con``, ``engine``, ``path``) whose tables hold what ``actor`` may see."""

    def __init__(self, con: Any, actor: Actor, *, path: Path | None = None, key: ScopeKey | None = None) -> None:
        self.actor = actor
        self.path = path or Path("vigil.duckdb")
        self.key = key or scope_key(con, actor)
        self.con = con.cursor()
        db = self.con.execute("SELECT current_database()").fetchall()[0][0]
        self.con.register("_vis_src_arrow", pa.table({"source": pa.array(list(self.key.sources), pa.string())}))
        self.con.execute("CREATE TEMP TABLE _vis_sources AS SELECT * FROM _vis_src_arrow")
        self.con.unregister("_vis_src_arrow")
        marks = self.key.records
        self.con.register("_rec_arrow", pa.table({
            "kind": pa.array([k for k, _, _ in marks], pa.string()),
            "record_key": pa.array([r for _, r, _ in marks], pa.string()),
            "visible": pa.array([v for _, _, v in marks], pa.bool_()),
        }))  # fmt: skip
        self.con.execute("CREATE TEMP TABLE _rec_marks AS SELECT * FROM _rec_arrow")
        self.con.unregister("_rec_arrow")
        for name, sql in _views(db, actor).items():
            body = sql.replace("$org", "'" + actor.org_id.replace("'", "''") + "'")
            kind = "TABLE" if name in MATERIALISED else "VIEW"
            self.con.execute(f"CREATE TEMP {kind} {name} AS {body}")
        self.engine = DuckDBEngine(self.con)

    def brand_complete(self, brand_id: str) -> bool:
        """True when the actor may see every capture of the brand (its evidence chain is whole)."""
        got = self.con.execute("SELECT count(*) FROM _incomplete_brands WHERE brand_id = ?", [brand_id]).fetchone()
        return not (got and got[0])

    def distributor_complete(self, distributor_id: str) -> bool:
        got = self.con.execute(
            f"""SELECT count(*) FROM "{self._db()}".main.brands b WHERE b.distributor_id = ?
                AND (b.brand_id IN (SELECT brand_id FROM _incomplete_brands)
                     OR b.brand_id NOT IN (SELECT brand_id FROM brands))""", [distributor_id]).fetchone()  # fmt: skip
        return not (got and got[0])

    def _db(self) -> str:
        return str(self.con.execute("SELECT current_database()").fetchone()[0])

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        got = self.con.execute(sql, params or []).fetchone()
        return got[0] if got else None

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> ScopedStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def scoped(store: Any, actor: Actor) -> ScopedStore:
    """A read-only view of ``store`` for ``actor`` (close it, or use it as a context manager)."""
    return ScopedStore(store.con, actor, path=getattr(store, "path", None))


class ScopePool:
    """Scoped connections kept for reuse: building one binds some thirty views (~0.1 s), reusing
    one costs a look-up of the markings. A connection serves one request at a time; the key
    (:class:`ScopeKey`) changes whenever a marking, a source or the actor's role does, so a
    kept connection never shows more than its key allows."""

    def __init__(self, store: Any, *, per_key: int = 8, keys: int = 64) -> None:
        self.store = store
        self.per_key, self.keys = per_key, keys
        self._idle: OrderedDict[ScopeKey, list[ScopedStore]] = OrderedDict()
        self._lock = threading.Lock()
        self.generation = 0

    def rebuilt(self) -> None:
        """Derived tables were rebuilt (attribution ran): connections made before are not reused."""
        with self._lock:
            self.generation += 1
            stale, self._idle = self._idle, OrderedDict()
        for views in stale.values():
            for view in views:
                view.close()

    @contextmanager
    def scoped(self, actor: Actor) -> Iterator[ScopedStore]:
        reader = self.store.con.cursor()
        try:
            key = scope_key(reader, actor, generation=self.generation)
        finally:
            reader.close()
        with self._lock:
            idle = self._idle.get(key)
            view = idle.pop() if idle else None
        if view is None:
            view = ScopedStore(self.store.con, actor, path=getattr(self.store, "path", None), key=key)
        view.actor = actor
        try:
            yield view
        except Exception:
            self._keep(key, view)  # a failed SELECT leaves a read-only connection as it was
            raise
        except BaseException:
            view.close()
            raise
        self._keep(key, view)

    def _keep(self, key: ScopeKey, view: ScopedStore) -> None:
        spare: ScopedStore | None = view
        with self._lock:
            kept = self._idle.setdefault(key, [])
            self._idle.move_to_end(key)
            if len(kept) < self.per_key:
                kept.append(view)
                spare = None
            while len(self._idle) > self.keys:
                for old in self._idle.popitem(last=False)[1]:
                    old.close()
        if spare is not None:
            spare.close()

    def close(self) -> None:
        with self._lock:
            for views in self._idle.values():
                for view in views:
                    view.close()
            self._idle.clear()
