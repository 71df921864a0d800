"""§5 "payment methods": payment types, processors and merchant accounts for any period (docs/payments.md).

Three sources say how a commercial URL takes payment, each counted inside the period:

* **reports** — the hotline's ``payment_types`` for the URL;
* **captures** — key identifiers on the URL's (non-cover) captures, as each identifier
  kind declares (its ``payment``, in :mod:`vigil.attribute.identifiers`, turned into the
  ``_pay_kinds`` table here): an identifier that names a known processor (by its slug,
  as the scope of a merchant account, or by a URL on its host) gives that processor's
  ``payment_type`` from the processors file; others give a fixed type (a wallet
  ``virtual_currency``), which a link label may override (a phone from an ``sms:`` link
  gives ``sms``, any other phone ``premium_call``);
* **test purchases** — the payment type, processor and merchant account used.

The URLs counted are the period's commercial URLs (reports marked commercial, as in §3
and §4). Processors, merchant accounts and concentration also count test purchases of
URLs no hotline reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa

from vigil.analyse.brands import SQL_URL_BRANDS
from vigil.attribute.identifiers import KINDS, IdentifierKind
from vigil.attribute.processors import Processors, default_processors, slug
from vigil.periods import Period
from vigil.store.engine import Engine

__all__ = ["carriers_for", "kind_payments", "payment_stats"]

CONCENTRATION = 0.95

# Payment evidence per page, at any time (a page is the same page whenever captured).
# ``_pay_kinds(kind, rule, label, payment_type)`` is the kinds' declared ``payment``:
# rule ``name``/``scope``/``host`` (the value names a processor), ``fixed`` (a payment
# type) or ``link`` (the type for an identifier found in a link labelled ``label``).
SQL_PAGE_PAYMENTS = """
SELECT i.page_sha256, p.processor, p.payment_type
FROM page_identifiers i JOIN _pay_kinds k ON k.kind = i.kind AND k.rule = 'name'
JOIN _pay_processors p ON i.value = p.processor
UNION
SELECT i.page_sha256, p.processor, p.payment_type
FROM page_identifiers i JOIN _pay_kinds k ON k.kind = i.kind AND k.rule = 'scope'
JOIN _pay_processors p ON i.value LIKE p.processor || '/%'
UNION
SELECT i.page_sha256, f.processor, f.payment_type
FROM page_identifiers i JOIN _pay_kinds k ON k.kind = i.kind AND k.rule = 'host'
JOIN _pay_forms f ON i.value = f.value
UNION
SELECT i.page_sha256, CAST(NULL AS STRING) AS processor, coalesce(l.payment_type, k.payment_type) AS payment_type
FROM page_identifiers i JOIN _pay_kinds k ON k.kind = i.kind AND k.rule = 'fixed'
LEFT JOIN _pay_kinds l ON l.kind = i.kind AND l.rule = 'link' AND i.where_found LIKE '%=' || l.label || ']'
"""

_SQL_FORM_VALUES = """
SELECT DISTINCT i.value AS value FROM page_identifiers i JOIN _pay_kinds k ON k.kind = i.kind AND k.rule = 'host'
"""

_SQL_COMMERCIAL = """
SELECT DISTINCT url FROM reports WHERE reported_at >= $start AND reported_at < $end AND commercial
"""

# Every piece of payment evidence in the period: (url, payment_type, processor, purchase_key).
_SQL_URL_PAYMENTS = """
SELECT url, payment_type, CAST(NULL AS STRING) AS processor, CAST(NULL AS STRING) AS purchase_key
FROM (SELECT url, {explode} AS payment_type FROM reports
      WHERE reported_at >= $start AND reported_at < $end)
UNION ALL
SELECT c.url, pp.payment_type, pp.processor, CAST(NULL AS STRING)
FROM captures c JOIN _page_payments pp ON pp.page_sha256 = c.page_sha256
LEFT JOIN capture_attribution a ON a.capture_key = c.capture_key
WHERE c.captured_at >= $start AND c.captured_at < $end AND NOT coalesce(a.cover, false)
UNION ALL
SELECT t.url, t.payment_type, pr.processor, t.purchase_key
FROM test_purchases t LEFT JOIN _pay_purchase_processors pr ON pr.name = t.processor
WHERE t.purchased_at >= $start AND t.purchased_at < $end
"""

_SQL_BY_TYPE = """
SELECT u.payment_type, count(DISTINCT u.url) AS urls
FROM _url_payments u JOIN _commercial c ON c.url = u.url
GROUP BY u.payment_type ORDER BY urls DESC, u.payment_type
"""

_SQL_COUNTS = """
SELECT (SELECT count(*) FROM _commercial) AS commercial_urls,
       (SELECT count(*) FROM _commercial c WHERE NOT EXISTS (
            SELECT 1 FROM _url_payments u WHERE u.url = c.url AND u.payment_type <> 'unknown')) AS hidden_urls,
       (SELECT count(DISTINCT purchase_key) FROM _url_payments) AS purchases,
       (SELECT count(DISTINCT u.url) FROM _url_payments u
        WHERE u.purchase_key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM _commercial c WHERE c.url = u.url))
            AS purchase_urls_unreported
"""

_SQL_BRANDS_BY_TYPE = """
SELECT u.payment_type, count(DISTINCT b.brand_id) AS brands
FROM _url_payments u JOIN _commercial c ON c.url = u.url JOIN _url_brands b ON b.url = u.url
GROUP BY u.payment_type ORDER BY brands DESC, u.payment_type
"""

_SQL_PROCESSORS = """
SELECT processor, sum(urls) AS urls, sum(purchases) AS purchases FROM (
    SELECT u.processor, count(DISTINCT u.url) AS urls, 0 AS purchases
    FROM _url_payments u JOIN _commercial c ON c.url = u.url
    WHERE u.processor IS NOT NULL GROUP BY u.processor
    UNION ALL
    SELECT processor, 0 AS urls, count(DISTINCT purchase_key) AS purchases
    FROM _url_payments WHERE processor IS NOT NULL AND purchase_key IS NOT NULL GROUP BY processor
) x GROUP BY processor ORDER BY purchases DESC, urls DESC, processor
"""

# Merchant accounts from test purchases (any URL) and from captures of commercial URLs;
# each links to the brand of its URL.
_SQL_MERCHANT_ACCOUNTS = """
WITH ev AS (
    SELECT pr.processor, t.merchant_account, t.url, t.purchase_key
    FROM test_purchases t JOIN _pay_purchase_processors pr ON pr.name = t.processor
    WHERE t.merchant_account IS NOT NULL AND t.purchased_at >= $start AND t.purchased_at < $end
    UNION ALL
    SELECT substr(i.value, 1, instr(i.value, '/') - 1) AS processor, substr(i.value, instr(i.value, '/') + 1),
           c.url, CAST(NULL AS STRING)
    FROM captures c JOIN _commercial k ON k.url = c.url
    JOIN page_identifiers i ON i.page_sha256 = c.page_sha256
    JOIN _pay_kinds pk ON pk.kind = i.kind AND pk.rule = 'scope'
    LEFT JOIN capture_attribution a ON a.capture_key = c.capture_key
    WHERE c.captured_at >= $start AND c.captured_at < $end AND NOT coalesce(a.cover, false)
)
SELECT ev.processor, ev.merchant_account, count(DISTINCT ev.purchase_key) AS purchases,
       count(DISTINCT b.brand_id) AS brands
FROM ev LEFT JOIN _url_brands b ON b.url = ev.url
GROUP BY ev.processor, ev.merchant_account
ORDER BY purchases DESC, brands DESC, ev.processor, ev.merchant_account
"""

_SQL_DISTINCT = "SELECT DISTINCT {column} AS value FROM {table} WHERE {where}"


def carriers_for(counts: Iterable[int], share: float = CONCENTRATION) -> int:
    """The fewest carriers (largest first) that together hold ``share`` of the total.

    >>> carriers_for([60, 30, 6, 3, 1])   # 60+30+6 = 96 of 100
    3
    """
    ordered = sorted((c for c in counts if c > 0), reverse=True)
    total = sum(ordered)
    running = 0
    for k, count in enumerate(ordered, start=1):
        running += count
        if running >= share * total - 1e-9:
            return k
    return 0


def _params(period: Period) -> dict[str, Any]:
    return {"start": period.start_ts.replace(tzinfo=None), "end": period.end_ts.replace(tzinfo=None)}


def kind_payments(kinds: Iterable[IdentifierKind]) -> dict[str, list[str | None]]:
    """The ``_pay_kinds`` columns from the kinds' declared ``payment`` (see SQL_PAGE_PAYMENTS)."""
    rows: dict[str, list[str | None]] = {"kind": [], "rule": [], "label": [], "payment_type": []}
    for kind in kinds:
        if kind.payment is None:
            continue
        pay = kind.payment
        entries: list[tuple[str, str | None, str | None]] = [(pay.processor or "fixed", None, pay.payment_type)]
        entries += [("link", label, each) for label, each in pay.by_link]
        for rule, label, payment_type in entries:
            for column, value in zip(rows, (kind.name, rule, label, payment_type)):
                rows[column].append(value)
    return rows


def mapping_tables(engine: Engine, processors: Processors) -> None:
    """Kinds, processor slugs, form URLs and purchase processor names → processor and payment type."""
    engine.put_arrow(
        "_pay_kinds",
        pa.Table.from_pydict(kind_payments(KINDS.values()), schema=pa.schema([(c, pa.string()) for c in ("kind", "rule", "label", "payment_type")])),
    )
    by_slug: dict[str, str] = {}
    for proc in processors.processors:
        by_slug.setdefault(proc.slug, proc.payment_type)
    schema = pa.schema([("processor", pa.string()), ("payment_type", pa.string())])
    engine.put_arrow(
        "_pay_processors",
        pa.Table.from_pydict({"processor": list(by_slug), "payment_type": list(by_slug.values())}, schema=schema),
    )
    forms: dict[str, list[str]] = {"value": [], "processor": [], "payment_type": []}
    for row in engine.rows("payment form URLs", _SQL_FORM_VALUES):
        try:
            host = urlsplit(row["value"]).hostname or ""
        except ValueError:
            continue
        found = processors.match_host(host) if host else None
        if found is not None:
            forms["value"].append(row["value"])
            forms["processor"].append(found.slug)
            forms["payment_type"].append(found.payment_type)
    engine.put_arrow("_pay_forms", pa.Table.from_pydict(forms, schema=pa.schema([("value", pa.string()), *schema])))
    names = [
        row["value"]
        for row in engine.rows(
            "purchase processors", _SQL_DISTINCT.format(column="processor", table="test_purchases", where="processor IS NOT NULL")
        )
    ]
    engine.put_arrow(
        "_pay_purchase_processors",
        pa.Table.from_pydict(
            {"name": names, "processor": [slug(n) for n in names]},
            schema=pa.schema([("name", pa.string()), ("processor", pa.string())]),
        ),
    )


def _period_steps(engine: Engine, period: Period) -> list[dict[str, Any]]:
    """Materialise ``_commercial`` and ``_url_payments`` for ``period``; URLs by payment type."""
    params = _params(period)
    engine.materialise("_commercial", _SQL_COMMERCIAL, params)
    engine.materialise("_url_payments", _SQL_URL_PAYMENTS.replace("{explode}", engine.dialect.explode("payment_types")), params)
    return engine.rows("commercial URLs by payment type", _SQL_BY_TYPE)


def _trend(engine: Engine, period: Period, periods: int) -> list[dict[str, Any]]:
    chain = [period]
    while len(chain) < periods:
        chain.append(chain[-1].previous())
    counts: dict[str, dict[str, int]] = {}
    for each in reversed(chain):
        counts[each.label] = {r["payment_type"]: int(r["urls"]) for r in _period_steps(engine, each)}
    types = sorted({t for by_type in counts.values() for t in by_type})
    return [{"period": label, "payment_type": t, "urls": by_type.get(t, 0)} for label, by_type in counts.items() for t in types]


def payment_stats(
    engine: Engine, period: Period, *, trend_periods: int = 4, processors: Processors | None = None
) -> dict[str, Any]:
    """The §5 object for one period (keys in docs/payments.md)."""
    chosen = processors if processors is not None else default_processors()
    out: dict[str, Any] = {"period": period.label, "start": period.start.isoformat(), "end": period.end.isoformat()}
    mapping_tables(engine, chosen)
    engine.materialise("_page_payments", SQL_PAGE_PAYMENTS)
    engine.materialise("_url_brands", SQL_URL_BRANDS)
    trend = _trend(engine, period, max(1, trend_periods))
    by_type = _period_steps(engine, period)  # last, so the period's tables stay for the steps below
    params = _params(period)
    counts = engine.rows("commercial, hidden and purchase counts", _SQL_COUNTS)[0]
    commercial = int(counts["commercial_urls"])
    out["commercial_urls"] = commercial
    out["urls_by_payment_type"] = [
        {"payment_type": r["payment_type"], "urls": int(r["urls"]), "share": r["urls"] / commercial if commercial else 0.0}
        for r in by_type
    ]
    out["brands_by_payment_type"] = [
        {"payment_type": r["payment_type"], "brands": int(r["brands"])}
        for r in engine.rows("brands by payment type", _SQL_BRANDS_BY_TYPE)
    ]
    out["hidden_payment_share"] = counts["hidden_urls"] / commercial if commercial else 0.0
    processors_rows = [
        {"processor": r["processor"], "urls": int(r["urls"]), "purchases": int(r["purchases"])}
        for r in engine.rows("processors", _SQL_PROCESSORS)
    ]
    out["processors"] = processors_rows
    accounts = [
        {"processor": r["processor"], "merchant_account": r["merchant_account"],
         "purchases": int(r["purchases"]), "brands": int(r["brands"])}
        for r in engine.rows("merchant accounts", _SQL_MERCHANT_ACCOUNTS, params)
    ]  # fmt: skip
    out["merchant_accounts"] = accounts
    out["purchase_urls_unreported"] = int(counts["purchase_urls_unreported"])
    out["concentration"] = {
        "purchases": int(counts["purchases"]),
        "purchases_with_processor": sum(r["purchases"] for r in processors_rows),
        "processors_for_95": carriers_for(r["purchases"] for r in processors_rows),
        "purchases_with_merchant_account": sum(r["purchases"] for r in accounts),
        "merchant_accounts_for_95": carriers_for(r["purchases"] for r in accounts),
    }
    out["trend"] = trend
    return out
