"""The §4 world: June 2009 - December 2012, calibrated to the IWF brands research.

Brands and their captured URLs come from :mod:`vigil.synth.brand_world.plan`. This module writes the
reports around them, one site at a time: every captured URL is a commercial site's page,
reported (and actioned) a little before it was captured; other sites fill each year with
commercial URLs nobody captured, URLs actioned for other reasons and URLs not actioned. In
2012 the counts are exact: 39,211 reports, 9,550 URLs actioned, 2,588 of them commercial
(27.1 %). HL-A, HL-B and HL-C state `actioned`; the partners never do, so their URLs count
as actioned when they state `commercial` (docs/attribution.md).
"""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from vigil.synth import names
from vigil.synth.brand_world.inputs import write_inputs
from vigil.synth.brand_world.plan import COMMERCIAL_2012, Y2012, month_start, plan
from vigil.synth.captures.brands import Brand, Demand
from vigil.synth.captures.build import build_captures
from vigil.synth.captures.truth import ReportCounts
from vigil.synth.files import FILES_S4, S4_FILES, SOURCE_SINCE
from vigil.synth.hosting import (
    SERVICES,
    Org,
    build_orgs,
    orgs_by_country,
    pick_ip,
    pick_unknown_ip,
)
from vigil.synth.outputs import WorldSummary, capture_description, summary, write_common
from vigil.synth.sink import ReportSink
from vigil.synth.truth import NO_ORG, FamilyView, HostInfo, HostingTruth, Rec

DAY = 86_400
PERIODS = ("2012", "2011", "2010", "2009-06-01..2012-12-31")
REPORTS_2012 = 39_211
ACTIONED_2012 = 9_550
#: Reports before 2012 (approximate): the hotline's earlier, smaller years.
EARLIER = {2009: 3_000, 2010: 5_500, 2011: 7_500}
_COUNTRIES = (("US", 40), ("RU", 12), ("KZ", 6), ("NL", 12), ("DE", 8), ("UA", 5), ("CZ", 4), ("FR", 3), ("GB", 3),
              ("CA", 2), ("SE", 2), ("RO", 1), ("LV", 2), ("unknown", 3))  # fmt: skip
_TYPES = {
    "brand": (("pay_per_view", 65), ("banner", 35)),
    "commercial": (("banner", 45), ("pay_per_view", 35), ("cyberlocker", 8), ("image_host", 5), ("other", 7)),
    "actioned": (("image_host", 35), ("forum", 20), ("cyberlocker", 15), ("other", 20), ("banner", 10)),
    "plain": (("other", 45), ("image_host", 20), ("forum", 15), ("banner", 20)),
}
_SOURCES = (("HL-A", 45), ("HL-B", 20), ("HL-C", 15), ("PARTNER-X", 12), ("PARTNER-Y", 8))
_HOTLINES = ("HL-A", "HL-B", "HL-C")
_PAYMENTS = ("credit_card", "digital_wallet", "sms", "premium_call", "virtual_currency", "money_transfer", "mobile_payment")


def year_bounds(year: int) -> tuple[int, int]:
    start = month_start(0) if year == 2009 else int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    return start, int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())


class _Sites:
    """Sites (one label, one or two hosts) and their reports, by class of URL."""

    def __init__(self, rng: random.Random, orgs: tuple[Org, ...], salt: int) -> None:
        self.rng = rng
        self.by_country = orgs_by_country(orgs)
        self.salt = salt
        self.index = 0

    def host(self, site_type: str) -> HostInfo:
        rng = self.rng
        self.index += 1
        label = names.site_label(self.index, salt=self.salt)
        if site_type == "banner":
            service = rng.choices(SERVICES, [s.weight for s in SERVICES])[0].name
            domain, suffix = f"{label}.{service}", service
        else:
            service, suffix = None, rng.choice(("test", "example"))
            domain = f"{label}.{suffix}"
        name = f"www.{domain}" if rng.random() < 0.4 else domain
        return HostInfo(name, domain, label, suffix, service)

    def reports(self, kind: str, urls: list[tuple[str, int, int]], host: HostInfo, site_type: str) -> list[Rec]:
        """Reports of ``urls`` ((url, first report, end of window)) on one site of class ``kind``."""
        rng = self.rng
        country = rng.choices([c for c, _ in _COUNTRIES], [w for _, w in _COUNTRIES])[0]
        org, ip = NO_ORG, pick_unknown_ip(rng)
        if country != "unknown":
            chosen = rng.choice(self.by_country[country])
            org, ip = chosen.index, pick_ip(chosen, rng)
        used: set[int] = set()
        recs: list[Rec] = []
        for url, first, end in urls:
            n = 1 + min(5, int(rng.expovariate(1 / (1.2 if kind != "plain" else 0.8))))
            times = [first] + [rng.randrange(first, max(first + 1, min(end, first + 25 * DAY))) for _ in range(n - 1)]
            for i, ts in enumerate(sorted(times)):
                date_only = rng.random() < 0.05 and ts - ts % DAY not in used
                ts = ts - ts % DAY if date_only else ts
                while ts in used:
                    ts += 1
                used.add(ts)
                recs.append(self._rec(kind, i, ts, url, host, site_type, org, ip, date_only))
        return recs

    def _rec(self, kind: str, i: int, ts: int, url: str, host: HostInfo, site_type: str, org: int, ip: str,
             date_only: bool) -> Rec:  # fmt: skip
        rng = self.rng
        while True:
            source = rng.choices([s for s, _ in _SOURCES], [w for _, w in _SOURCES])[0]
            if ts >= SOURCE_SINCE.get(source, 0) and (i or kind not in ("actioned",) or source in _HOTLINES):
                break
        hotline = source in _HOTLINES
        commercial: bool | None
        actioned: bool | None = None
        if kind in ("brand", "commercial"):
            commercial = True if i == 0 else rng.choices((True, None, False), (75, 15, 10))[0]
            actioned = (True if i == 0 or rng.random() < 0.7 else None) if hotline else None
        elif kind == "actioned":
            commercial = rng.choice((False, None))
            actioned = (True if i == 0 or rng.random() < 0.7 else None) if hotline else None
        else:
            commercial = rng.choice((False, None)) if hotline else None
            actioned = False if hotline else None
        stated = site_type if i == 0 and (site_type != "banner" and rng.random() < 0.9) else None
        payments = tuple(sorted(set(rng.choices(_PAYMENTS, k=rng.choice((1, 1, 2)))))) if commercial and rng.random() < 0.5 else ()
        note = rng.choice(names.NOTES) if rng.random() < 0.2 else None
        with_ip = rng.random() < 0.85
        return Rec(ts, url, host, source, "", ip if with_ip else None, org if with_ip else NO_ORG, commercial, stated,
                   payments, note, date_only, actioned)  # fmt: skip


class BrandRun:
    """One §4-style generation: its sites, report writer, hosting truth and report counts
    (the noisy world, :mod:`vigil.synth.noisy_world`, writes its reports with it too)."""

    def __init__(self, out: Path, seed: int, progress: Callable[[int], None] | None) -> None:
        self.out, self.seed = out, seed
        self.orgs = build_orgs()
        self.rng = random.Random(f"{seed}:s4")
        self.sites = _Sites(random.Random(f"{seed}:sites"), tuple(self.orgs), salt=self.rng.randrange(1 << 22))
        bounds = [month_start(m) for m in range(0, 45, 3)]
        self.sink = ReportSink(out, seed, S4_FILES, bounds, progress)
        self.hosting = HostingTruth()
        self.counts = ReportCounts(PERIODS)
        self.families = self.urls = 0
        self.taken: set[str] = set()
        self.year_reports: Counter[int] = Counter()

    def url(self, host: HostInfo) -> str:
        while True:
            url = f"{'https' if self.rng.random() < 0.2 else 'http'}://{host.name}{names.path(self.rng)}{names.query(self.rng)}"
            if url not in self.taken:
                self.taken.add(url)
                return url

    def commit(self, recs: list[Rec], kind: str) -> None:
        for rec in recs:
            self.year_reports[datetime.fromtimestamp(rec.ts, UTC).year] += 1
        view = FamilyView(recs)
        self.hosting.add(view, self.orgs)
        self.counts.add(view.recs)
        self.sink.commit(view.recs, kind=kind)
        self.families += 1
        self.urls += len(view.by_url)

    def brand_sites(self, urls: list[tuple[Brand, int]]) -> list[Demand]:
        """The captured URLs: a few per site, each brand's sites one after another."""
        demands: list[Demand] = []
        by_brand: dict[int, list[int]] = {}
        brands: dict[int, Brand] = {}
        for brand, month in urls:
            by_brand.setdefault(id(brand), []).append(month)
            brands[id(brand)] = brand
        for key, months in by_brand.items():
            months.sort()
            for _, group in itertools.groupby(months, key=lambda m: m >= Y2012):
                chunk = list(group)
                while chunk:
                    k = self.rng.randint(1, 4)
                    demands += self._brand_site(brands[key], chunk[:k])
                    chunk = chunk[k:]
        return demands

    def _brand_site(self, brand: Brand, months: list[int]) -> list[Demand]:
        site_type = self.rng.choices(*zip(*_TYPES["brand"]))[0]
        host = self.sites.host(site_type)
        planned = []
        for month in months:
            start, end = month_start(month), month_start(month + 1)
            first = self.rng.randrange(start, end - 2 * DAY)
            planned.append((self.url(host), first, end))
        recs = self.sites.reports("brand", planned, host, site_type)
        self.commit(recs, "brand")
        out = []
        for url, first, end in planned:
            commercial = tuple(r.ts for r in recs if r.url == url and r.commercial is True)
            out.append(Demand(url, host.name, commercial[0], end, commercial, brand=brand, site=host.label))
        return out

    def background(self, kind: str, n_urls: int, start: int, end: int) -> None:
        while n_urls > 0:
            k = min(n_urls, 1 + int(self.rng.expovariate(1 / 2.5)))
            self._site(kind, k, start, end)
            n_urls -= k

    def _site(self, kind: str, k: int, start: int, end: int) -> int:
        site_type = self.rng.choices(*zip(*_TYPES[kind]))[0]
        host = self.sites.host(site_type)
        planned = [(self.url(host), self.rng.randrange(start, end - DAY), end) for _ in range(k)]
        recs = self.sites.reports(kind, planned, host, site_type)
        self.commit(recs, kind)
        return len(recs)

    def fill_reports(self, year: int, target: int) -> None:
        """Sites never actioned, until ``year`` holds exactly ``target`` reports."""
        start, end = year_bounds(year)
        while self.year_reports[year] < target:
            k = 1 + int(self.rng.expovariate(1 / 2.0))
            site_type = self.rng.choices(*zip(*_TYPES["plain"]))[0]
            host = self.sites.host(site_type)
            planned = [(self.url(host), self.rng.randrange(start, end - DAY), end) for _ in range(k)]
            recs = self.sites.reports("plain", planned, host, site_type)
            self.commit(recs[: target - self.year_reports[year]], "plain")


def generate_brand_world(out: Path, *, seed: int, progress: Callable[[int], None] | None, decoys: float,
                mutations: float, namespace: int | None = None) -> WorldSummary:  # fmt: skip
    run = BrandRun(out, seed, progress)
    the_plan = plan(random.Random(f"{seed}:plan"))
    demands = run.brand_sites(the_plan.urls)
    brand_2012 = sum(1 for d in demands if d.ts >= year_bounds(2012)[0])
    for year, reports in EARLIER.items():
        start, end = year_bounds(year)
        run.background("commercial", reports // 14, start, end)
        run.background("actioned", reports // 5, start, end)
        run.fill_reports(year, reports)
    start, end = year_bounds(2012)
    run.background("commercial", COMMERCIAL_2012 - brand_2012, start, end)
    run.background("actioned", ACTIONED_2012 - COMMERCIAL_2012, start, end)
    run.fill_reports(2012, REPORTS_2012)
    quarantine = run.sink.close()
    capture = build_captures(out, demands, the_plan.distributors, seed=seed, decoys=decoys, mutations=mutations,
                             counts=run.counts, periods=PERIODS, namespace=namespace)  # fmt: skip
    run.hosting.write(out / "truth" / "hosting.json")
    write_common(out, quarantine, run.sink)
    _check(capture.attribution)
    inputs = write_inputs(out, capture.shots, seed)
    world = {
        "generator": "vigil.synth", "profile": "s4", "seed": seed, "rows": run.sink.rows,
        **({"namespace": namespace} if namespace is not None else {}),
        "period": {"start": "2009-06-01", "end": "2013-01-01"}, "files": [f"reports/{s.name}" for s in FILES_S4],
        "rows_by_family_kind": dict(run.sink.kind_rows), "families": run.families, "urls": run.urls,
        "captures": capture_description(capture, decoys=decoys, mutations=mutations),
        "inputs": inputs,
        "calibration": {p: {k: v for k, v in capture.attribution[p].items() if k != "top_brands"} for p in ("2012", PERIODS[-1])},
    }  # fmt: skip
    (out / "truth" / "world.json").write_text(json.dumps(world, indent=2) + "\n", encoding="utf-8")
    if progress is not None:
        progress(run.sink.rows)
    return summary(out, seed, run.sink, capture, files=len(FILES_S4), families=run.families, urls=run.urls, profile="s4")


def _check(attribution: dict[str, object]) -> None:
    """The §4 figures, exactly (the world is refused otherwise)."""
    y = attribution["2012"]
    r = attribution[PERIODS[-1]]
    assert isinstance(y, dict) and isinstance(r, dict)
    got = (r["templates"], r["distributors_active"], y["brands_active"], y["brands_new"], y["distributors_active"],
           y["distributors_new"], y["reports"], y["urls_actioned"], y["commercial_urls"], round(100 * y["top10_share"], 2),
           [t["brands"] for t in y["top30_by_distributor"]], {t["distributor_id"] for t in y["top_brands"]})  # fmt: skip
    want = (1292, 13, 513, 268, 8, 1, REPORTS_2012, ACTIONED_2012, COMMERCIAL_2012, 15.26, [16, 9, 5], {"D01"})
    if got != want:
        raise RuntimeError(f"synthetic world: the s4 world misses its calibration: {got} != {want}")
