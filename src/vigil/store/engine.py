"""Engines execute set steps; steps are built elsewhere as SQL text.

*Steps build, engines execute* (STYLE.md, after Splink): analysis modules hold
side-effect-free functions that return portable SQL (standard joins, GROUP BY and window
functions); an :class:`Engine` runs them, names failures after the step, and keeps the SQL
for ``--debug``. Two engines implement the surface: DuckDB (embedded, the default) and Spark
(``store/spark.py``), so every stage is written once.

Portable SQL here means: parameters as ``$name``; ``CAST(x AS DOUBLE|STRING|DATE)`` rather
than ``::``; ``array_contains(list, x)``; explicit ``NULLS FIRST/LAST`` wherever NULLs can be
sorted (the engines' defaults differ); and the few functions whose names differ come from
:attr:`Engine.dialect`.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa

from vigil.defaults import STORE_PATH
from vigil.errors import StoreError

BatchFn = Callable[[pa.RecordBatch], pa.RecordBatch]


class Dialect:
    """The handful of SQL spellings the engines disagree on (DuckDB's by default)."""

    def sorted_set(self, expr: str) -> str:
        """Aggregate: the distinct non-NULL values of ``expr`` as a sorted list."""
        return f"list_sort(list(DISTINCT {expr}) FILTER (WHERE {expr} IS NOT NULL))"

    def explode(self, expr: str) -> str:
        """Set-returning: one row per element of the list ``expr`` (in a SELECT list)."""
        return f"unnest({expr})"

    def day(self, expr: str) -> str:
        """A timestamp as ``YYYY-MM-DD`` text."""
        return f"strftime({expr}, '%Y-%m-%d')"

    def micros(self, expr: str) -> str:
        """A timestamp as microseconds since the epoch (BIGINT), for exact time arithmetic."""
        return f"epoch_us({expr})"


class Engine(ABC):
    """The small surface set logic needs."""

    name: str
    dialect: Dialect = Dialect()

    @abstractmethod
    def rows(self, step: str, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a query step and return its rows as dicts, in the query's order."""

    @abstractmethod
    def arrow(self, step: str, sql: str, params: dict[str, Any] | None = None) -> pa.Table:
        """Run a query step and return its result as an Arrow table."""

    @abstractmethod
    def materialise(self, name: str, sql: str, params: dict[str, Any] | None = None) -> None:
        """Make the result of ``sql`` available to later steps as (temporary) table ``name``."""

    @abstractmethod
    def put_arrow(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table available to later steps as ``name`` (replacing it)."""

    @abstractmethod
    def map_batches(self, name: str, sql: str, fn: BatchFn, schema: pa.Schema, params: dict[str, Any] | None = None,
                    *, batch_rows: int = 50_000, workers: int = 1,
                    progress: Callable[[int], None] | None = None) -> None:  # fmt: skip
        """Temporary table ``name`` = ``fn`` applied to the Arrow batches of ``sql``.

        ``fn`` is a pure per-record function lifted to batches (it may run in another
        process, so it must be picklable and hold no open handles); its output rows must not
        depend on how the input is split into batches. DuckDB runs it in ``workers`` forked
        processes and reports input rows done to ``progress``; Spark runs it in its Python workers.
        """

    @abstractmethod
    def replace(self, table: str, sql: str, params: dict[str, Any] | None = None) -> None:
        """Rebuild stored table ``table`` whole from ``sql`` (columns by position)."""

    @abstractmethod
    def insert(self, table: str, sql: str, params: dict[str, Any] | None = None) -> None:
        """Append the rows of ``sql`` to stored table ``table`` (columns by position)."""

    @abstractmethod
    def drop(self, *names: str) -> None:
        """Drop temporary tables ``names`` (those missing are passed over): scratch a stage is done with."""

    def append(self, table: str, data: pa.Table) -> None:
        """Append Arrow rows to stored table ``table`` (columns by position)."""
        self.put_arrow("_append_rows", data)
        self.insert(table, "SELECT * FROM _append_rows")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing where the engine can (DuckDB); Spark writes each table atomically."""
        yield

    def scalar(self, step: str, sql: str, params: dict[str, Any] | None = None) -> Any:
        got = self.rows(step, sql, params)
        return next(iter(got[0].values())) if got else None


class DuckDBEngine(Engine):
    """DuckDB, embedded: the default engine, on the store's own connection."""

    name = "duckdb"

    def __init__(self, con: Any) -> None:
        self.con = con
        self._depth = 0

    def _run(self, step: str, sql: str, params: dict[str, Any] | None) -> Any:
        try:
            return self.con.execute(sql, params or {})
        except Exception as exc:  # duckdb raises many types; name the step
            raise StoreError(step, sql, exc) from exc

    def rows(self, step: str, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        cur = self._run(step, sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def arrow(self, step: str, sql: str, params: dict[str, Any] | None = None) -> pa.Table:
        try:
            self.con.complete()  # a relation cannot start while an execute() result is open
            return self.con.sql(sql, params=params or None).to_arrow_table()
        except Exception as exc:
            raise StoreError(step, sql, exc) from exc

    def materialise(self, name: str, sql: str, params: dict[str, Any] | None = None) -> None:
        self._run(name, f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}", params)

    def put_arrow(self, name: str, table: pa.Table | pa.RecordBatchReader) -> None:
        """As :meth:`Engine.put_arrow`; a ``RecordBatchReader`` is loaded batch by batch."""
        self.con.complete()  # registering cannot start while an execute() result is open
        self.con.register(f"_arrow_{name}", table)
        try:
            self._run(name, f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _arrow_{name}", None)
        finally:
            self.con.unregister(f"_arrow_{name}")

    def map_batches(self, name: str, sql: str, fn: BatchFn, schema: pa.Schema, params: dict[str, Any] | None = None,
                    *, batch_rows: int = 50_000, workers: int = 1,
                    progress: Callable[[int], None] | None = None) -> None:  # fmt: skip
        """As :meth:`Engine.map_batches`, spooling the output through a file in the temp directory.

        While ``sql`` streams, its connection runs nothing else, and a cursor (another
        connection) cannot see this one's temporary tables; so each output batch goes to an
        Arrow stream file as it arrives and the table is loaded from that file once the input is
        drained. Memory stays bounded by the batches in flight, whatever the size of the output.
        """
        tick = progress or (lambda rows: None)
        try:
            self.con.complete()
            reader = self.con.sql(sql, params=params or None).to_arrow_reader(batch_rows)
        except Exception as exc:
            raise StoreError(name, sql, exc) from exc
        with tempfile.TemporaryDirectory(prefix="vigil-") as tmp:
            spool = str(Path(tmp) / "out.arrows")
            with reader, pa.OSFile(spool, "wb") as sink, pa.ipc.new_stream(sink, schema) as writer:
                for rows, batch in _apply(fn, reader, workers):
                    writer.write_batch(batch)
                    tick(rows)
            with pa.OSFile(spool) as source:
                self.put_arrow(name, pa.ipc.open_stream(source))

    def drop(self, *names: str) -> None:
        for name in names:
            self._run(name, f"DROP TABLE IF EXISTS {name}", None)

    def replace(self, table: str, sql: str, params: dict[str, Any] | None = None) -> None:
        with self.transaction():  # the query may read the table it rebuilds: compute it first
            self._run(table, f"CREATE OR REPLACE TEMP TABLE _rebuilt AS {sql}", params)
            self._run(table, f"DELETE FROM {table}", None)
            self._run(table, f"INSERT INTO {table} SELECT * FROM _rebuilt", None)
            self._run(table, "DROP TABLE _rebuilt", None)

    def insert(self, table: str, sql: str, params: dict[str, Any] | None = None) -> None:
        self._run(table, f"INSERT INTO {table} {sql}", params)

    def append(self, table: str, data: pa.Table) -> None:
        self.con.complete()
        self.con.register("_append_rows", data)
        try:
            self._run(table, f"INSERT INTO {table} SELECT * FROM _append_rows", None)
        finally:
            self.con.unregister("_append_rows")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:  # nested: the outer transaction decides
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._depth = 1
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")
        finally:
            self._depth = 0


def _apply(fn: BatchFn, batches: Iterable[pa.RecordBatch], workers: int) -> Iterator[tuple[int, pa.RecordBatch]]:
    """``fn`` over ``batches``, in order, each output with its input's row count; in
    ``workers`` forked processes where there can be several."""
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for batch in batches:
            yield batch.num_rows, fn(batch)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        pending: deque[tuple[int, Future[pa.RecordBatch]]] = deque()
        for batch in batches:  # at most 2 batches per worker in flight: bounded memory
            pending.append((batch.num_rows, pool.submit(fn, batch)))
            if len(pending) >= 2 * workers:
                rows, done = pending.popleft()
                yield rows, done.result()
        while pending:
            rows, done = pending.popleft()
            yield rows, done.result()


def default_db_path() -> Path:
    """``$VIGIL_DB`` or ``./vigil.duckdb``."""
    return Path(os.environ.get("VIGIL_DB") or STORE_PATH)
