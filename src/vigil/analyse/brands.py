"""§4 "brands and distributors": the tables of docs/attribution.md, for any period."""

from __future__ import annotations

from typing import Any

from vigil.periods import Period
from vigil.store.engine import Engine

_SQL_URLS = """
WITH rp AS (SELECT * FROM reports WHERE reported_at >= $start AND reported_at < $end)
SELECT
  (SELECT count(*) FROM rp) AS reports,
  (SELECT count(*) FROM (
      SELECT url FROM rp GROUP BY url
      HAVING bool_or(coalesce(actioned, false))
          OR (count(actioned) = 0 AND count(commercial) > 0))) AS urls_actioned,
  (SELECT count(DISTINCT url) FROM rp WHERE commercial) AS commercial_urls
"""

# A URL's brand: the brand of its earliest non-cover capture, at any time.
SQL_URL_BRANDS = """
SELECT url, brand_id, distributor_id FROM (
    SELECT c.url, a.brand_id, a.distributor_id,
           row_number() OVER (PARTITION BY c.url ORDER BY c.captured_at, c.capture_key) AS rank
    FROM captures c JOIN capture_attribution a USING (capture_key)
    WHERE NOT a.cover AND a.brand_id IS NOT NULL
) WHERE rank = 1
"""

_SQL_ACTIVE = """
SELECT count(DISTINCT a.template_id) AS templates,
       count(DISTINCT a.brand_id) AS brands_active,
       count(DISTINCT a.distributor_id) AS distributors_active
FROM capture_attribution a JOIN captures c USING (capture_key)
WHERE NOT a.cover AND c.captured_at >= $start AND c.captured_at < $end
"""

_SQL_NEW = """
SELECT (SELECT count(*) FROM brands WHERE first_seen >= $start AND first_seen < $end) AS brands_new,
       (SELECT count(*) FROM distributors WHERE first_seen >= $start AND first_seen < $end) AS distributors_new
"""

_SQL_BRAND_URLS = """
SELECT b.brand_id, count(*) AS urls, any_value(b.distributor_id) AS distributor_id
FROM (SELECT DISTINCT url FROM reports WHERE reported_at >= $start AND reported_at < $end AND commercial) r
JOIN _url_brands b ON b.url = r.url
GROUP BY b.brand_id ORDER BY urls DESC, b.brand_id
"""

_SQL_DISTRIBUTOR_URLS = """
SELECT b.distributor_id, count(*) AS urls
FROM (SELECT DISTINCT url FROM reports WHERE reported_at >= $start AND reported_at < $end AND commercial) r
JOIN _url_brands b ON b.url = r.url WHERE b.distributor_id IS NOT NULL
GROUP BY b.distributor_id ORDER BY urls DESC, b.distributor_id
"""


# Every distributor active in the period: its whole span, and its activity in the period.
_SQL_DISTRIBUTORS = """
SELECT d.distributor_id, {day_first} AS first_seen, {day_last} AS last_seen,
       count(DISTINCT a.brand_id) AS brands_active, count(*) AS captures,
       d.first_seen >= $start AS new
FROM capture_attribution a JOIN captures c USING (capture_key) JOIN distributors d USING (distributor_id)
WHERE NOT a.cover AND c.captured_at >= $start AND c.captured_at < $end
GROUP BY d.distributor_id, d.first_seen, d.last_seen
ORDER BY brands_active DESC, d.distributor_id
"""


def brand_stats(engine: Engine, period: Period) -> dict[str, Any]:
    """The §4 object for one period."""
    params = {"start": period.start_ts.replace(tzinfo=None), "end": period.end_ts.replace(tzinfo=None)}
    out: dict[str, Any] = {"period": period.label, "start": period.start.isoformat(), "end": period.end.isoformat()}
    out.update(engine.rows("report counts", _SQL_URLS, params)[0])
    out["commercial_share"] = out["commercial_urls"] / out["urls_actioned"] if out["urls_actioned"] else 0.0
    out.update(engine.rows("active templates, brands, distributors", _SQL_ACTIVE, params)[0])
    out.update(engine.rows("new brands and distributors", _SQL_NEW, params)[0])
    engine.materialise("_url_brands", SQL_URL_BRANDS)
    ranked = engine.rows("brands by commercial URLs", _SQL_BRAND_URLS, params)
    commercial = out["commercial_urls"]
    out["top_brands"] = ranked[:10]
    out["top10_share"] = sum(r["urls"] for r in ranked[:10]) / commercial if commercial else 0.0
    by_distributor = engine.rows("distributors by commercial URLs", _SQL_DISTRIBUTOR_URLS, params)
    out["top_distributor_share"] = by_distributor[0]["urls"] / commercial if by_distributor and commercial else 0.0
    counts: dict[str | None, int] = {}
    for row in ranked[:30]:
        counts[row["distributor_id"]] = counts.get(row["distributor_id"], 0) + 1
    out["top30_by_distributor"] = [
        {"distributor_id": d, "brands": n} for d, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    ]
    out["disguised_urls"] = engine.rows("disguised URLs", "SELECT count(*) AS n FROM disguised_urls")[0]["n"]
    out["distributors"] = engine.rows("distributor activity", _SQL_DISTRIBUTORS.format(day_first=engine.dialect.day("d.first_seen"), day_last=engine.dialect.day("d.last_seen")), params)
    return out
