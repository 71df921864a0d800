"""Opening the store the user asked for: the engine is chosen here, once, not per command.

The command line gathers ``--engine``, ``--data``, ``--spark-master`` and ``--spark-conf``
(or their ``VIGIL_*`` variables) into one :class:`StoreOptions`, checks it before any work,
and opens every store through :func:`open_store`. Parts that exist on DuckDB only (accounts,
the web application, disruption, sharing) open theirs with :func:`open_duck_store`, which
refuses the Spark engine in one line before anything is started.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vigil import defaults, settings
from vigil.atomic import make_dir
from vigil.errors import ConfigError
from vigil.store.handle import MigratedStore
from vigil.store.store import Store


@dataclass(frozen=True)
class StoreOptions:
    """Which engine, and for Spark where its data lives and how to reach it."""

    engine: str = defaults.ENGINE
    data: Path = defaults.DATA_DIR
    master: str = defaults.SPARK_MASTER
    conf: tuple[str, ...] = ()  # KEY=VALUE items, as given to --spark-conf

    @property
    def spark(self) -> bool:
        return self.engine == "spark"

    def check(self) -> None:
        """A bad engine name or Spark setting stops here, before any work (``ConfigError``)."""
        if self.engine not in settings.ENGINES:
            raise ConfigError(f"--engine (or VIGIL_ENGINE) must be duckdb or spark, not {self.engine!r}")
        if self.conf:
            from vigil.store.spark import parse_conf

            parse_conf(list(self.conf))

    def location(self, db: Path) -> Path:
        """Where the evidence lives: the DuckDB file ``db``, or the Spark data directory."""
        return self.data if self.spark else db

    def prepare(self, db: Path) -> None:
        """Make sure the store can be created: for DuckDB, ``db`` is no folder and its folder exists."""
        if self.spark:
            return
        if db.exists() and not db.is_file():
            raise ConfigError(f"--db {db}: not a file")
        make_dir(db.parent if str(db.parent) else Path("."))


def open_store(db: Path, *, options: StoreOptions = StoreOptions(), read_only: bool = False) -> MigratedStore:
    """The store ``options`` ask for: the DuckDB file ``db``, or the Spark data directory."""
    if options.spark:
        from vigil.store.spark import SparkStore, parse_conf

        return SparkStore(options.data, master=options.master, conf=parse_conf(list(options.conf)), read_only=read_only)
    return Store(db, read_only=read_only)


def open_duck_store(db: Path, *, options: StoreOptions = StoreOptions(), read_only: bool = False, what: str) -> Store:
    """The DuckDB store ``db`` for work that exists on DuckDB only (``what`` names it in the refusal)."""
    if options.spark:
        raise ConfigError(f"{what} on the DuckDB store (--db), not on --engine spark")
    return Store(db, read_only=read_only)


__all__ = ["StoreOptions", "open_duck_store", "open_store"]
