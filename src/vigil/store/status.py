"""What a store holds, for ``vigil status``: the tables a user cares about, and when the
last ingest, enrichment and attribution finished.

Derived steps that have no run table of their own record a row in ``derived_runs`` with
:func:`record_run` when they finish (``vigil attribute`` does).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import pyarrow as pa

from vigil import __version__
from vigil.store.handle import MigratedStore, StoreHandle
from vigil.store.store import utcnow

#: (table, what it holds), in the order ``vigil status`` shows them.
TABLES: tuple[tuple[str, str], ...] = (
    ("reports", "hotline reports"),
    ("captures", "captured pages"),
    ("pages", "distinct page contents"),
    ("templates", "page templates"),
    ("brands", "brands"),
    ("distributors", "distributors"),
    ("judgements", "analysts' judgements"),
    ("test_purchases", "test purchases"),
    ("expert_estimates", "expert estimates"),
    ("search_volumes", "search-volume rows"),
    ("quarantine", "quarantined records"),
    ("hosts", "hosts"),
    ("ip_info", "IP addresses looked up"),
    ("url_site_types", "URLs with a site type"),
    ("dns_observations", "DNS observations"),
)


def record_run(store: StoreHandle, step: str, summary: dict[str, Any]) -> None:
    """Note that derived step ``step`` finished now, with its summary counts."""
    store.engine.append("derived_runs", pa.table({
        "run_id": [uuid.uuid4().hex], "step": [step], "finished_at": pa.array([utcnow()], pa.timestamp("us")),
        "summary": [json.dumps(summary, sort_keys=True, default=str)], "vigil_version": [__version__]}))  # fmt: skip


def _when(value: Any) -> str | None:
    return value.isoformat(sep=" ", timespec="seconds") if isinstance(value, datetime) else None


def table_rows(store: StoreHandle, table: str) -> int:
    """How many rows stored table ``table`` holds."""
    return int(store.engine.scalar(table, f"SELECT count(*) FROM {table}"))


def store_status(store: MigratedStore) -> dict[str, Any]:
    """``{"schema", "tables": {name: rows}, "last": {"ingest", "ingest_<kind>", "enrich", "attribute"}}`` (UTC)."""
    engine = store.engine
    tables = {name: table_rows(store, name) for name, _ in TABLES}
    last: dict[str, str | None] = {
        "ingest": _when(engine.scalar("last ingest", "SELECT max(updated_at) FROM ingest_files WHERE completed")),
    }
    for row in engine.rows("last ingest by kind", "SELECT kind, max(updated_at) AS at FROM ingest_files WHERE completed GROUP BY kind ORDER BY kind"):
        last[f"ingest_{row['kind']}"] = _when(row["at"])
    last["enrich"] = _when(engine.scalar("last enrich", "SELECT max(finished_at) FROM enrich_runs"))
    last["attribute"] = _when(engine.scalar("last attribute", "SELECT max(finished_at) FROM derived_runs WHERE step = 'attribute'"))
    return {"schema": store.version(), "tables": tables, "last": last}


__all__ = ["TABLES", "record_run", "store_status", "table_rows"]
