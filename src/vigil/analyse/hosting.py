"""§3 "Web distribution and hosting": the tables of docs/analysis.md, for any period.

Steps build, engines execute: each ``_sql_*`` function returns portable SQL (joins,
GROUP BY, window functions), the engine runs it. Python only shapes rows into the JSON
object. Parameters are bound as ``$start``/``$end`` (naive UTC timestamps).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vigil.periods import Period
from vigil.store.engine import Engine

TABLES = ("by_country", "by_site_type", "site_type_by_country", "asns", "shared_services", "multi_hosted", "hopping_families")


def _sql_counted(commercial_only: bool) -> str:
    """One row per counted URL: its hosting (earliest IP in the period), type and domain."""
    having = "HAVING bool_or(coalesce(commercial, false))" if commercial_only else ""
    return f"""
    WITH in_period AS (
        SELECT * FROM reports WHERE reported_at >= $start AND reported_at < $end
    ),
    counted AS (
        SELECT url, min(host) AS host, min(reported_at) AS first_at FROM in_period GROUP BY url {having}
    ),
    ip_in_period AS (
        SELECT url, ip FROM (
            SELECT url, ip, row_number() OVER (PARTITION BY url ORDER BY reported_at, source, report_id) AS rank
            FROM in_period WHERE ip IS NOT NULL
        ) WHERE rank = 1
    ),
    ip_before AS (
        SELECT url, ip FROM (
            SELECT c.url, o.ip, row_number() OVER (PARTITION BY c.url ORDER BY o.seen_at DESC, o.ip) AS rank
            FROM counted c JOIN observations o ON o.host = c.host AND o.seen_at <= c.first_at
            WHERE c.url NOT IN (SELECT url FROM ip_in_period)
        ) WHERE rank = 1
    )
    SELECT c.url, c.host, c.first_at,
           coalesce(p.ip, b.ip) AS ip,
           coalesce(i.country, 'unknown') AS country,
           i.asn, i.organisation,
           coalesce(t.site_type, 'other') AS site_type,
           h.identity, h.label, h.suffix, h.service
    FROM counted c
    LEFT JOIN ip_in_period p ON p.url = c.url
    LEFT JOIN ip_before b ON b.url = c.url
    LEFT JOIN ip_info i ON i.ip = coalesce(p.ip, b.ip)
    LEFT JOIN url_site_types t ON t.url = c.url
    LEFT JOIN hosts h ON h.host = c.host
    """


_SQL_BY_COUNTRY = """
SELECT country, count(*) AS urls, count(*) / CAST((SELECT count(*) FROM _counted) AS DOUBLE) AS share
FROM _counted GROUP BY country ORDER BY urls DESC, country
"""

_SQL_BY_SITE_TYPE = """
SELECT site_type, count(*) AS urls, count(*) / CAST((SELECT count(*) FROM _counted) AS DOUBLE) AS share
FROM _counted GROUP BY site_type ORDER BY urls DESC, site_type
"""

_SQL_SITE_TYPE_BY_COUNTRY = """
SELECT site_type, country, urls, urls / CAST(sum(urls) OVER (PARTITION BY site_type) AS DOUBLE) AS share
FROM (SELECT site_type, country, count(*) AS urls FROM _counted GROUP BY site_type, country)
ORDER BY site_type, urls DESC, country
"""

_SQL_ASNS = """
SELECT asn, organisation, country, count(*) AS urls
FROM _counted WHERE asn IS NOT NULL
GROUP BY asn, organisation, country ORDER BY urls DESC, asn, organisation, country
"""

_SQL_SHARED_SERVICES = """
SELECT service, count(*) AS urls FROM _counted WHERE service IS NOT NULL
GROUP BY service ORDER BY urls DESC, service
"""

# Observations in the period of the hosts of counted URLs, grouped by identity domain.
_SQL_MULTI_HOSTED = """
SELECT h.identity AS domain, count(DISTINCT i.asn) AS asns, count(DISTINCT o.host) AS hosts,
       {asn_list} AS asn_list
FROM observations o
JOIN hosts h ON h.host = o.host
JOIN ip_info i ON i.ip = o.ip
WHERE o.seen_at >= $start AND o.seen_at < $end
  AND o.host IN (SELECT host FROM _counted)
  AND h.identity IS NOT NULL AND i.asn IS NOT NULL
GROUP BY h.identity HAVING count(DISTINCT i.asn) >= 2
ORDER BY asns DESC, domain
"""


def _sql_hops(commercial_only: bool) -> str:
    """First sighting of every (label, suffix) up to the end of the period, for hopping labels."""
    commercial = "AND r.commercial" if commercial_only else ""
    return f"""
    WITH history AS (
        SELECT h.label, h.suffix, h.identity AS domain, min(r.reported_at) AS first_seen
        FROM reports r JOIN hosts h ON h.host = r.host
        WHERE r.reported_at < $end AND h.label IS NOT NULL {commercial}
        GROUP BY h.label, h.suffix, h.identity
    ),
    families AS (
        SELECT label FROM history GROUP BY label HAVING count(DISTINCT suffix) >= 2
    )
    SELECT label, suffix, domain, first_seen FROM history
    WHERE label IN (SELECT label FROM families)
      AND label IN (SELECT label FROM _counted WHERE label IS NOT NULL)
    ORDER BY label, first_seen, suffix
    """


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _families(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["label"], []).append(
            {"suffix": row["suffix"], "domain": row["domain"], "first_seen": _iso(row["first_seen"])}
        )
    families = [
        {"label": label, "suffixes": [h["suffix"] for h in hist], "hops": len(hist) - 1, "history": hist}
        for label, hist in grouped.items()
    ]
    return sorted(families, key=lambda f: (-f["hops"], f["label"]))


def hosting_tables(engine: Engine, period: Period, *, commercial_only: bool = True) -> dict[str, Any]:
    """The §3 object for one period, without ``previous``."""
    params = {"start": period.start_ts.replace(tzinfo=None), "end": period.end_ts.replace(tzinfo=None)}
    engine.materialise("_counted", _sql_counted(commercial_only), params)
    total = engine.rows("count counted URLs", "SELECT count(*) AS n FROM _counted")[0]["n"]
    out: dict[str, Any] = {
        "period": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "scope": "commercial" if commercial_only else "all",
        "urls": int(total),
    }
    out["by_country"] = engine.rows("by_country", _SQL_BY_COUNTRY)
    out["by_site_type"] = engine.rows("by_site_type", _SQL_BY_SITE_TYPE)
    out["site_type_by_country"] = engine.rows("site_type_by_country", _SQL_SITE_TYPE_BY_COUNTRY)
    out["asns"] = engine.rows("asns", _SQL_ASNS)
    out["shared_services"] = engine.rows("shared_services", _SQL_SHARED_SERVICES)
    out["multi_hosted"] = engine.rows("multi_hosted", _SQL_MULTI_HOSTED.replace("{asn_list}", engine.dialect.sorted_set("i.asn")), params)
    out["hopping_families"] = _families(engine.rows("hopping_families", _sql_hops(commercial_only), {"end": params["end"]}))
    return out


def hosting_stats(engine: Engine, period: Period, *, commercial_only: bool = True) -> dict[str, Any]:
    """The §3 object for ``period`` with ``previous`` for the preceding period of equal length."""
    current = hosting_tables(engine, period, commercial_only=commercial_only)
    current["previous"] = hosting_tables(engine, period.previous(), commercial_only=commercial_only)
    return current
