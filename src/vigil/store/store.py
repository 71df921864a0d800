"""The evidence store: one DuckDB file, migrated on open, one writer."""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from vigil.errors import ConfigError, StoreError
from vigil.store.engine import DuckDBEngine, Engine
from vigil.store.migrations import LATEST, MIGRATIONS


def utcnow() -> datetime:
    """Now, as a naive UTC timestamp (the store's convention)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Store:
    """Opens (creating if needed) and migrates a store file; hands out the engine."""

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise ConfigError(
                f"no Vigil store at {self.path}: ingest something first, or pass --db / set VIGIL_DB"
            )
        if not read_only and self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
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
        """``VIGIL_THREADS`` and ``VIGIL_MEMORY_LIMIT`` on the connection the store keeps."""
        threads = os.environ.get("VIGIL_THREADS")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        memory = os.environ.get("VIGIL_MEMORY_LIMIT", "").strip()
        if memory:  # DuckDB spills what passes the limit to <store>.tmp
            if not re.fullmatch(r"[0-9]+(\.[0-9]+)? ?([KMGT]i?B|B)", memory, re.IGNORECASE):
                self.con.close()
                raise ConfigError(f"VIGIL_MEMORY_LIMIT={memory!r} is not a memory size (say 3GB or 2.5GiB)")
            self.con.execute(f"SET memory_limit = '{memory}'")

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
