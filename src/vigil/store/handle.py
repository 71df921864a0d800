"""What a store offers its callers, as structural types (``typing.Protocol``).

Three classes hand out evidence: :class:`~vigil.store.store.Store` (a DuckDB file),
:class:`~vigil.store.spark.SparkStore` (Parquet tables under Spark) and
:class:`~vigil.access.scope.ScopedStore` (a DuckDB view of a store holding only what one
actor may see). They share no base class; these protocols name what a function may ask of
the store it is given, so that ``mypy --strict`` checks each call::

    StoreHandle        every store: ``engine`` (set steps), ``path``, ``close()``
    ├── MigratedStore  a store that owns its schema: ``version()``, ``with``   (Store, SparkStore)
    └── DuckStoreHandle  DuckDB only: ``con``, the connection   (Store, ScopedStore)

Set logic written once for both engines takes a :class:`StoreHandle` and talks to
``store.engine``; the parts that exist on DuckDB only (accounts, the web application,
disruption, sharing) take a :class:`DuckStoreHandle`. The protocols are runtime-checkable,
so ``isinstance(store, DuckStoreHandle)`` tells a DuckDB store from a Spark one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Self, runtime_checkable

from vigil.store.engine import Engine

if TYPE_CHECKING:
    import duckdb


@runtime_checkable
class StoreHandle(Protocol):
    """Every store: its engine, where it lives, and a way to let it go."""

    @property
    def engine(self) -> Engine:
        """The engine that runs set steps on this store's tables."""

    @property
    def path(self) -> Path:
        """The store file (DuckDB) or data directory (Spark)."""

    def close(self) -> None:
        """Release the store (the connection, or the Spark checkpoints it made)."""


@runtime_checkable
class MigratedStore(StoreHandle, Protocol):
    """A store that owns its schema (not a scoped view of one)."""

    def version(self) -> int:
        """The schema version the store is at."""

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


@runtime_checkable
class DuckStoreHandle(StoreHandle, Protocol):
    """A DuckDB store, or a scoped view of one: the raw connection for DuckDB-only work."""

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection (a scoped view's: only the rows its actor may see)."""


__all__ = ["DuckStoreHandle", "MigratedStore", "StoreHandle"]
