"""The evidence store: one DuckDB file, migrated on open, one writer."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from vigil import settings
from vigil.atomic import make_dir
from vigil.errors import ConfigError, StoreError
from vigil.store.engine import DuckDBEngine, Engine
from vigil.store.migrations import LATEST, MIGRATIONS

#: DuckDB's memory cap when ``VIGIL_MEMORY_LIMIT`` is not set.
DEFAULT_MEMORY_LIMIT = settings.DEFAULT_MEMORY_LIMIT
_MEMORY = settings.MEMORY_SIZE
_UNITS = {"b": 1, "bytes": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}  # fmt: skip


def memory_size(size: str) -> float:
    """A DuckDB memory size (``3GB``, ``18.6 GiB``) in bytes; infinite when unreadable."""
    found = _MEMORY.fullmatch(size.strip())
    return float(found[1]) * _UNITS[found[2].lower()] if found else float("inf")


def utcnow() -> datetime:
    """Now, as a naive UTC timestamp (the store's convention)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Store:
    """Opens (creating if needed) and migrates a store file; hands out the engine."""

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self._threads, self._memory = settings.threads(), settings.memory_limit()  # checked before the file is made
        if read_only and not self.path.exists():
            raise ConfigError(
                f"no Vigil store at {self.path}: ingest something first, or pass --db / set VIGIL_DB"
            )
        if not read_only and self.path.parent and not self.path.parent.is_dir():
            make_dir(self.path.parent)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise ConfigError(f"cannot open the store {self.path}: {exc}") from None
        if not read_only:
            self.migrate()
        elif self.version() < LATEST:  # an older store: migrate it once, then read as asked
            self.con.close()
            try:
                with duckdb.connect(str(self.path)) as writer:
                    Store._migrate_on(writer)
                self.con = duckdb.connect(str(self.path), read_only=True)
            except duckdb.Error as exc:
                raise ConfigError(f"store {self.path} is at an older schema and cannot be migrated: {exc}") from None
        self._configure()
        self.engine: Engine = DuckDBEngine(self.con)

    def _configure(self) -> None:
        """``VIGIL_THREADS`` and ``VIGIL_MEMORY_LIMIT`` on the connection the store keeps.

        Without ``VIGIL_MEMORY_LIMIT`` DuckDB gets :data:`DEFAULT_MEMORY_LIMIT` (or its own
        default, 80 % of RAM, when that is less): DuckDB otherwise keeps everything it reads in
        memory up to its limit, and a big ``attribute`` grew to 17.7 GB that way at 1M captures
        without going any faster (docs/benchmarks.md). ``VIGIL_MEMORY_LIMIT=duckdb`` keeps
        DuckDB's default.
        """
        threads, memory = self._threads, self._memory
        if threads:
            self.con.execute(f"SET threads = {threads}")
        if memory == "duckdb":
            return
        if not memory:
            current = self.con.execute("SELECT current_setting('memory_limit')").fetchone()
            if memory_size(str(current[0]) if current else "") <= memory_size(DEFAULT_MEMORY_LIMIT):
                return  # a small machine: DuckDB's own default is already lower
            memory = DEFAULT_MEMORY_LIMIT
        self.con.execute(f"SET memory_limit = '{memory}'")  # what passes it spills to <store>.tmp

    def version(self) -> int:
        return Store._version_of(self.con)

    @staticmethod
    def _version_of(con: Any) -> int:
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
        ).fetchone()
        if not exists or not exists[0]:
            return 0
        got = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
        return int(got[0]) if got else 0

    def migrate(self) -> list[int]:
        """Apply every pending migration; returns the versions applied."""
        return Store._migrate_on(self.con)

    @staticmethod
    def _migrate_on(con: Any) -> list[int]:
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version INTEGER PRIMARY KEY, description VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
        current = Store._version_of(con)
        applied = []
        for migration in MIGRATIONS:
            if migration.version <= current:
                continue
            try:
                con.execute("BEGIN TRANSACTION")
                con.execute(migration.sql)
                con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    [migration.version, migration.description, utcnow()],
                )
                con.execute("COMMIT")
            except duckdb.Error as exc:
                con.execute("ROLLBACK")
                raise StoreError(f"migration {migration.version}", migration.sql, exc) from exc
            applied.append(migration.version)
        return applied

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        got = self.con.execute(sql, params or []).fetchone()
        return got[0] if got else None

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
