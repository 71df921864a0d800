"""``vigil enrich``: derive hosts, IP hosting and site types from the stored evidence.

Enrichment is derived, so it is rebuilt whole on every run from the evidence and the data
files in force (IP database, shared services, site-type rules): same evidence and files in,
same tables out. Per-record work (classifying a host, looking up an IP, applying rules)
runs once per *distinct* value, in Python; the set logic stays in SQL.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

import vigil
from vigil.enrich.dns import DnsResolver
from vigil.enrich.domains import DomainClassifier, DomainInfo, load_shared_services
from vigil.enrich.network import IpProvider
from vigil.enrich.sitetypes import SiteTypeRules
from vigil.errors import InvalidRecord
from vigil.store import Store, utcnow

_CHUNK = 20_000


@dataclass(frozen=True)
class EnrichSummary:
    hosts: int
    ips: int
    urls: int
    urls_typed_by_report: int
    dns_observations: int
    ip_provider: str


def _replace(store: Store, table: str, data: pa.Table) -> None:
    store.con.register("_enrich_rows", data)
    try:
        store.con.execute(f"INSERT INTO {table} SELECT * FROM _enrich_rows")
    finally:
        store.con.unregister("_enrich_rows")


def enrich_store(
    store: Store,
    *,
    provider: IpProvider,
    shared_services: Sequence[Path] = (),
    site_type_rules: Sequence[Path] = (),
    dns: DnsResolver | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> EnrichSummary:
    """Rebuild ``hosts``, ``ip_info`` and ``url_site_types``; optionally resolve hosts by DNS."""
    tick = progress or (lambda stage, done, total: None)
    classifier = DomainClassifier(load_shared_services(shared_services))
    rules = SiteTypeRules.load(site_type_rules)
    con = store.con
    run_id = uuid.uuid4().hex[:16]

    dns_count = 0
    if dns is not None:
        dns_count = _resolve(store, dns, run_id, tick)

    con.execute("BEGIN TRANSACTION")
    try:
        hosts = [row[0] for row in con.execute("SELECT DISTINCT host FROM reports ORDER BY host").fetchall()]
        infos: dict[str, DomainInfo] = {}
        cols: dict[str, list[str | None]] = {k: [] for k in ("host", "registrable", "public_suffix", "service", "identity", "label", "suffix")}
        for i, host in enumerate(hosts, 1):
            info = classifier.classify(host)
            infos[host] = info
            for key in cols:
                cols[key].append(getattr(info, key))
            if i % _CHUNK == 0:
                tick("hosts", i, len(hosts))
        tick("hosts", len(hosts), len(hosts))
        con.execute("DELETE FROM hosts")
        _replace(store, "hosts", pa.table(cols))

        ips = [row[0] for row in con.execute("SELECT DISTINCT ip FROM observations ORDER BY ip").fetchall()]
        found = provider.lookup_many(ips)
        con.execute("DELETE FROM ip_info")
        _replace(
            store,
            "ip_info",
            pa.table(
                {
                    "ip": [f.ip for f in found],
                    "country": [f.country for f in found],
                    "asn": pa.array([f.asn for f in found], pa.int64()),
                    "organisation": [f.organisation for f in found],
                    "provider": [provider.name] * len(found),
                }
            ),
        )
        tick("ips", len(ips), len(ips))

        con.execute("DELETE FROM url_site_types")
        by_report = con.execute(_SITE_TYPE_FROM_REPORTS).fetchone()
        typed = int(by_report[0]) if by_report else 0
        untyped = con.execute(
            "SELECT DISTINCT r.url, r.host FROM reports r "
            "WHERE NOT EXISTS (SELECT 1 FROM url_site_types t WHERE t.url = r.url) ORDER BY r.url"
        ).fetchall()
        decided: dict[str, list[str | None]] = {k: [] for k in ("url", "site_type", "decided_by", "rule", "reason")}
        for url, host in untyped:
            decision = rules.decide(url=url, host=host, domain=infos[host])
            decided["url"].append(url)
            decided["site_type"].append(decision.site_type)
            decided["decided_by"].append("rule")
            decided["rule"].append(decision.rule)
            decided["reason"].append(decision.reason)
        _replace(store, "url_site_types", pa.table(decided))
        tick("site types", typed + len(untyped), typed + len(untyped))

        files = {"shared_services": [str(p) for p in shared_services], "site_type_rules": [str(p) for p in site_type_rules]}
        con.execute(
            "INSERT INTO enrich_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, utcnow(), provider.name, json.dumps(files), len(hosts), len(ips), typed + len(untyped), vigil.__version__],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return EnrichSummary(len(hosts), len(ips), typed + len(untyped), typed, dns_count, provider.name)


# The earliest report (by time, source, report_id) that states a site type decides it.
_SITE_TYPE_FROM_REPORTS = """
INSERT INTO url_site_types
SELECT url, site_type, 'report', NULL,
       'reported as ' || site_type || ' by ' || source || ' in report ' || report_id
         || ' on ' || strftime(reported_at, '%Y-%m-%d')
FROM (
    SELECT url, site_type, source, report_id, reported_at,
           row_number() OVER (PARTITION BY url ORDER BY reported_at, source, report_id) AS rank
    FROM reports WHERE site_type IS NOT NULL
) WHERE rank = 1
"""


def _resolve(store: Store, dns: DnsResolver, run_id: str, tick: Callable[[str, int, int], None]) -> int:
    """Resolve every distinct non-IP host once and keep each answer as an observation."""
    hosts = [r[0] for r in store.con.execute("SELECT DISTINCT host FROM reports ORDER BY host").fetchall()]
    now = utcnow()
    rows: list[list[object]] = []
    failed = 0
    for i, host in enumerate(hosts, 1):
        try:
            answers = dns.resolve(host)
        except InvalidRecord:
            failed += 1  # a timeout or server failure: no observation, the run goes on
            continue
        finally:
            tick("dns", i, len(hosts))
        rows.extend([host, ip, now, type(dns).__name__, run_id] for ip in answers)
    if rows:
        store.con.executemany("INSERT INTO dns_observations VALUES (?, ?, ?, ?, ?)", rows)
    return len(rows)
