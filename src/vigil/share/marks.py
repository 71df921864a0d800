"""Setting and listing the markings sources hand down to their records.

There is one table of source markings, the workbench's ``source_markings`` (docs/web.md):
what ``vigil share mark-source`` sets is what ``vigil markings list`` shows and what decides
need-to-know in ``vigil serve``; what ``vigil markings set`` sets bounds every export.
(``share_source_markings`` survives as a read-only view of it, for old queries.)
"""

from __future__ import annotations

from typing import Any

from vigil.access.markings import NO_OWNER, set_source_level
from vigil.share.markings import DEFAULT_MARKING, parse_marking
from vigil.store import Store


def set_source_marking(store: Store, source: str, marking: str, *, organisation: str | None = None) -> str:
    """Mark every report and capture of ``source`` (a later call replaces the marking)."""
    level = parse_marking(marking)
    set_source_level(store.con, source, tlp=level, org_id=organisation, by="vigil share mark-source")
    return level


def source_markings(store: Store) -> list[dict[str, Any]]:
    """Every source seen in reports or captures, with its marking (the default when unset)."""
    return store.engine.rows("source markings", f"""
        WITH s AS (SELECT source, count(*) AS reports, 0 AS captures FROM reports GROUP BY source
                   UNION ALL SELECT source, 0, count(*) FROM captures GROUP BY source)
        SELECT s.source, coalesce(m.tlp, '{DEFAULT_MARKING}') AS marking, nullif(m.org_id, '{NO_OWNER}') AS organisation,
               sum(s.reports) AS reports, sum(s.captures) AS captures
        FROM s LEFT JOIN source_markings m USING (source) GROUP BY ALL ORDER BY s.source""")  # fmt: skip
