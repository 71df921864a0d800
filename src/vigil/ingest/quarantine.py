"""Reading back what ingest set aside."""

from __future__ import annotations

from typing import Any

from vigil.store.handle import StoreHandle


def quarantined(store: StoreHandle, *, limit: int = 100) -> list[dict[str, Any]]:
    """Quarantined records, oldest first: kind, file, line, reason code, reason, excerpt."""
    sql = (
        "SELECT kind, source_file, line, reason_code, reason, excerpt, ingested_at FROM quarantine "
        "ORDER BY ingested_at, source_file, line"
    )
    if limit:
        sql += f" LIMIT {int(limit)}"
    return store.engine.rows("quarantine", sql)
