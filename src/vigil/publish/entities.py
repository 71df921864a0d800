"""Entity records with their history, read from stored evidence and derived tables.

Each function takes a store (in the web application a scoped one, see
``vigil.access.scoped``) and returns plain data, or ``None`` when the store holds nothing
on the entity (the caller cannot tell "hidden" from "absent", by design). Nothing here
computes intelligence: site types, brands and distributors are what enrichment and
attribution stored; the explanations are :mod:`vigil.publish.explain`'s.
"""

from __future__ import annotations

import zlib
from typing import Any, Final

from vigil.attribute.fingerprint import skeleton
from vigil.attribute.identifiers import KINDS
from vigil.publish.explain import explain_brand, explain_brands_of, explain_distributor
from vigil.store.handle import DuckStoreHandle

LIMIT: Final = 200
#: Distributors with more brands show the evidence chains of their first this many.
EXPLAIN_BRANDS: Final = 25
#: Lines of the skeleton tree shown on a brand page.
SKELETON_LINES: Final = 300


def _rows(store: DuckStoreHandle, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = store.con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _one(store: DuckStoreHandle, sql: str, params: list[Any]) -> dict[str, Any] | None:
    rows = _rows(store, sql, params)
    return rows[0] if rows else None


def url_record(store: DuckStoreHandle, url: str) -> dict[str, Any] | None:
    reports = _rows(store, """SELECT report_id, source, reported_at, ip, commercial, site_type, payment_types, actioned, notes, host
        FROM reports WHERE url = ? ORDER BY reported_at LIMIT ?""", [url, LIMIT])  # fmt: skip
    captures = _rows(store, """SELECT c.capture_id, c.captured_at, c.source, a.brand_id, a.distributor_id, a.cover, c.host
        FROM captures c LEFT JOIN capture_attribution a USING (capture_key) WHERE c.url = ? ORDER BY c.captured_at LIMIT ?""", [url, LIMIT])  # fmt: skip
    if not reports and not captures:
        return None
    host = (reports or captures)[0]["host"]  # a URL has one host: canonicalisation derives it from the URL
    for row in (*reports, *captures):
        del row["host"]
    return {
        "url": url, "host": host,
        "domain": _one(store, "SELECT registrable, identity, service FROM hosts WHERE host = ?", [host]),
        "site_type": _one(store, "SELECT site_type, decided_by, rule, reason FROM url_site_types WHERE url = ?", [url]),
        "hosting": _rows(store, """SELECT o.ip, o.seen_at, o.origin, i.asn, i.country, i.organisation FROM observations o
            LEFT JOIN ip_info i USING (ip) WHERE o.host = ? ORDER BY o.seen_at LIMIT ?""", [host, LIMIT]),
        "reports": reports, "captures": captures,
    }  # fmt: skip


def domain_record(store: DuckStoreHandle, domain: str) -> dict[str, Any] | None:
    hosts = _rows(store, """SELECT host, registrable, identity, service FROM hosts
        WHERE identity = ? OR registrable = ? OR host = ? ORDER BY host LIMIT ?""", [domain, domain, domain, LIMIT])  # fmt: skip
    if not hosts:
        return None
    names = [h["host"] for h in hosts]
    asns = _rows(store, """SELECT strftime(o.seen_at, '%Y-%m') AS month, i.asn, i.organisation, i.country, count(*) AS observations
        FROM observations o JOIN ip_info i USING (ip) WHERE list_contains(?, o.host)
        GROUP BY ALL ORDER BY month, i.asn""", [names])  # fmt: skip
    urls = _rows(store, "SELECT url, count(*) AS reports FROM reports WHERE list_contains(?, host) GROUP BY url ORDER BY url LIMIT ?", [names, LIMIT])
    return {"domain": domain, "hosts": hosts, "asns_over_time": asns, "hosting_services": len({a["asn"] for a in asns}), "urls": urls}


def asn_record(store: DuckStoreHandle, asn: int) -> dict[str, Any] | None:
    ips = _rows(store, "SELECT ip, country, organisation, provider FROM ip_info WHERE asn = ? ORDER BY ip LIMIT ?", [asn, LIMIT])
    if not ips:
        return None
    hosts = _rows(store, """SELECT o.host, min(o.seen_at) AS first_seen, max(o.seen_at) AS last_seen, count(*) AS observations
        FROM observations o JOIN ip_info i USING (ip) WHERE i.asn = ? GROUP BY o.host ORDER BY o.host LIMIT ?""", [asn, LIMIT])  # fmt: skip
    return {"asn": asn, "organisation": ips[0]["organisation"], "country": ips[0]["country"], "ips": ips, "hosts": hosts}


def identifier_record(store: DuckStoreHandle, kind: str, value: str) -> dict[str, Any] | None:
    if kind not in KINDS:
        return None
    captures = _rows(store, """SELECT DISTINCT c.capture_id, c.url, c.captured_at, a.brand_id, a.distributor_id, p.where_found
        FROM page_identifiers p JOIN captures c USING (page_sha256) LEFT JOIN capture_attribution a USING (capture_key)
        WHERE p.kind = ? AND p.value = ? ORDER BY c.captured_at LIMIT ?""", [kind, value, LIMIT])  # fmt: skip
    if not captures:
        return None
    status = _one(store, "SELECT status, reason, groups_joined, distributor_id FROM identifier_values WHERE kind = ? AND value = ?", [kind, value])
    brands = sorted({c["brand_id"] for c in captures if c["brand_id"]})
    return {"kind": kind, "value": value, "pivot": KINDS[kind].pivot, "status": status, "brands": brands, "captures": captures}


def skeleton_tree(html: bytes, *, max_lines: int = SKELETON_LINES) -> list[str]:
    """The page's element paths, as an indented text tree: text only, never markup to render."""
    features = skeleton(html).features
    paths = sorted(f.split(":", 1)[1] for f in features if f.startswith("path:"))
    lines = []
    for path in paths[:max_lines]:
        parts = path.split(">")
        lines.append("  " * (len(parts) - 1) + parts[-1])
    return lines


def brand_record(store: DuckStoreHandle, brand_id: str, *, complete: bool = True) -> dict[str, Any] | None:
    brand = _one(store, "SELECT * FROM brands WHERE brand_id = ?", [brand_id])
    if brand is None:
        return None
    template = _one(store, "SELECT * FROM templates WHERE template_id = ?", [brand["template_id"]])
    over_time = _rows(store, """SELECT strftime(c.captured_at, '%Y-%m') AS month, count(*) AS captures
        FROM capture_attribution a JOIN captures c USING (capture_key) WHERE a.brand_id = ? GROUP BY 1 ORDER BY 1""", [brand_id])  # fmt: skip
    captures = _rows(store, """SELECT c.capture_id, c.url, c.captured_at, c.page_sha256 FROM capture_attribution a JOIN captures c USING (capture_key)
        WHERE a.brand_id = ? ORDER BY c.captured_at LIMIT ?""", [brand_id, LIMIT])  # fmt: skip
    identifiers = _rows(store, """SELECT p.kind, p.value, count(DISTINCT c.capture_key) AS captures, any_value(v.status) AS status
        FROM capture_attribution a JOIN captures c USING (capture_key) JOIN page_identifiers p USING (page_sha256)
        LEFT JOIN identifier_values v ON v.kind = p.kind AND v.value = p.value
        WHERE a.brand_id = ? AND p.is_pivot GROUP BY p.kind, p.value ORDER BY p.kind, p.value LIMIT ?""", [brand_id, LIMIT])  # fmt: skip
    tree: list[str] = []
    if captures:
        page = _one(store, "SELECT html_zlib FROM pages WHERE page_sha256 = ?", [captures[0]["page_sha256"]])
        if page is not None:
            tree = skeleton_tree(zlib.decompress(page["html_zlib"]))
    for c in captures:
        c.pop("page_sha256", None)
    brand.pop("evidence", None)
    explanation = explain_brand(store, brand_id) if complete else []
    return {"brand": brand, "template": template, "captures_over_time": over_time, "captures": captures,
            "identifiers": identifiers, "skeleton": tree, "explanation": explanation}  # fmt: skip


def distributor_record(store: DuckStoreHandle, distributor_id: str, *, complete: bool) -> dict[str, Any] | None:
    """The distributor, its brands and the identifiers they share; ``vigil explain``'s chain only when ``complete``."""
    d = _one(store, "SELECT * FROM distributors WHERE distributor_id = ?", [distributor_id])
    if d is None:
        return None
    brands = _rows(store, "SELECT brand_id, captures, first_seen, last_seen FROM brands WHERE distributor_id = ? ORDER BY first_seen, brand_id", [distributor_id])
    shared = _rows(store, """SELECT p.kind, p.value, count(DISTINCT a.brand_id) AS brands FROM brands b
        JOIN capture_attribution a USING (brand_id) JOIN captures c USING (capture_key) JOIN page_identifiers p USING (page_sha256)
        WHERE b.distributor_id = ? AND p.is_pivot GROUP BY p.kind, p.value HAVING count(DISTINCT a.brand_id) >= 2
        ORDER BY brands DESC, p.kind, p.value LIMIT ?""", [distributor_id, LIMIT])  # fmt: skip
    explanation: list[str] = []
    if complete and len(brands) <= EXPLAIN_BRANDS:
        explanation = explain_distributor(store, distributor_id)
    elif complete:  # a big distributor: the chains of its first brands; every brand page has its own
        for chain in explain_brands_of(store, distributor_id, limit=EXPLAIN_BRANDS):
            explanation += [*chain, ""]
        explanation.append(f"… and {len(brands) - EXPLAIN_BRANDS} more brands: each brand's page gives its chain.")
    return {"distributor": d, "brands": brands, "shared_identifiers": shared, "explanation": explanation, "complete": complete}
