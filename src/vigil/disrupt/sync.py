"""Takedown cases from the evidence store: reports, hosting, attribution and identifiers.

One set step (DuckDB SQL) per run: each reported URL becomes a case, with its latest
reported IP and that IP's country, ASN and organisation (``vigil enrich``), its registrable
domain and suffix (a URL under a shared service is not on a *dedicated* domain), the brand
and distributor of its latest sales capture (``vigil attribute``), and the key identifiers
on its captured pages: merchant accounts (the processor is the account's scope), payment
forms, e-mails and wallets. A URL is *detected* at its first report and *assessed* at its
first report marked commercial or actioned. Cases carry ``--org`` and ``--marking`` (the
store's reports carry no marking of their own yet).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vigil.attribute.processors import Processors
from vigil.disrupt import casestore
from vigil.disrupt.cases import Case
from vigil.disrupt.clocks import Event

CASES_SQL = """
WITH r AS (
    SELECT url, min(host) AS host, arg_max(ip, reported_at) FILTER (WHERE ip IS NOT NULL) AS ip,
           min(reported_at) AS detected,
           min(reported_at) FILTER (WHERE commercial OR actioned) AS assessed
    FROM reports GROUP BY url
),
cap AS (
    SELECT c.url, arg_max(a.brand_id, c.captured_at) AS brand, arg_max(a.distributor_id, c.captured_at) AS distributor,
           arg_max(c.capture_id, c.captured_at) AS capture
    FROM captures c JOIN capture_attribution a USING (capture_key)
    WHERE NOT a.cover AND a.brand_id IS NOT NULL GROUP BY c.url
),
ids AS (
    SELECT c.url,
           list(DISTINCT i.value ORDER BY i.value) FILTER (WHERE i.kind = 'merchant_account') AS accounts,
           list(DISTINCT i.value ORDER BY i.value) FILTER (WHERE i.kind = 'payment_form') AS forms,
           list(DISTINCT i.value ORDER BY i.value) FILTER (WHERE i.kind = 'email') AS emails,
           list(DISTINCT i.wallet ORDER BY i.wallet)
               FILTER (WHERE i.kind IN ('btc_address', 'eth_address')) AS wallets
    FROM (SELECT DISTINCT url, page_sha256 FROM captures) c
    JOIN (SELECT *, (CASE kind WHEN 'btc_address' THEN 'btc:' ELSE 'eth:' END) || value AS wallet FROM page_identifiers) i
        USING (page_sha256)
    GROUP BY c.url
)
SELECT r.url, r.host, h.registrable AS domain, h.public_suffix AS suffix, r.ip, n.asn, n.country,
       n.organisation AS hosting_org, cap.brand, cap.distributor, cap.capture, ids.accounts, ids.forms, ids.emails,
       ids.wallets, h.service IS NULL AND h.registrable IS NOT NULL AS dedicated, r.detected, r.assessed
FROM r
LEFT JOIN hosts h ON h.host = r.host
LEFT JOIN ip_info n ON n.ip = r.ip
LEFT JOIN cap ON cap.url = r.url
LEFT JOIN ids ON ids.url = r.url
ORDER BY r.url
"""


def sync_cases(con: Any, *, owner_org: str, marking: str, processors: Processors | None = None) -> dict[str, int]:
    """Upsert a case per reported URL and its detected/assessed events; returns counts."""
    names = {p.slug: p.name for p in (processors.processors if processors else ())}
    cursor = con.execute(CASES_SQL)
    columns = [d[0] for d in cursor.description]
    cases: list[Case] = []
    events: list[Event] = []
    while rows := cursor.fetchmany(50_000):
        for values in rows:
            row = dict(zip(columns, values, strict=True))
            accounts = list(row["accounts"] or [])
            account = accounts[0] if accounts else None
            scope = account.partition("/")[0] if account else None
            cases.append(Case(
                url=row["url"], host=row["host"], owner_org=owner_org, marking=marking, domain=row["domain"],
                suffix=row["suffix"], ip=row["ip"], asn=row["asn"], country=row["country"], hosting_org=row["hosting_org"],
                brand=row["brand"], distributor=row["distributor"], processor=names.get(scope or "", scope),
                merchant_account=account, wallets=tuple(row["wallets"] or ()), emails=tuple(row["emails"] or ()),
                payment_forms=tuple(row["forms"] or ()), evidence_ref=f"capture:{row['capture']}" if row["capture"] else None,
                dedicated=bool(row["dedicated"]), source="store",
            ))  # fmt: skip
            detected: datetime = row["detected"]
            events.append(Event(row["url"], "detected", detected, "reports"))
            if row["assessed"] is not None:
                events.append(Event(row["url"], "assessed", row["assessed"], "reports"))
    casestore.save_cases(con, cases)
    new = casestore.add_events(con, events)
    return {"cases": len(cases), "events_new": new, "assessed": sum(1 for e in events if e.stage == "assessed")}
