"""The facts an export may share: one place that filters by marking *before* aggregating.

Every exporter (STIX, MISP, FollowTheMoney) and the partner matcher read evidence through
:class:`Facts`. Each query keeps only rows whose marking the export allows and only then
groups and counts, so a URL's report count, a brand's capture count or a distributor's
brands never rest on a record the export may not hold. A derived record (brand,
distributor) carries the strictest marking among *all* its evidence: when any of it is
stricter than the export, the whole record stays out (OpenCTI's "a reader needs every
marking"), because even its existence and first/last dates derive from that evidence.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from vigil.share.markings import DEFAULT_MARKING, RANK, level_sql, rank_sql
from vigil.store import Store

#: Identifier kinds a partner or an export may see (the pivots: specific to one operator).
SHARED_KINDS = ("merchant_account", "payment_form", "email", "btc_address", "eth_address", "phone", "iban",
                "affiliate_id", "analytics_id")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Scope:
    """What to share: a period ``[start, end)``, the export's marking, optionally one distributor."""

    start: date
    end: date
    marking: str
    distributor: str | None = None


_VIEWS = f"""
CREATE OR REPLACE TEMP VIEW _sh_report_rank AS
    SELECT r.report_key, {rank_sql("coalesce(m.marking, s.tlp)")} AS rank
    FROM reports r LEFT JOIN report_markings m USING (report_key) LEFT JOIN source_markings s ON s.source = r.source;
CREATE OR REPLACE TEMP VIEW _sh_capture_rank AS
    SELECT c.capture_key, {rank_sql("s.tlp")} AS rank
    FROM captures c LEFT JOIN source_markings s ON s.source = c.source;
CREATE OR REPLACE TEMP VIEW _sh_brand_rank AS
    SELECT a.brand_id, max(k.rank) AS rank FROM capture_attribution a JOIN _sh_capture_rank k USING (capture_key)
    WHERE a.brand_id IS NOT NULL GROUP BY a.brand_id;
CREATE OR REPLACE TEMP VIEW _sh_distributor_rank AS
    SELECT b.distributor_id, max(k.rank) AS rank FROM brands b JOIN _sh_brand_rank k USING (brand_id)
    WHERE b.distributor_id IS NOT NULL GROUP BY b.distributor_id;
"""


class Facts:
    """Marking-filtered reads of one store for one :class:`Scope` (DuckDB engine)."""

    def __init__(self, store: Store, scope: Scope) -> None:
        self.con = store.con
        self.scope = scope
        self.rank = RANK[scope.marking]
        self.con.execute(_VIEWS)
        self._params = {"start": datetime.combine(scope.start, datetime.min.time()),
                        "end": datetime.combine(scope.end, datetime.min.time()), "rank": self.rank}  # fmt: skip
        dist = ""
        if scope.distributor:
            self._params["dist"] = scope.distributor
            dist = "AND b.distributor_id = $dist"
        # brands shared: every capture of theirs allowed; active in the period
        self.con.execute(f"""CREATE OR REPLACE TEMP TABLE _sh_brands AS
            SELECT b.brand_id, b.template_id, b.first_seen, b.last_seen, b.captures, b.lineage_brand,
                   CASE WHEN d.rank <= $rank THEN b.distributor_id END AS distributor_id, {level_sql("k.rank")} AS marking
            FROM brands b JOIN _sh_brand_rank k USING (brand_id) LEFT JOIN _sh_distributor_rank d USING (distributor_id)
            WHERE k.rank <= $rank AND b.first_seen < $end AND b.last_seen >= $start {dist}""", self._params)  # fmt: skip
        if scope.distributor:
            self.con.execute("DELETE FROM _sh_brands WHERE distributor_id IS NULL")

    def _rows(self, sql: str) -> Iterator[dict[str, Any]]:
        cur = self.con.execute(sql, {k: v for k, v in self._params.items() if f"${k}" in sql})
        names = [d[0] for d in cur.description]
        while chunk := cur.fetchmany(10_000):
            for row in chunk:
                yield dict(zip(names, row))

    def _url_filter(self) -> str:
        if not self.scope.distributor:
            return ""
        return ("AND r.url IN (SELECT c.url FROM captures c JOIN capture_attribution a USING (capture_key) "
                "JOIN _sh_brands b USING (brand_id))")  # fmt: skip

    def urls(self) -> Iterator[dict[str, Any]]:
        """Reported URLs in the period: first/last report, reports, commercial, site type, payment types."""
        return self._rows(self.urls_sql())

    def run(self, sql: str) -> Iterator[tuple[Any, ...]]:
        """Rows of a query built on one of these (its ``$start``, ``$end``, ``$rank`` bound)."""
        cur = self.con.execute(sql, {k: v for k, v in self._params.items() if f"${k}" in sql})
        while chunk := cur.fetchmany(20_000):
            yield from chunk

    def urls_sql(self) -> str:
        return (f"""
            SELECT r.url, any_value(r.host) AS host, min(r.reported_at) AS first_reported,
                   max(r.reported_at) AS last_reported, count(*) AS reports, bool_or(r.commercial) AS commercial,
                   min(r.site_type) AS site_type, list_sort(list_distinct(flatten(list(coalesce(r.payment_types, []))))) AS payment_types,
                   {level_sql("max(k.rank)")} AS marking
            FROM reports r JOIN _sh_report_rank k USING (report_key)
            WHERE k.rank <= $rank AND r.reported_at >= $start AND r.reported_at < $end {self._url_filter()}
            GROUP BY r.url ORDER BY r.url""")  # fmt: skip

    def resolutions(self) -> Iterator[dict[str, Any]]:
        """Host → IP seen on reports in the period, with first/last time, the IP's ASN and country."""
        return self._rows(self.resolutions_sql())

    def resolutions_sql(self) -> str:
        return (f"""
            SELECT r.host, r.ip, min(r.reported_at) AS first_seen, max(r.reported_at) AS last_seen,
                   any_value(i.asn) AS asn, any_value(i.organisation) AS organisation, any_value(i.country) AS country,
                   {level_sql("max(k.rank)")} AS marking
            FROM reports r JOIN _sh_report_rank k USING (report_key) LEFT JOIN ip_info i ON i.ip = r.ip
            WHERE r.ip IS NOT NULL AND k.rank <= $rank AND r.reported_at >= $start AND r.reported_at < $end
                  {self._url_filter()}
            GROUP BY r.host, r.ip ORDER BY r.host, r.ip""")  # fmt: skip

    def brands(self) -> Iterator[dict[str, Any]]:
        return self._rows("SELECT * FROM _sh_brands ORDER BY brand_id")

    def distributors(self) -> Iterator[dict[str, Any]]:
        """Distributors all of whose brands are shared, with figures from those brands."""
        return self._rows(f"""
            SELECT b.distributor_id, min(b.first_seen) AS first_seen, max(b.last_seen) AS last_seen,
                   count(*) AS brands, sum(b.captures) AS captures, {level_sql("max(d.rank)")} AS marking
            FROM _sh_brands b JOIN _sh_distributor_rank d USING (distributor_id)
            WHERE b.distributor_id IS NOT NULL GROUP BY b.distributor_id ORDER BY b.distributor_id""")  # fmt: skip

    def brand_urls(self) -> Iterator[dict[str, Any]]:
        """The captured URLs of each shared brand, with first/last capture."""
        return self._rows("""
            SELECT a.brand_id, c.url, min(c.captured_at) AS first_seen, max(c.captured_at) AS last_seen,
                   count(*) AS captures, any_value(b.marking) AS marking
            FROM capture_attribution a JOIN captures c USING (capture_key) JOIN _sh_brands b USING (brand_id)
            GROUP BY a.brand_id, c.url ORDER BY a.brand_id, c.url""")  # fmt: skip

    def brand_identifiers(self) -> Iterator[dict[str, Any]]:
        """Specific key identifiers on each shared brand's pages (never values flagged generic)."""
        kinds = ", ".join(f"'{k}'" for k in SHARED_KINDS)
        return self._rows(f"""
            SELECT a.brand_id, p.kind, p.value, min(c.captured_at) AS first_seen, max(c.captured_at) AS last_seen,
                   count(DISTINCT c.capture_key) AS captures, any_value(b.marking) AS marking
            FROM capture_attribution a JOIN captures c USING (capture_key) JOIN _sh_brands b USING (brand_id)
            JOIN page_identifiers p ON p.page_sha256 = c.page_sha256
            JOIN identifier_values v ON v.kind = p.kind AND v.value = p.value AND v.status IN ('link', 'single')
            WHERE p.is_pivot AND p.kind IN ({kinds})
            GROUP BY a.brand_id, p.kind, p.value ORDER BY a.brand_id, p.kind, p.value""")  # fmt: skip

    def purchases(self) -> Iterator[dict[str, Any]]:
        """Test purchases in the period on URLs of shared brands: a payment provider's record, never below the default marking."""
        return self._rows(f"""
            SELECT t.purchase_id, t.purchased_at, t.url, t.payment_type, t.processor, t.merchant_account, t.amount,
                   t.currency, t.outcome, any_value(b.brand_id) AS brand_id, any_value(b.distributor_id) AS distributor_id,
                   {level_sql(f"greatest(max(b_rank.rank), {RANK[DEFAULT_MARKING]})")} AS marking
            FROM test_purchases t
            JOIN captures c ON c.url = t.url JOIN capture_attribution a USING (capture_key) JOIN _sh_brands b USING (brand_id)
            JOIN _sh_brand_rank b_rank USING (brand_id)
            WHERE t.purchased_at >= $start AND t.purchased_at < $end
            GROUP BY ALL HAVING greatest(max(b_rank.rank), {RANK[DEFAULT_MARKING]}) <= $rank
            ORDER BY t.purchase_id""")  # fmt: skip
