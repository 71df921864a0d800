"""Setting and listing the markings sources hand down to their records."""

from __future__ import annotations

from typing import Any

from vigil.share.markings import DEFAULT_MARKING, parse_marking
from vigil.store import Store, utcnow


def set_source_marking(store: Store, source: str, marking: str, *, organisation: str | None = None) -> str:
    """Mark every report and capture of ``source`` (a later call replaces the marking)."""
    level = parse_marking(marking)
    store.con.execute("DELETE FROM share_source_markings WHERE source = ?", [source])
    store.con.execute("INSERT INTO share_source_markings VALUES (?, ?, ?, ?)", [source, level, organisation, utcnow()])
    return level


def source_markings(store: Store) -> list[dict[str, Any]]:
    """Every source seen in reports or captures, with its marking (the default when unset)."""
    return store.engine.rows("source markings", f"""
        WITH s AS (SELECT source, count(*) AS reports, 0 AS captures FROM reports GROUP BY source
                   UNION ALL SELECT source, 0, count(*) FROM captures GROUP BY source)
        SELECT s.source, coalesce(m.marking, '{DEFAULT_MARKING}') AS marking, m.organisation,
               sum(s.reports) AS reports, sum(s.captures) AS captures
        FROM s LEFT JOIN share_source_markings m USING (source) GROUP BY ALL ORDER BY s.source""")  # fmt: skip
