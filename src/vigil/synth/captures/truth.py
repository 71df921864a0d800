"""Ground truth for §4 (``vigil stats brands``), from the generator's own labels.

A second, deliberately plain reading of docs/attribution.md. It never calls the pipeline
(no fingerprint, no identifier extraction, no ingest, enrich, analyse or store): templates
and brands are the generator's labels, and the identifiers of a page are the values the
generator put on it, in the normalised form docs/identifiers.md gives them. The distributor
rules (values applied in increasing spread, the over-matching guard, pages without an
identifier taking the distributor of their template when it has one only) are applied to
those values, and the world is only accepted when they give back exactly the generator's
distributors with exactly its decoys flagged generic (:func:`link_distributors`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vigil.periods import Period
from vigil.synth.captures.identifiers import WEBMAIL, Value
from vigil.synth.captures.schedule import Shot
from vigil.synth.truth import Rec, epoch, iso

MAX_GROUPS = 3


@dataclass
class _PeriodCounts:
    start: int
    end: int
    reports: int = 0
    actioned: int = 0
    commercial: int = 0


class ReportCounts:
    """Reports, actioned URLs and commercial URLs per period, added up site by site."""

    def __init__(self, periods: Iterable[str]) -> None:
        self.periods = {name: _PeriodCounts(*epoch(Period.parse(name))) for name in periods}

    def add(self, recs: Iterable[Rec]) -> None:
        """One site's reports (its URLs belong to no other site)."""
        by_url: dict[str, list[Rec]] = {}
        for rec in recs:
            by_url.setdefault(rec.url, []).append(rec)
        for counts in self.periods.values():
            for url_recs in by_url.values():
                in_p = [r for r in url_recs if counts.start <= r.ts < counts.end]
                if not in_p:
                    continue
                counts.reports += len(in_p)
                stated = [r.actioned for r in in_p if r.actioned is not None]
                if True in stated or (not stated and any(r.commercial is not None for r in in_p)):
                    counts.actioned += 1
                counts.commercial += any(r.commercial is True for r in in_p)


@dataclass
class Linking:
    """The distributor rules applied to the generator's values."""

    group_of: dict[int, int] = field(default_factory=dict)  # shot index -> group (a shot index)
    generic: list[Value] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: shot index -> candidate groups: a bare page of a template several groups use (a kit
    #: sold to several operators), left unattributed by the rules (never guessed)
    undecided: dict[int, list[int]] = field(default_factory=dict)


def link_distributors(shots: Sequence[Shot]) -> Linking:
    """docs/attribution.md "Distributors", on the shots' own values and template labels."""
    template = {i: s.brand.template.label for i, s in enumerate(shots) if s.brand is not None}
    pages_of: dict[Value, list[int]] = {}
    for i, shot in enumerate(shots):
        if shot.brand is not None:
            for value in (*shot.values, *shot.decoys):
                pages_of.setdefault(value, []).append(i)
    spread = {v: len({template[i] for i in pages}) for v, pages in pages_of.items()}
    parent = {i: i for i in template}
    templates = {i: {template[i]} for i in template}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    result = Linking()
    identified: set[int] = set()
    for value in sorted(pages_of, key=lambda v: (spread[v], v[0], v[1])):
        roots = sorted({find(i) for i in pages_of[value]})
        if sum(len(templates[r]) >= 2 for r in roots) >= MAX_GROUPS:
            result.generic.append(value)
            continue
        identified.update(pages_of[value])
        keep = min(roots, key=lambda r: (-len(templates[r]), r))
        for other in roots:
            if other != keep:
                parent[other] = keep
                templates[keep] |= templates.pop(other)
    timeline: dict[str, list[int]] = {}
    for i in sorted(identified, key=lambda i: shots[i].ts):
        timeline.setdefault(template[i], []).append(i)
    for i, label in template.items():
        if i in identified:
            result.group_of[i] = find(i)
            continue
        anchors = {find(j) for j in timeline.get(label, [])}
        if len(anchors) == 1:  # a template of several groups leaves it unattributed
            result.group_of[i] = anchors.pop()
        elif anchors:
            result.undecided[i] = sorted(anchors)
    _check(shots, result)
    return result


def _check(shots: Sequence[Shot], result: Linking) -> None:
    members: dict[int, set[str]] = {}
    for i, group in result.group_of.items():
        brand = shots[i].brand
        assert brand is not None
        members.setdefault(group, set()).add(brand.distributor.label)
    mixed = [sorted(m) for m in members.values() if len(m) > 1]
    if mixed:
        result.problems.append(f"groups join distributors {mixed[:3]}")
    split = Counter(label for m in members.values() for label in m)
    if any(n > 1 for n in split.values()):
        result.problems.append(f"distributors split: {sorted(k for k, n in split.items() if n > 1)}")
    unattributed = sum(1 for i, s in enumerate(shots) if s.brand is not None and i not in result.group_of
                       and i not in result.undecided)  # fmt: skip
    if unattributed:
        result.problems.append(f"{unattributed} captures unattributed")
    decoys = {v for s in shots for v in s.decoys}
    if set(result.generic) != decoys:
        result.problems.append(f"generic {sorted(set(result.generic) ^ decoys)[:3]} differ from the decoys")


@dataclass
class UrlInfo:
    """A captured URL: its brand (earliest non-cover capture) and its commercial reports."""

    brand: str
    distributor: str
    commercial_ts: tuple[int, ...]


class BrandTruth:
    """The `vigil stats brands` objects, from shots, captured URLs and report counts."""

    def __init__(self, shots: Sequence[Shot], commercial: dict[str, tuple[int, ...]], counts: ReportCounts) -> None:
        self.shots = [s for s in shots if s.brand is not None]
        self.counts = counts
        self.first: dict[str, int] = {}
        self.first_dist: dict[str, int] = {}
        self.urls: dict[str, UrlInfo] = {}
        for shot in sorted(self.shots, key=lambda s: s.ts):
            assert shot.brand is not None
            label, dist = shot.brand.label, shot.brand.distributor.label
            self.first.setdefault(label, shot.ts)
            self.first_dist.setdefault(dist, shot.ts)
            if shot.url not in self.urls:
                self.urls[shot.url] = UrlInfo(label, dist, commercial.get(shot.url, ()))
        self.disguised = sorted({s.url for s in shots if s.cover})

    def _ranked(self, start: int, end: int) -> tuple[list[tuple[str, int]], Counter[str], dict[str, str]]:
        """Brands by commercial URLs in the period (ties by label), URLs per distributor."""
        per_brand: Counter[str] = Counter()
        per_dist: Counter[str] = Counter()
        dist_of: dict[str, str] = {}
        for info in self.urls.values():
            if any(start <= ts < end for ts in info.commercial_ts):
                per_brand[info.brand] += 1
                per_dist[info.distributor] += 1
                dist_of[info.brand] = info.distributor
        return sorted(per_brand.items(), key=lambda kv: (-kv[1], kv[0])), per_dist, dist_of

    def label_dependent(self, name: str) -> list[str]:
        """Keys whose value depends on how ties are broken (the pipeline breaks them by its own IDs).

        ``top_brands`` when brands tie within or at the edge of the top ten;
        ``top30_by_distributor`` when brands of several distributors tie at the edge of the
        top thirty. (Its entries with equal counts are always in label order here and in ID
        order in the pipeline: compare them as a set.)
        """
        ranked, _, dist_of = self._ranked(*epoch(Period.parse(name)))
        n = [count for _, count in ranked]
        keys = []
        if len(set(n[:10])) < len(n[:10]) or (len(n) > 10 and n[9] == n[10]):
            keys.append("top_brands")
        if len(n) > 30 and n[29] == n[30] and len({dist_of[b] for b, c in ranked if c == n[29]}) > 1:
            keys.append("top30_by_distributor")
        return keys

    def stats(self, name: str) -> dict[str, Any]:
        period = Period.parse(name)
        start, end = epoch(period)
        counts = self.counts.periods[name]
        in_p = [s for s in self.shots if start <= s.ts < end]
        brands = {s.brand.label for s in in_p if s.brand}
        dists = {s.brand.distributor.label for s in in_p if s.brand}
        ranked, per_dist, dist_of = self._ranked(start, end)
        commercial = counts.commercial
        top30: Counter[str] = Counter(dist_of[b] for b, _ in ranked[:30])
        return {
            "period": period.label, "start": period.start.isoformat(), "end": period.end.isoformat(),
            "reports": counts.reports, "urls_actioned": counts.actioned, "commercial_urls": commercial,
            "commercial_share": commercial / counts.actioned if counts.actioned else 0.0,
            "templates": len({s.brand.template.label for s in in_p if s.brand}),
            "brands_active": len(brands), "distributors_active": len(dists),
            "brands_new": sum(start <= ts < end for ts in self.first.values()),
            "distributors_new": sum(start <= ts < end for ts in self.first_dist.values()),
            "top_brands": [{"brand_id": b, "urls": n, "distributor_id": dist_of[b]} for b, n in ranked[:10]],
            "top10_share": sum(n for _, n in ranked[:10]) / commercial if commercial else 0.0,
            "top_distributor_share": max(per_dist.values()) / commercial if per_dist and commercial else 0.0,
            "top30_by_distributor": [{"distributor_id": d, "brands": n}
                                     for d, n in sorted(top30.items(), key=lambda kv: (-kv[1], kv[0]))],
            "disguised_urls": len(self.disguised),
        }  # fmt: skip


def write_truth(truth_dir: Path, shots: Sequence[Shot], brand_truth: BrandTruth, *, periods: Sequence[str],
                media: int, decoys: Sequence[Value]) -> dict[str, Any]:  # fmt: skip
    """captures.jsonl, templates.jsonl and attribution.json; returns the attribution object."""
    with open(truth_dir / "captures.jsonl", "w", encoding="utf-8") as handle:
        for shot in shots:
            brand = shot.brand
            line = {
                "capture_id": shot.capture_id, "source": shot.source, "url": shot.url, "captured_at": iso(shot.ts),
                "referrer": shot.referrer,
                "template": brand.template.label if brand else None, "brand": brand.label if brand else None,
                "distributor": brand.distributor.label if brand else None, "cover": brand is None,
                "values": [list(v) for v in shot.values], "decoys": [list(v) for v in shot.decoys],
            }  # fmt: skip
            handle.write(json.dumps(line) + "\n")
    seen: dict[str, dict[str, Any]] = {}
    for shot in shots:
        if shot.brand is None:
            continue
        t = shot.brand.template
        row = seen.setdefault(t.label, {
            "template": t.label, "family": t.family, "version": t.version,
            "altered_from": t.parent.label if t.parent else None, "kit": t.kit,
            "first_seen": iso(shot.ts), "brands": [],
        })  # fmt: skip
        if shot.brand.label not in row["brands"]:
            row["brands"].append(shot.brand.label)
    with open(truth_dir / "templates.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in seen.values())
    obj: dict[str, Any] = {name: brand_truth.stats(name) for name in periods}
    obj["media_skipped"] = media
    obj["disguised"] = brand_truth.disguised
    obj["decoys"] = [{"kind": k, "value": v} for k, v in decoys]
    domains = {v.split("@")[1] for s in shots for k, v in s.values if k == "email"}
    obj["shared_email_domains"] = sorted(d for d in domains if d == WEBMAIL)  # one domain, many operators' addresses
    obj["label_dependent"] = {name: brand_truth.label_dependent(name) for name in periods}
    (truth_dir / "attribution.json").write_text(json.dumps(obj, indent=2) + "\n", encoding="utf-8")
    return obj
