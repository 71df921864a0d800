"""Ground truth for ``vigil stats hosting``, computed straight from the generated reports.

This is a second, deliberately plain implementation of docs/analysis.md, independent of
the pipeline under test (it never imports ``vigil.enrich``, ``ingest``, ``analyse`` or
``store``). It works one site family at a time: every host belongs to exactly one family
and every label to exactly one family, so per-family partial tables simply add up.

Each :class:`Rec` is one *stored* report (exact re-sends and quarantined rows are not
records). Times are integer seconds since the epoch, UTC.
"""

from __future__ import annotations

import bisect
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vigil.periods import Period
from vigil.synth.hosting import Org

UNKNOWN = "unknown"
NO_ORG = -1  # an IP the world's IP database does not know, or no IP at all


@dataclass(frozen=True, slots=True)
class HostInfo:
    """A canonical host and its identity domain (label + suffix)."""

    name: str  # canonical: lower-case, punycode
    domain: str  # identity domain
    label: str
    suffix: str
    service: str | None  # the shared service it is under, if any
    unicode_name: str | None = None  # the Unicode spelling of an IDN host


@dataclass(slots=True)
class Rec:
    """One stored report, with what the truth needs and what the writers render."""

    ts: int
    url: str  # canonical URL
    host: HostInfo
    source: str = ""
    report_id: str = ""
    ip: str | None = None
    org: int = NO_ORG  # index of the organisation of ``ip`` (NO_ORG when unknown)
    commercial: bool | None = None
    site_type: str | None = None
    payment_types: tuple[str, ...] = ()
    notes: str | None = None
    date_only: bool = False
    actioned: bool | None = None  # stated only by sources whose files carry the column


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(period: Period) -> tuple[int, int]:
    return int(period.start_ts.timestamp()), int(period.end_ts.timestamp())


@dataclass(frozen=True, slots=True)
class Counted:
    """A URL counted in a period: its host, site type and hosting organisation."""

    url: str
    host: HostInfo
    site_type: str
    org: int


class FamilyView:
    """One family's reports, indexed the way the definitions read them."""

    def __init__(self, recs: Sequence[Rec]) -> None:
        self.recs = sorted(recs, key=lambda r: (r.ts, r.source, r.report_id))
        self.by_url: dict[str, list[Rec]] = {}
        self.observations: dict[str, tuple[list[int], list[int]]] = {}  # host -> (times, orgs)
        for rec in self.recs:
            self.by_url.setdefault(rec.url, []).append(rec)
            if rec.ip is not None:
                times, orgs = self.observations.setdefault(rec.host.name, ([], []))
                times.append(rec.ts)
                orgs.append(rec.org)
        self.site_types = {url: site_type(recs) for url, recs in self.by_url.items()}
        self.first_ts = self.recs[0].ts if self.recs else 0
        self.last_ts = self.recs[-1].ts if self.recs else -1

    def counted(self, start: int, end: int, *, commercial: bool) -> list[Counted]:
        """The URLs counted in ``[start, end)`` and their hosting (analysis.md)."""
        found: list[Counted] = []
        if self.first_ts >= end or self.last_ts < start:
            return found
        for url, recs in self.by_url.items():
            in_p = [r for r in recs if start <= r.ts < end]
            if not in_p or (commercial and not any(r.commercial is True for r in in_p)):
                continue
            with_ip = next((r for r in in_p if r.ip is not None), None)
            org = with_ip.org if with_ip is not None else self.observed_org(in_p[0].host.name, in_p[0].ts)
            found.append(Counted(url, in_p[0].host, self.site_types[url], org))
        return found

    def observed_org(self, host: str, at: int) -> int:
        """The organisation of the host's latest observation at or before ``at``."""
        times, orgs = self.observations.get(host, ([], []))
        i = bisect.bisect_right(times, at)
        return orgs[i - 1] if i else NO_ORG


def site_type(recs: Sequence[Rec]) -> str:
    """The earliest stated site type; else the bundled rules (shared service → banner)."""
    for rec in recs:
        if rec.site_type:
            return rec.site_type
    return "banner" if recs[0].host.service else "other"


def _sorted_rows(counter: Counter[Any], total: int, key: str) -> list[dict[str, Any]]:
    rows = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{key: k, "urls": n, "share": n / total} for k, n in rows]


@dataclass
class Table:
    """The §3 tables of one (period, scope), added up family by family."""

    period: Period
    commercial: bool
    urls: int = 0
    by_country: Counter[str] = field(default_factory=Counter)
    by_site_type: Counter[str] = field(default_factory=Counter)
    type_country: Counter[tuple[str, str]] = field(default_factory=Counter)
    asns: Counter[tuple[int, str, str]] = field(default_factory=Counter)
    services: Counter[str] = field(default_factory=Counter)
    # compact rows (the lists grow with the world): (domain, asns, hosts, asn list) and
    # (label, ((first seen, suffix, domain), ...))
    multi_hosted: list[tuple[str, int, int, tuple[int, ...]]] = field(default_factory=list)
    hopping: list[tuple[str, tuple[tuple[int, str, str], ...]]] = field(default_factory=list)
    start: int = field(init=False, default=0)
    end: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.start, self.end = epoch(self.period)

    def add(self, view: FamilyView, orgs: Sequence[Org]) -> None:
        start, end = self.start, self.end
        counted = view.counted(start, end, commercial=self.commercial)
        if not counted:
            return
        hosts_by_domain: dict[str, list[str]] = {}
        for c in counted:
            self.urls += 1
            org = orgs[c.org] if c.org != NO_ORG else None
            country = org.country if org else UNKNOWN
            self.by_country[country] += 1
            self.by_site_type[c.site_type] += 1
            self.type_country[(c.site_type, country)] += 1
            if org is not None:
                self.asns[(org.asn, org.name, org.country)] += 1
            if c.host.service:
                self.services[c.host.service] += 1
            hosts = hosts_by_domain.setdefault(c.host.domain, [])
            if c.host.name not in hosts:
                hosts.append(c.host.name)
        self._multi_hosted(view, hosts_by_domain, start, end, orgs)
        self._hopping(view, set(hosts_by_domain), end)

    def _multi_hosted(
        self, view: FamilyView, hosts_by_domain: dict[str, list[str]], start: int, end: int, orgs: Sequence[Org]
    ) -> None:
        for domain, hosts in hosts_by_domain.items():
            asns: set[int] = set()
            observed = 0  # hosts with an observation in P on a known ASN
            for host in hosts:
                times, host_orgs = view.observations.get(host, ([], []))
                seen = {orgs[org].asn for ts, org in zip(times, host_orgs) if start <= ts < end and org != NO_ORG}
                observed += bool(seen)
                asns |= seen
            if len(asns) >= 2:
                self.multi_hosted.append((domain, len(asns), observed, tuple(sorted(asns))))

    def _hopping(self, view: FamilyView, counted_domains: set[str], end: int) -> None:
        first_seen: dict[str, dict[str, tuple[int, str]]] = {}  # label -> domain -> (ts, suffix)
        for rec in view.recs:
            if rec.ts >= end:
                break
            if self.commercial and rec.commercial is not True:
                continue
            domains = first_seen.setdefault(rec.host.label, {})
            if rec.host.domain not in domains:
                domains[rec.host.domain] = (rec.ts, rec.host.suffix)
        for label, domains in first_seen.items():
            if len(domains) < 2 or not counted_domains.intersection(domains):
                continue
            history = tuple(sorted((ts, suffix, domain) for domain, (ts, suffix) in domains.items()))
            self.hopping.append((label, history))

    def to_json(self) -> dict[str, Any]:
        """The object ``vigil stats hosting --format json`` prints (without ``previous``)."""
        total = self.urls
        type_totals = self.by_site_type
        type_country = sorted(self.type_country.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1]))
        asns = sorted(self.asns.items(), key=lambda kv: (-kv[1], kv[0]))
        return {
            "period": self.period.label,
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "scope": "commercial" if self.commercial else "all",
            "urls": total,
            "by_country": _sorted_rows(self.by_country, total, "country"),
            "by_site_type": _sorted_rows(self.by_site_type, total, "site_type"),
            "site_type_by_country": [
                {"site_type": t, "country": c, "urls": n, "share": n / type_totals[t]} for (t, c), n in type_country
            ],
            "asns": [{"asn": a, "organisation": o, "country": c, "urls": n} for (a, o, c), n in asns],
            "shared_services": [
                {"service": s, "urls": n} for s, n in sorted(self.services.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            "multi_hosted": [
                {"domain": d, "asns": n, "hosts": h, "asn_list": list(a)}
                for d, n, h, a in sorted(self.multi_hosted, key=lambda r: (-r[1], r[0]))
            ],
            "hopping_families": [
                {
                    "label": label,
                    "suffixes": [suffix for _, suffix, _ in history],
                    "hops": len(history) - 1,
                    "history": [{"suffix": s, "domain": d, "first_seen": iso(ts)} for ts, s, d in history],
                }
                for label, history in sorted(self.hopping, key=lambda r: (-len(r[1]), r[0]))
            ],
        }


#: The invocations the truth covers: name -> (period, commercial scope).
INVOCATIONS: tuple[tuple[str, str, bool], ...] = (
    ("2012Q4", "2012Q4", True),
    ("2012Q4 --all", "2012Q4", False),
    ("2012Q3", "2012Q3", True),
    ("2012", "2012", True),
    ("2012 --all", "2012", False),
)


class HostingTruth:
    """All the tables the truth file holds, each with its ``previous`` twin."""

    def __init__(self, invocations: Iterable[tuple[str, str, bool]] = INVOCATIONS) -> None:
        self.tables: dict[str, tuple[Table, Table]] = {}
        self._distinct: dict[tuple[str, bool], Table] = {}  # 2012Q3 is also 2012Q4's previous
        for name, label, commercial in invocations:
            period = Period.parse(label)
            self.tables[name] = (self._table(period, commercial), self._table(period.previous(), commercial))

    def _table(self, period: Period, commercial: bool) -> Table:
        key = (period.label, commercial)
        if key not in self._distinct:
            self._distinct[key] = Table(period, commercial)
        return self._distinct[key]

    def add(self, view: FamilyView, orgs: Sequence[Org]) -> None:
        for table in self._distinct.values():
            table.add(view, orgs)

    def invocation(self, name: str) -> dict[str, Any]:
        """One invocation's object, with ``previous``."""
        current, previous = self.tables[name]
        obj = current.to_json()
        obj["previous"] = previous.to_json()
        return obj

    def write(self, path: Path) -> None:
        """hosting.json, one invocation at a time (same text as ``json.dumps(..., indent=2)``)."""
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("{")
            encoder = json.JSONEncoder(indent=2)
            for i, name in enumerate(self.tables):
                handle.write(("," if i else "") + f"\n  {json.dumps(name)}: ")
                handle.writelines(chunk.replace("\n", "\n  ") for chunk in encoder.iterencode(self.invocation(name)))
            handle.write("\n}\n")


def quarter_usage(view: FamilyView, quarters: Sequence[tuple[int, int]]) -> dict[str, list[tuple[int, str, int]]]:
    """Per URL, the (quarter index, site type, org) it is counted as, commercial scope."""
    usage: dict[str, list[tuple[int, str, int]]] = {}
    for q, (start, end) in enumerate(quarters):
        for c in view.counted(start, end, commercial=True):
            usage.setdefault(c.url, []).append((q, c.site_type, c.org))
    return usage
