"""What was pasted, and where it is: typed recognition and search over stored evidence.

:func:`recognise` is a pure function: an IBAN is looked up as an IBAN, an IP as an IP, a
``B-…`` as a brand. :func:`search` runs the look-up on a store — a scoped one in the web
application (``vigil.access.scoped``), so a hit count never includes a hidden record.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Final

from vigil.attribute.identifiers import KINDS
from vigil.errors import InvalidRecord
from vigil.store.handle import DuckStoreHandle
from vigil.urls import canonicalize_url

_ASN: Final = re.compile(r"(?:AS|ASN)\s?(\d{1,10})", re.IGNORECASE)
_BRAND: Final = re.compile(r"B-[0-9a-f]{6,32}")
_DISTRIBUTOR: Final = re.compile(r"D-[0-9a-f]{6,32}")
_HOST: Final = re.compile(r"(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{2,63}\.?", re.IGNORECASE)
#: Identifier kinds tried in this order: the most self-checking first (IBAN, wallets carry checksums).
_KIND_ORDER: Final = ("iban", "btc_address", "eth_address", "email", "phone", "analytics_id", "merchant_account", "affiliate_id")
MAX_QUERY: Final = 2048
LIMIT: Final = 50


@dataclass(frozen=True, slots=True)
class Recognised:
    kind: str  # url, host, ip, asn, brand, distributor, identifier, text
    value: str
    identifier_kind: str | None = None


def recognise(query: str) -> Recognised:
    """What ``query`` is; never raises."""
    text = query.strip()[:MAX_QUERY]
    if not text:
        return Recognised("text", "")
    if _BRAND.fullmatch(text):
        return Recognised("brand", text)
    if _DISTRIBUTOR.fullmatch(text):
        return Recognised("distributor", text)
    if m := _ASN.fullmatch(text):
        return Recognised("asn", str(int(m[1])))
    try:
        return Recognised("ip", str(ipaddress.ip_address(text.strip("[]"))))
    except ValueError:
        pass
    if "://" in text or ("/" in text and _HOST.fullmatch(text.split("/", 1)[0] or "-")):
        try:
            return Recognised("url", canonicalize_url(text if "://" in text else "http://" + text).url)
        except (InvalidRecord, ValueError):
            pass
    for name in _KIND_ORDER:
        kind = KINDS.get(name)
        if kind is None:
            continue
        try:
            value = kind.clean(text)
        except Exception:  # a cleaner must not take the page down with it
            value = None
        if value is not None and not (name in ("merchant_account", "affiliate_id") and _HOST.fullmatch(text)):
            return Recognised("identifier", value, name)
    if _HOST.fullmatch(text):
        return Recognised("host", text.lower().rstrip("."))
    return Recognised("text", text)


def _rows(store: DuckStoreHandle, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = store.con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def search(store: DuckStoreHandle, query: str) -> dict[str, Any]:
    """The recognised query and its hits (at most :data:`LIMIT` per kind), from ``store``'s tables."""
    r = recognise(query)
    hits: dict[str, list[dict[str, Any]]] = {}
    if r.kind == "brand":
        hits["brands"] = _rows(store, "SELECT brand_id, distributor_id, captures, first_seen, last_seen FROM brands WHERE brand_id = ?", [r.value])
    elif r.kind == "distributor":
        hits["distributors"] = _rows(store, "SELECT distributor_id, brands, captures, first_seen, last_seen FROM distributors WHERE distributor_id = ?", [r.value])
    elif r.kind == "asn":
        hits["asns"] = _rows(store, "SELECT asn, any_value(organisation) AS organisation, any_value(country) AS country, count(*) AS ips FROM ip_info WHERE asn = ? GROUP BY asn", [int(r.value)])
    elif r.kind == "ip":
        hits["hosts"] = _rows(store, "SELECT host, min(seen_at) AS first_seen, max(seen_at) AS last_seen FROM observations WHERE ip = ? GROUP BY host ORDER BY host LIMIT ?", [r.value, LIMIT])
    elif r.kind == "url":
        hits["urls"] = _rows(store, """SELECT url, count(*) AS reports, min(reported_at) AS first_reported FROM reports WHERE url = ? GROUP BY url
            UNION ALL SELECT url, 0, min(captured_at) FROM captures WHERE url = ? AND url NOT IN (SELECT url FROM reports WHERE url = ?)
            GROUP BY url""", [r.value, r.value, r.value])  # fmt: skip
    elif r.kind == "host":
        hits["domains"] = _rows(store, """SELECT coalesce(identity, registrable, host) AS domain, count(*) AS hosts FROM hosts
            WHERE host = ? OR registrable = ? OR identity = ? GROUP BY 1 ORDER BY 1 LIMIT ?""", [r.value] * 3 + [LIMIT])  # fmt: skip
        hits["urls"] = _rows(store, "SELECT url, count(*) AS reports FROM reports WHERE host = ? GROUP BY url ORDER BY url LIMIT ?", [r.value, LIMIT])
    if r.kind == "identifier" or r.kind == "text":
        value = r.value
        where = "kind = ? AND value = ?" if r.identifier_kind else "lower(value) = lower(?)"
        params = [r.identifier_kind, value] if r.identifier_kind else [value]
        hits["identifiers"] = _rows(store, f"""SELECT kind, value, count(DISTINCT page_sha256) AS pages FROM page_identifiers
            WHERE {where} GROUP BY kind, value ORDER BY kind LIMIT ?""", [*params, LIMIT])  # fmt: skip
    return {"query": query[:MAX_QUERY], "recognised": {"kind": r.kind, "value": r.value, "identifier_kind": r.identifier_kind},
            "hits": hits, "total": sum(len(v) for v in hits.values())}  # fmt: skip
