"""Engines execute set steps; steps are built elsewhere as SQL text.

*Steps build, engines execute* (STYLE.md, after Splink): analysis modules hold
side-effect-free functions that return portable SQL (standard joins, GROUP BY and window
functions, no engine dialect); an :class:`Engine` runs them, names failures after the step,
and keeps the SQL for ``--debug``. Only DuckDB is needed today; a Spark engine implements
the same four methods over Spark SQL temp views.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import pyarrow as pa

from vigil.errors import StoreError


class Engine(ABC):
    """The small surface set logic needs."""

    name: str

    @abstractmethod
    def rows(self, step: str, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a query step and return its rows as dicts, in the query's order."""

    @abstractmethod
    def execute(self, step: str, sql: str, params: dict[str, Any] | None = None) -> int:
        """Run a statement step; returns the affected row count where the engine knows it."""

    @abstractmethod
    def materialise(self, name: str, sql: str, params: dict[str, Any] | None = None) -> None:
        """Make the result of ``sql`` available to later steps as table ``name``."""

    @abstractmethod
    def put_arrow(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table available to later steps as ``name`` (replacing it)."""


class DuckDBEngine(Engine):
    """DuckDB, embedded: the default engine, on the store's own connection."""

    name = "duckdb"

    def __init__(self, con: Any) -> None:
        self.con = con

    def _run(self, step: str, sql: str, params: dict[str, Any] | None) -> Any:
        try:
            return self.con.execute(sql, params or {})
        except Exception as exc:  # duckdb raises many types; name the step
            raise StoreError(step, sql, exc) from exc

    def rows(self, step: str, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        cur = self._run(step, sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def execute(self, step: str, sql: str, params: dict[str, Any] | None = None) -> int:
        cur = self._run(step, sql, params)
        try:
            got = cur.fetchone()
        except Exception:
            return -1
        return int(got[0]) if got and isinstance(got[0], int) else -1

    def materialise(self, name: str, sql: str, params: dict[str, Any] | None = None) -> None:
        self._run(name, f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}", params)

    def put_arrow(self, name: str, table: pa.Table) -> None:
        self.con.register(f"_arrow_{name}", table)
        try:
            self._run(name, f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _arrow_{name}", None)
        finally:
            self.con.unregister(f"_arrow_{name}")


def default_db_path() -> Path:
    """``$VIGIL_DB`` or ``./vigil.duckdb``."""
    import os

    return Path(os.environ.get("VIGIL_DB") or "vigil.duckdb")
