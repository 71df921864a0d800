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
stored evidence chain (it names captures), and ``complete`` says so. Every table's rule is in
:mod:`vigil.access.rules`; a table no rule names is bound to an empty view (deny by default).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa

from vigil.access.markings import record_markings, source_markings
from vigil.access.policy import Actor
from vigil.access.rules import (
    READ_ACTIONS,
    case_levels,
    default_deny,
    may_see,
    table_rules,
    visible_levels,
)
from vigil.defaults import STORE_PATH
from vigil.store.engine import DuckDBEngine
from vigil.store.handle import DuckStoreHandle

__all__ = ["READ_ACTIONS", "ScopeKey", "ScopePool", "ScopedStore", "scope_key", "scoped", "visible_sources"]


def visible_sources(con: Any, actor: Actor) -> list[str]:
    return sorted(s for s, m in source_markings(con).items() if may_see(actor, m))


@dataclass(frozen=True, slots=True)
class ScopeKey:
    """Everything a scoped connection's views depend on: equal keys, interchangeable connections."""

    org_id: str
    role: str
    sources: tuple[str, ...]
    records: tuple[tuple[str, str, bool], ...]
    levels: tuple[tuple[str, str], ...] = ()  # (source, tlp) an imported report may carry and stay visible
    cases: tuple[tuple[str, bool], ...] = ()  # (tlp, own organisation) of takedown cases that are visible
    generation: int = 0  # bumped when derived tables (brands, distributors) are rebuilt


#: Scoped tables computed once per scoped connection and data version (:meth:`ScopePool.changed`;
#: attribution bumps the pool's generation instead), in the order of the rules; every other name
#: stays a live view. The ``_visible_*`` key sets are stored sorted, so a page's point look-up
#: joins them by key and DuckDB's join filters skip all but one row group of the set, where a
#: live view re-read the whole reports table for every query.
MATERIALISED = ("_hidden_captures", "_visible_captures", "_visible_pages", "_visible_identifiers", "_visible_templates",
                "_visible_skeletons", "identifier_values", "_brand_counts", "_incomplete_brands", "brands", "distributors", "_visible_hosts",
                "_visible_urls", "_visible_ips")  # fmt: skip
#: The materialised key sets (one VARCHAR column each, or two) that connections of one scope key
#: and data version share: the first computes them, the others copy them.
SHARED = frozenset(name for name in MATERIALISED if name.startswith(("_visible_", "_hidden_")))


def scope_key(con: Any, actor: Actor, *, generation: int = 0) -> ScopeKey:
    records = tuple(sorted((kind, key, may_see(actor, mark)) for kind, key, mark in record_markings(con)))
    marks = source_markings(con)
    sources = tuple(sorted(s for s, m in marks.items() if may_see(actor, m)))
    return ScopeKey(actor.org_id, actor.role, sources, records, tuple(visible_levels(actor, marks)), tuple(case_levels(actor)),
                    generation)  # fmt: skip


class ScopedStore:
    """A store-like object (``con``, ``engine``, ``path``) whose tables hold what ``actor`` may see."""

    def __init__(self, con: Any, actor: Actor, *, path: Path | None = None, key: ScopeKey | None = None,
                 version: int = 0, shared: dict[str, pa.Table] | None = None) -> None:
        self.actor = actor
        self.path = path or STORE_PATH
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
        self._table("_vis_levels", {"source": [s for s, _ in self.key.levels], "tlp": [t for _, t in self.key.levels]})
        self._table("_case_levels", {"tlp": pa.array([t for t, _ in self.key.cases], pa.string()),
                                     "own": pa.array([o for _, o in self.key.cases], pa.bool_())})  # fmt: skip
        rules = table_rules(db, actor)
        self._materialised: list[tuple[str, str]] = []
        for name, sql in rules.items():
            body = sql.replace("$org", "'" + actor.org_id.replace("'", "''") + "'")
            if name in MATERIALISED:
                self._materialised.append((name, body))
                self._materialise(name, body, shared)
            else:
                self.con.execute(f"CREATE TEMP VIEW {name} AS {body}")
        for name in default_deny(self.con, db, set(rules)):  # a table no rule names: nobody sees its rows
            self.con.execute(f'CREATE TEMP VIEW "{name}" AS SELECT * FROM "{db}".main."{name}" WHERE FALSE')
        self.engine = DuckDBEngine(self.con)
        self.data_version = version

    def refresh(self, version: int, shared: dict[str, pa.Table] | None = None) -> None:
        """Compute the materialised tables again from the live views: evidence was added."""
        for name, body in self._materialised:
            self._materialise(name, body, shared)
        self.data_version = version

    def _materialise(self, name: str, body: str, shared: dict[str, pa.Table] | None) -> None:
        """One materialised table; a key set another connection of the same key and data version
        computed already is copied from ``shared`` (Arrow) instead of read again from the evidence."""
        got = shared.get(name) if shared is not None and name in SHARED else None
        if got is not None:
            self.con.register("_shared_arrow", got)
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _shared_arrow")
            self.con.unregister("_shared_arrow")
            return
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {body}")
        if shared is not None and name in SHARED:
            shared[name] = self.con.sql(f"SELECT * FROM {name}").to_arrow_table()

    def _table(self, name: str, columns: dict[str, Any]) -> None:
        arrays = {k: v if isinstance(v, pa.Array) else pa.array(v, pa.string()) for k, v in columns.items()}
        self.con.register(name + "_arrow", pa.table(arrays))
        self.con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
        self.con.unregister(name + "_arrow")

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


def scoped(store: DuckStoreHandle, actor: Actor) -> ScopedStore:
    """A read-only view of ``store`` for ``actor`` (close it, or use it as a context manager)."""
    return ScopedStore(store.con, actor, path=store.path)


class ScopePool:
    """Scoped connections kept for reuse: building one binds some sixty views and computes the
    materialised key sets (about a second on an s4 store; longer on a big one), reusing one costs
    a look-up of the markings. A connection serves one request at a time; the key
    (:class:`ScopeKey`) changes whenever a marking, a source or the actor's role does, so a
    kept connection never shows more than its key allows.

    At most ``per_key`` connections exist for one key: a request that finds them all busy waits
    for one (building spares under a burst of readers cost more than the wait). When evidence is
    added (:meth:`changed`), a connection computes its materialised sets again the next time it
    is taken. Evidence is only ever added, never removed or edited, so a set not yet refreshed
    holds a subset of what the key allows: it may miss a new record, it never shows a hidden one.
    """

    def __init__(self, store: DuckStoreHandle, *, per_key: int = 4, keys: int = 64, wait_seconds: float = 30.0) -> None:
        self.store = store
        self.per_key, self.keys, self.wait_seconds = per_key, keys, wait_seconds
        self._idle: OrderedDict[ScopeKey, list[ScopedStore]] = OrderedDict()
        self._live: dict[ScopeKey, int] = {}
        self._lock = threading.Lock()
        self._freed = threading.Condition(self._lock)
        self.generation = 0
        self.version = 0
        self._sets: dict[ScopeKey, tuple[int, dict[str, pa.Table]]] = {}  # the key sets of each key's newest data version
        self._computing: dict[ScopeKey, threading.Lock] = {}  # one connection of a key computes its sets at a time

    def rebuilt(self) -> None:
        """Derived tables were rebuilt (attribution ran): connections made before are not reused."""
        with self._lock:
            self.generation += 1
            stale, self._idle = self._idle, OrderedDict()
            self._sets.clear()
            self._computing.clear()
            for key in stale:
                self._live.pop(key, None)
            self._freed.notify_all()
        for views in stale.values():
            for view in views:
                view.close()

    def changed(self) -> None:
        """Evidence was added (an ingest, a submission): materialised sets are computed again when next used."""
        with self._lock:
            self.version += 1

    def key(self, actor: Actor) -> ScopeKey:
        """The key of ``actor``'s scoped connections now (markings and sources read afresh)."""
        reader = self.store.con.cursor()
        try:
            return scope_key(reader, actor, generation=self.generation)
        finally:
            reader.close()

    def _take(self, key: ScopeKey) -> ScopedStore | None:
        """An idle connection of ``key``, or ``None`` when the caller may build one."""
        deadline = None
        with self._lock:
            while True:
                idle = self._idle.get(key)
                if idle:
                    return idle.pop()
                if self._live.get(key, 0) < self.per_key:
                    self._live[key] = self._live.get(key, 0) + 1
                    return None
                now = time.monotonic()
                deadline = deadline or now + self.wait_seconds
                if now >= deadline:  # every connection stuck for long: serve with one more
                    self._live[key] = self._live.get(key, 0) + 1
                    return None
                self._freed.wait(deadline - now)

    def _shared(self, key: ScopeKey, version: int) -> dict[str, pa.Table]:
        with self._lock:
            got = self._sets.get(key)
            if got is None or got[0] != version:
                got = (version, {})
                self._sets[key] = got
                for old in [k for k in self._sets if k.generation != self.generation]:
                    del self._sets[old]
                    self._computing.pop(old, None)
                while len(self._sets) > self.keys:
                    oldest = next(iter(self._sets))
                    del self._sets[oldest]
                    self._computing.pop(oldest, None)
            return got[1]

    def _dropped(self, key: ScopeKey) -> None:
        with self._lock:
            if self._live.get(key, 0) > 0:
                self._live[key] -= 1
            self._freed.notify_all()

    @contextmanager
    def scoped(self, actor: Actor, *, key: ScopeKey | None = None) -> Iterator[ScopedStore]:
        key = key or self.key(actor)
        view = self._take(key)
        try:
            version = self.version
            if view is None or view.data_version != version:
                shared = self._shared(key, version)
                computing = self._computing.setdefault(key, threading.Lock())
                # While one request computes a key's sets for new evidence, the key's other kept
                # connections go on serving from the sets they have rather than queue behind it:
                # evidence is only added, so those are a subset of what the key allows (a page
                # may miss the newest records for a moment, never show a hidden one). A new
                # connection has no sets yet: it waits, then copies what was computed.
                if view is None:
                    with computing:
                        view = ScopedStore(self.store.con, actor, path=self.store.path, key=key, version=version, shared=shared)
                elif computing.acquire(blocking=False):
                    try:
                        view.refresh(version, shared)
                    finally:
                        computing.release()
        except BaseException:
            if view is not None:
                view.close()
            self._dropped(key)
            raise
        view.actor = actor
        try:
            yield view
        except Exception:
            self._keep(key, view)  # a failed SELECT leaves a read-only connection as it was
            raise
        except BaseException:
            view.close()
            self._dropped(key)
            raise
        self._keep(key, view)

    def _keep(self, key: ScopeKey, view: ScopedStore) -> None:
        spare: list[ScopedStore] = []
        with self._lock:
            if key.generation != self.generation or self._live.get(key, 0) > self.per_key:
                spare.append(view)  # made before attribution reran, or one more than the pool keeps
                if self._live.get(key, 0) > 0:
                    self._live[key] -= 1
            else:
                self._idle.setdefault(key, []).append(view)
                self._idle.move_to_end(key)
            while len(self._idle) > self.keys:
                old_key, old = self._idle.popitem(last=False)
                spare += old
                left = self._live.get(old_key, 0) - len(old)
                if left > 0:
                    self._live[old_key] = left
                else:
                    self._live.pop(old_key, None)
            self._freed.notify_all()
        for extra in spare:
            extra.close()

    def close(self) -> None:
        with self._lock:
            for views in self._idle.values():
                for view in views:
                    view.close()
            self._idle.clear()
            self._live.clear()
            self._sets.clear()
