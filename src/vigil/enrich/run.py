"""``vigil enrich``: derive hosts, IP hosting, site types and channels from the stored evidence.

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
from typing import Any

import pyarrow as pa

import vigil
from vigil.enrich.channels import decide_channels
from vigil.enrich.dns import DnsResolver
from vigil.enrich.domains import DomainClassifier, load_shared_services
from vigil.enrich.ip import IpProvider, open_ip_provider
from vigil.enrich.market_pages import scan_market_pages
from vigil.enrich.sitetypes import SiteTypeRules
from vigil.errors import InvalidRecord
from vigil.store import utcnow
from vigil.store.handle import StoreHandle


@dataclass(frozen=True)
class EnrichSummary:
    hosts: int
    ips: int
    urls: int
    urls_typed_by_report: int
    dns_observations: int
    ip_provider: str
    pages_scanned: int = 0  # pages newly read for offers and channel signals
    url_channels: int = 0


_HOST_SCHEMA = pa.schema([(k, pa.string()) for k in ("host", "registrable", "public_suffix", "service", "identity", "label", "suffix")])
_IP_SCHEMA = pa.schema([("ip", pa.string()), ("country", pa.string()), ("asn", pa.int64()),
                        ("organisation", pa.string()), ("provider", pa.string())])  # fmt: skip
_TYPE_SCHEMA = pa.schema([(k, pa.string()) for k in ("url", "site_type", "decided_by", "rule", "reason")])

# Per-record work lifted to Arrow batches. Each runs where the engine puts it (in this process
# on DuckDB, in Spark's Python workers), so it carries file paths, not open objects, and
# builds its classifier, rules or IP reader once per process.
_BUILT: dict[tuple[object, ...], Any] = {}


def _built(key: tuple[object, ...], make: Callable[[], Any]) -> Any:
    if key not in _BUILT:
        _BUILT[key] = make()
    return _BUILT[key]


@dataclass(frozen=True)
class ClassifyHosts:
    shared_services: tuple[str, ...] = ()

    def classifier(self) -> DomainClassifier:
        return _built(("hosts", self.shared_services),  # type: ignore[no-any-return]
                      lambda: DomainClassifier(load_shared_services([Path(p) for p in self.shared_services])))  # fmt: skip

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        classify = self.classifier().classify
        infos = [classify(h) for h in batch.column("host").to_pylist()]
        return pa.RecordBatch.from_pydict({k: [getattr(i, k) for i in infos] for k in _HOST_SCHEMA.names}, schema=_HOST_SCHEMA)


@dataclass(frozen=True)
class LookupIps:
    ip_db: str | None = None

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        provider: IpProvider = _built(("ips", self.ip_db), lambda: open_ip_provider(Path(self.ip_db) if self.ip_db else None))
        found = provider.lookup_many(batch.column("ip").to_pylist())
        return pa.RecordBatch.from_pydict({
            "ip": [f.ip for f in found], "country": [f.country for f in found], "asn": [f.asn for f in found],
            "organisation": [f.organisation for f in found], "provider": [provider.name] * len(found),
        }, schema=_IP_SCHEMA)  # fmt: skip


@dataclass(frozen=True)
class DecideSiteTypes:
    shared_services: tuple[str, ...] = ()
    site_type_rules: tuple[str, ...] = ()

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        classify = ClassifyHosts(self.shared_services).classifier().classify
        rules: SiteTypeRules = _built(("rules", self.site_type_rules),
                                      lambda: SiteTypeRules.load([Path(p) for p in self.site_type_rules]))  # fmt: skip
        out: dict[str, list[str | None]] = {k: [] for k in _TYPE_SCHEMA.names}
        for url, host in zip(batch.column("url").to_pylist(), batch.column("host").to_pylist()):
            decision = rules.decide(url=url, host=host, domain=classify(host))
            for key, value in zip(out, (url, decision.site_type, "rule", decision.rule, decision.reason)):
                out[key].append(value)
        return pa.RecordBatch.from_pydict(out, schema=_TYPE_SCHEMA)


def enrich_store(
    store: StoreHandle,
    *,
    provider: IpProvider | None = None,
    ip_db: Path | None = None,
    shared_services: Sequence[Path] = (),
    site_type_rules: Sequence[Path] = (),
    dns: DnsResolver | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> EnrichSummary:
    """Rebuild ``hosts``, ``ip_info`` and ``url_site_types``; optionally resolve hosts by DNS.

    ``ip_db`` names the IP database (None: the bundled one); ``provider`` is an already open
    provider, used as is where the engine runs in this process (tests pass fakes).
    """
    tick = progress or (lambda stage, done, total: None)
    engine = store.engine
    services = tuple(str(p) for p in shared_services)
    rule_files = tuple(str(p) for p in site_type_rules)
    # Bad data files fail here, once, with their name, rather than in a worker.
    DomainClassifier(load_shared_services(shared_services))
    SiteTypeRules.load(site_type_rules)
    lookup = LookupIps(str(ip_db) if ip_db else None)
    if provider is None:
        provider = open_ip_provider(ip_db)
    if engine.name == "duckdb":
        _BUILT[("ips", lookup.ip_db)] = provider
    run_id = uuid.uuid4().hex[:16]

    dns_count = 0
    if dns is not None:
        dns_count = _resolve(store, dns, run_id, tick)

    with engine.transaction():
        engine.map_batches("_hosts_new", "SELECT DISTINCT host FROM reports", ClassifyHosts(services), _HOST_SCHEMA)
        engine.replace("hosts", "SELECT * FROM _hosts_new")
        hosts = engine.scalar("hosts", "SELECT count(*) FROM hosts")
        tick("hosts", hosts, hosts)
        engine.map_batches("_ips_new", "SELECT DISTINCT ip FROM observations", lookup, _IP_SCHEMA)
        engine.replace("ip_info", "SELECT * FROM _ips_new")
        ips = engine.scalar("ips", "SELECT count(*) FROM ip_info")
        tick("ips", ips, ips)
        engine.materialise("_typed_by_report", _SITE_TYPE_FROM_REPORTS.replace("{day}", engine.dialect.day("reported_at")))
        engine.map_batches("_typed_by_rule", "SELECT DISTINCT r.url, r.host FROM reports r "
                           "WHERE r.url NOT IN (SELECT url FROM _typed_by_report)",
                           DecideSiteTypes(services, rule_files), _TYPE_SCHEMA)  # fmt: skip
        engine.replace("url_site_types", "SELECT * FROM _typed_by_report UNION ALL SELECT * FROM _typed_by_rule")
        typed = engine.scalar("typed", "SELECT count(*) FROM _typed_by_report")
        urls = engine.scalar("urls", "SELECT count(*) FROM url_site_types")
        tick("site types", urls, urls)
        scanned = scan_market_pages(store, progress=lambda d, t: tick("offers and channel signals", d, t))
        channels = decide_channels(engine)
        tick("channels", channels, channels)
        files = {"shared_services": list(services), "site_type_rules": list(rule_files)}
        engine.append("enrich_runs", pa.table({
            "run_id": [run_id], "finished_at": pa.array([utcnow()], pa.timestamp("us")), "ip_provider": [provider.name],
            "data_files": [json.dumps(files)], "hosts": [hosts], "ips": [ips], "urls": [urls],
            "vigil_version": [vigil.__version__]}))  # fmt: skip
    return EnrichSummary(hosts, ips, urls, typed, dns_count, provider.name, scanned, channels)


# The earliest report (by time, source, report_id) that states a site type decides it.
_SITE_TYPE_FROM_REPORTS = """
SELECT url, site_type, 'report' AS decided_by, CAST(NULL AS STRING) AS rule,
       'reported as ' || site_type || ' by ' || source || ' in report ' || report_id
         || ' on ' || {day} AS reason
FROM (
    SELECT url, site_type, source, report_id, reported_at,
           row_number() OVER (PARTITION BY url ORDER BY reported_at, source, report_id) AS rank
    FROM reports WHERE site_type IS NOT NULL
) WHERE rank = 1
"""


def _resolve(store: StoreHandle, dns: DnsResolver, run_id: str, tick: Callable[[str, int, int], None]) -> int:
    """Resolve every distinct non-IP host once and keep each answer as an observation."""
    hosts = [r["host"] for r in store.engine.rows("hosts to resolve", "SELECT DISTINCT host FROM reports ORDER BY host")]
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
        store.engine.append("dns_observations", pa.table(
            list(zip(*rows)), names=["host", "ip", "seen_at", "resolver", "batch_id"]))  # fmt: skip
    return len(rows)
