"""Site families: one label, its identity domains over time, their hosts, URLs and reports.

A family is built whole (a few dozen reports at most), checked, then written and
forgotten, so memory does not grow with the world. Three kinds:

* **bulk** families carry the calibrated commercial URLs: one site type, one to three
  quarters, sometimes hopping between suffixes (``name.test`` → ``name.example`` →
  ``name.freenames.test``), hosts that move between ASNs and countries, several
  hotlines, commercial and non-commercial reports, reports without an IP;
* **fill** families are small and exact: they top a (quarter, site type, country) target
  up to the calibrated figure;
* **noise** families are never reported as commercial (they only count with ``--all``).

All report times within a family are distinct, so no definition needs a tie-break.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vigil.synth import names
from vigil.synth.files import SOURCE_SINCE
from vigil.synth.hosting import SERVICES, Org, pick_ip, pick_unknown_ip
from vigil.synth.truth import NO_ORG, HostInfo, Rec

DAY = 86_400
HOUR = 3_600
UNKNOWN = "unknown"
#: Site types that a report must state for the URL to get them (no rule gives them).
STATED = frozenset({"pay_per_view", "cyberlocker", "hidden_service", "image_host", "forum"})
_URLS_PER_HOST = {"banner": 3.0, "pay_per_view": 2.6, "cyberlocker": 2.0, "hidden_service": 1.8,
                  "image_host": 2.0, "forum": 1.8, "other": 1.6}
_PAYMENTS = (("credit_card", 50), ("digital_wallet", 15), ("sms", 10), ("premium_call", 5),
             ("virtual_currency", 8), ("money_transfer", 5), ("mobile_payment", 4), ("unknown", 3))
_PAYMENT_NAMES = [p for p, _ in _PAYMENTS]
_PAYMENT_CUM = list(itertools.accumulate(w for _, w in _PAYMENTS))
_NOISE_TYPES = ("banner", "pay_per_view", "image_host", "forum", "other", "cyberlocker")

Timeline = list[tuple[int, int, str]]  # (from, org index or NO_ORG, ip), sorted


@dataclass
class HostPlan:
    info: HostInfo
    start: int
    end: int
    timeline: Timeline  # empty: the host is never reported with an IP
    ip_rate: float


class FamilyFactory:
    """Builds families from one random stream; labels are unique across the world."""

    def __init__(
        self, rng: random.Random, orgs: Sequence[Org], by_country: dict[str, tuple[Org, ...]],
        boundaries: Sequence[int], *, salt: int,
    ) -> None:
        self.rng = rng
        self.orgs = orgs
        self.by_country = by_country
        self.boundaries = list(boundaries)  # quarter starts, plus the world's end
        self.salt = salt
        self.index = 0
        self._used: set[int] = set()
        self._source_names = [s for s, _ in names.SOURCES]
        self._source_cum = list(itertools.accumulate(w for _, w in names.SOURCES))

    # ------------------------------------------------------------------ names
    def _label(self, *, hidden: bool) -> tuple[str, str | None]:
        self.index += 1
        if hidden:
            return names.hidden_label(self.index, self.rng), None
        label = names.site_label(self.index, salt=self.salt)
        if self.rng.random() < 0.04 and (unicode_label := names.idn_label(label)):
            return names.to_ascii(unicode_label), unicode_label
        return label, None

    def _suffixes(self, site_type: str, *, hop: bool) -> list[tuple[str, str | None]]:
        rng = self.rng
        services: list[tuple[str, str | None]] = [(s.name, s.name) for s in SERVICES]
        weights = [s.weight for s in SERVICES]
        if site_type == "hidden_service":
            return [("invalid", None)]
        own: list[tuple[str, str | None]] = [("test", None), ("example", None)]
        rng.shuffle(own)
        if site_type == "banner":
            first = rng.choices(services, weights)[0]
            if not hop:
                return [first]
            rest = [s for s in services if s != first]
            rng.shuffle(rest)
            return [first] + rest[: rng.choice((1, 1, 2, 2, 3))]
        if not hop:
            return own[:1]
        if site_type == "pay_per_view" and rng.random() < 0.5:
            return own + [rng.choices(services, weights)[0]]
        return own

    def _hosts(self, label: str, unicode_label: str | None, suffix: str, service: str | None, n: int) -> list[HostInfo]:
        domain = f"{label}.{suffix}"
        subs = [""] if suffix == "invalid" or self.rng.random() < 0.7 else ["www"]
        while len(subs) < n:
            sub = self.rng.choice(names.SUBDOMAINS)
            if sub not in subs:
                subs.append(sub)
        hosts = []
        for sub in subs:
            prefix = f"{sub}." if sub else ""
            unicode_name = f"{prefix}{unicode_label}.{suffix}" if unicode_label else None
            hosts.append(HostInfo(prefix + domain, domain, label, suffix, service, unicode_name))
        return hosts

    # ---------------------------------------------------------------- hosting
    def quarter_of(self, ts: int) -> int:
        return max(0, min(len(self.boundaries) - 2, bisect.bisect_right(self.boundaries, ts) - 1))

    def _org(self, country: str) -> Org:
        return self.rng.choice(self.by_country[country])

    def _timeline(self, start: int, end: int, draw: Callable[[int], str]) -> tuple[Timeline, float]:
        rng = self.rng
        country = draw(self.quarter_of(start))
        if country == UNKNOWN:
            if rng.random() < 0.5:
                return [], 0.0
            return [(start, NO_ORG, pick_unknown_ip(rng))], 0.85
        org = self._org(country)
        timeline: Timeline = [(start, org.index, pick_ip(org, rng))]
        for boundary in self.boundaries:
            if start < boundary < end and rng.random() < 0.35:  # moves after a quarter turns
                moved = draw(self.quarter_of(boundary))
                at = boundary + rng.randrange(0, 20 * DAY)
                if moved != UNKNOWN and at < end:
                    new = self._org(moved)
                    timeline.append((at, new.index, pick_ip(new, rng)))
        if end - start > 4 * DAY and rng.random() < 0.22:  # moves within the window: multi-hosting
            at = rng.randrange(start + (end - start) // 5, start + 4 * (end - start) // 5)
            same = [o for o in self.by_country[country] if o.index != org.index]
            if same and rng.random() < 0.5:
                new = rng.choice(same)
            else:
                moved = draw(self.quarter_of(at))
                new = self._org(moved if moved != UNKNOWN else country)
            timeline.append((at, new.index, pick_ip(new, rng)))
        timeline.sort()
        if rng.random() < 0.15:  # renumbered within the same organisation
            at = rng.randrange(start, end)
            current = self.orgs[_active(timeline, at)[1]]
            timeline.append((at, current.index, pick_ip(current, rng)))
        timeline.sort()
        return timeline, 0.85

    # ---------------------------------------------------------------- reports
    def _free_ts(self, ts: int) -> int:
        while ts in self._used:
            ts += 1
        self._used.add(ts)
        return ts

    def _source(self, ts: int, previous: str | None) -> str:
        if previous is not None and self.rng.random() < 0.4:
            return previous
        while True:
            source = self.rng.choices(self._source_names, cum_weights=self._source_cum)[0]
            if ts >= SOURCE_SINCE.get(source, 0):
                return source

    def _times(self, first: int, last: int, n: int, *, nudge: bool, floor: int) -> list[tuple[int, bool]]:
        rng = self.rng
        times = [first] + [rng.randrange(first, max(first + 1, last)) for _ in range(n - 1)]
        result: list[tuple[int, bool]] = []
        for ts in times:
            if nudge and rng.random() < 0.04:  # a report just either side of a quarter turn
                b = self.boundaries[min(range(len(self.boundaries)), key=lambda i: abs(self.boundaries[i] - ts))]
                ts = max(floor, b + rng.choice((-1, 1)) * rng.randrange(60, 5 * HOUR))
                ts = min(ts, self.boundaries[-1] - HOUR)
            date_only = rng.random() < 0.07
            if date_only:
                midnight = ts - ts % DAY
                if midnight >= floor and midnight not in self._used:
                    ts = midnight
                else:
                    date_only = False
            result.append((self._free_ts(ts), date_only))
        result.sort()
        return result

    def _url_reports(
        self, url: str, host: HostPlan, times: list[tuple[int, bool]], *, site_type: str,
        commercial_url: bool, first_states: bool, state_rate: float,
    ) -> list[Rec]:
        rng = self.rng
        recs: list[Rec] = []
        source: str | None = None
        for i, (ts, date_only) in enumerate(times):
            source = self._source(ts, source)
            if commercial_url:
                commercial = True if i == 0 else rng.choices((True, None, False), (75, 15, 10))[0]
            else:
                commercial = rng.choice((False, None))
            stated: str | None = None
            if site_type == "hidden_service" or (i == 0 and first_states) or (i > 0 and rng.random() < state_rate):
                stated = site_type
            ip, org = None, NO_ORG
            if host.timeline and rng.random() < host.ip_rate:
                _, org, ip = _active(host.timeline, ts)
            payments: tuple[str, ...] = ()
            if commercial and rng.random() < (0.8 if site_type == "pay_per_view" else 0.3):
                picks = rng.choices(_PAYMENT_NAMES, cum_weights=_PAYMENT_CUM, k=rng.choice((1, 1, 2)))
                payments = tuple(sorted(set(picks)))
            notes = rng.choice(names.NOTES) if rng.random() < 0.25 else None
            recs.append(Rec(ts, url, host.info, source, "", ip, org, commercial, stated, payments, notes, date_only))
        return recs

    def _new_url(self, host: HostInfo, taken: set[str]) -> str:
        scheme = "https" if self.rng.random() < 0.2 else "http"
        while True:
            url = f"{scheme}://{host.name}{names.path(self.rng)}{names.query(self.rng)}"
            if url not in taken:
                taken.add(url)
                return url

    # --------------------------------------------------------------- families
    def bulk(self, site_type: str, quarters: Sequence[int], draw: Callable[[int], str]) -> list[Rec]:
        """A calibrated commercial family over ``quarters`` (consecutive indices)."""
        rng = self.rng
        self._used = set()
        start, end = self.boundaries[quarters[0]], self.boundaries[quarters[-1] + 1]
        if len(quarters) == 1:
            t0 = rng.randrange(start, end - 2 * DAY)
            t1 = min(end, t0 + rng.randrange(3 * DAY, 75 * DAY))
        else:
            t0 = rng.randrange(start, start + 70 * DAY)
            t1 = rng.randrange(self.boundaries[quarters[-1]] + 5 * DAY, end)
        hop = rng.random() < {"banner": 0.16, "pay_per_view": 0.18, "other": 0.08}.get(site_type, 0.04)
        hop = hop and site_type != "hidden_service"
        label, unicode_label = self._label(hidden=site_type == "hidden_service")
        suffixes = self._suffixes(site_type, hop=hop)
        cuts = sorted(rng.randrange(t0, t1) for _ in range(len(suffixes) - 1))
        edges = [t0, *cuts, t1]
        recs: list[Rec] = []
        for k, (suffix, service) in enumerate(suffixes):
            a, b = edges[k], min(t1, edges[k + 1] + rng.randrange(0, 8 * DAY))
            if b - a < 2 * HOUR:
                b = a + 2 * HOUR
            n_hosts = 1 + (rng.random() < 0.25) + (rng.random() < 0.05)
            hosts = self._hosts(label, unicode_label, suffix, service, n_hosts)
            first_plan: HostPlan | None = None
            for info in hosts:
                if site_type == "hidden_service":
                    plan = HostPlan(info, a, b, [], 0.0)
                elif first_plan is not None and rng.random() < 0.6:  # same server as the first host
                    plan = HostPlan(info, a, b, first_plan.timeline, first_plan.ip_rate)
                else:
                    timeline, ip_rate = self._timeline(a, b, draw)
                    plan = HostPlan(info, a, b, timeline, ip_rate)
                first_plan = first_plan or plan
                recs.extend(self._host_urls(plan, site_type, nudge=True, scale=max(1.0, (b - a) / (45 * DAY))))
        return recs

    def _host_urls(self, plan: HostPlan, site_type: str, *, nudge: bool, scale: float) -> list[Rec]:
        rng = self.rng
        mean = _URLS_PER_HOST[site_type] * scale
        n_urls = 1 + int(rng.expovariate(1.0 / max(0.1, mean - 1)))
        taken: set[str] = set()
        recs: list[Rec] = []
        for _ in range(n_urls):
            url = self._new_url(plan.info, taken)
            first = rng.randrange(plan.start, max(plan.start + 1, plan.end - HOUR))
            last = min(plan.end, first + int(rng.expovariate(1.0 / (20 * DAY))))
            n = min(12, 1 + int(rng.expovariate(1 / 2.0)))
            times = self._times(first, last, n, nudge=nudge, floor=self.boundaries[0])
            commercial_url = rng.random() < (0.75 if url.endswith("/") and url.count("/") == 3 else 0.9)
            states = site_type in STATED and rng.random() < 0.97 or rng.random() < 0.3
            disagree = rng.random() < 0.02 and site_type != "hidden_service"
            typed = rng.choice(_NOISE_TYPES) if disagree else site_type
            recs.extend(self._url_reports(
                url, plan, times, site_type=typed, commercial_url=commercial_url, first_states=states,
                state_rate=0.5 if site_type in STATED else 0.3,
            ))
        return recs

    def fill(self, site_type: str, quarter: int, country: str, n_urls: int) -> list[Rec]:
        """An exact family: ``n_urls`` commercial URLs of one type, hosted in ``country``."""
        rng = self.rng
        self._used = set()
        start, end = self.boundaries[quarter] + HOUR, self.boundaries[quarter + 1] - HOUR
        a = rng.randrange(start, end - 3 * DAY)
        b = min(end, a + rng.randrange(2 * DAY, 40 * DAY))
        label, unicode_label = self._label(hidden=site_type == "hidden_service")
        suffix, service = self._suffixes(site_type, hop=False)[0]
        info = self._hosts(label, unicode_label, suffix, service, 1)[0]
        timeline: Timeline = []
        if country == UNKNOWN:
            if site_type != "hidden_service" and rng.random() < 0.5:
                timeline = [(a, NO_ORG, pick_unknown_ip(rng))]
        else:
            org = self._org(country)
            timeline = [(a, org.index, pick_ip(org, rng))]
            if rng.random() < 0.15:
                timeline.append((rng.randrange(a, b), org.index, pick_ip(org, rng)))
        plan = HostPlan(info, a, b, sorted(timeline), 1.0 if timeline else 0.0)
        taken: set[str] = set()
        recs: list[Rec] = []
        for _ in range(n_urls):
            url = self._new_url(info, taken)
            first = rng.randrange(a, b - HOUR)
            times = self._times(first, b, min(4, 1 + int(rng.expovariate(1 / 1.3))), nudge=False, floor=a)
            recs.extend(self._url_reports(
                url, plan, times, site_type=site_type, commercial_url=True,
                first_states=site_type in STATED or rng.random() < 0.3, state_rate=0.4,
            ))
        for rec in recs:  # after the first report of each URL, an IP only sometimes
            if rec.ip is not None and rec.ts != min(r.ts for r in recs if r.url == rec.url) and rng.random() < 0.15:
                rec.ip, rec.org = None, NO_ORG
        return recs

    def noise(self, start: int, end: int, n_reports: int | None = None) -> list[Rec]:
        """Reports never marked commercial; exactly ``n_reports`` of them when given."""
        rng = self.rng
        self._used = set()
        a = rng.randrange(start, end - 2 * DAY)
        b = min(end, a + rng.randrange(2 * DAY, 60 * DAY))
        label, unicode_label = self._label(hidden=False)
        on_service = rng.random() < 0.3
        suffix, service = self._suffixes("banner" if on_service else "other", hop=False)[0]
        info = self._hosts(label, unicode_label, suffix, service, 1)[0]
        timeline: Timeline = []
        if rng.random() < 0.85:
            org = rng.choice(self.orgs)
            timeline = [(a, org.index, pick_ip(org, rng))]
        plan = HostPlan(info, a, b, timeline, 0.75)
        wanted = n_reports if n_reports is not None else 1 + int(rng.expovariate(1 / 3.0))
        taken: set[str] = set()
        recs: list[Rec] = []
        while len(recs) < wanted:
            url = self._new_url(info, taken)
            n = min(wanted - len(recs), 1 + int(rng.expovariate(1 / 0.8)))
            times = self._times(rng.randrange(a, b - HOUR), b, n, nudge=False, floor=a)
            typed = rng.choice(_NOISE_TYPES)
            recs.extend(self._url_reports(
                url, plan, times, site_type=typed, commercial_url=False,
                first_states=rng.random() < 0.3, state_rate=0.2,
            ))
        return recs


def _active(timeline: Timeline, ts: int) -> tuple[int, int, str]:
    """The hosting in force at ``ts`` (the first entry before the host's start)."""
    i = bisect.bisect_right(timeline, (ts, 1 << 62, ""))
    return timeline[max(0, i - 1)]
