"""From captured URLs to capture files and the §4 truth: the part both worlds share.

:func:`build_captures` takes the URLs to capture (each with its brand), schedules the shots,
names the templates, puts the distributors' identifiers on the pages, checks that the
distributor rules give back the generator's distributors, writes the pages (streamed) and
the truth files. :class:`UrlSampler` picks the §3 world's captured URLs: a fixed number of
commercial URLs, uniformly from all its reports (reservoir sampling), so a world's files
have the same names whatever the seed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vigil.synth.captures.brands import Demand, Distributor
from vigil.synth.captures.files import write_captures
from vigil.synth.captures.identifiers import IdentifierFactory
from vigil.synth.captures.schedule import Shot, assign_identifiers, schedule
from vigil.synth.captures.truth import (
    BrandTruth,
    ReportCounts,
    link_distributors,
    write_truth,
)
from vigil.synth.truth import FamilyView

DAY = 86_400


@dataclass(frozen=True)
class CaptureSummary:
    """What :func:`build_captures` wrote."""

    captures: int  # HTML captures (cover pages included)
    media: int  # fake media entries the pipeline must skip unread
    templates: int
    brands: int
    distributors: int
    decoys_dropped: bool
    bytes: int
    attribution: dict[str, Any]
    shots: tuple[Shot, ...] = field(default=(), repr=False, compare=False)  # the pages, in time order


def label_templates(shots: Sequence[Shot]) -> None:
    """T0001, T0002, ... in order of each template's first capture."""
    n = 0
    for shot in shots:
        if shot.brand is not None and not shot.brand.template.label:
            n += 1
            shot.brand.template.label = f"T{n:04d}"


def build_captures(out: Path, demands: Sequence[Demand], distributors: Sequence[Distributor], *, seed: int,
                   decoys: float, mutations: float, counts: ReportCounts, periods: Sequence[str],
                   disguise_every: int = 14, namespace: int | None = None) -> CaptureSummary:  # fmt: skip
    shots = schedule(demands, random.Random(f"{seed}:shots"), disguise_every=disguise_every)
    label_templates(shots)
    dropped = False
    for attempt in (decoys, 0.0):
        ids = IdentifierFactory(random.Random(f"{seed}:ids"), seed, namespace)
        placed = assign_identifiers(shots, distributors, ids, random.Random(f"{seed}:assign"), decoys=attempt)
        problems = link_distributors(shots).problems
        if not problems:
            break
        if attempt == 0.0 or len(shots) > 200:  # only a tiny world may lack the room for decoys
            raise RuntimeError(f"synthetic world: the distributor rules do not give back the distributors: {problems}")
        dropped = True
    files = write_captures(out, shots, seed=seed, mutations=mutations, namespace=namespace,
                           media_every=max(10, min(90, len(shots) // 6)))  # fmt: skip
    commercial = {d.url: d.commercial_ts for d in demands}
    truth = BrandTruth(shots, commercial, counts)
    attribution = write_truth(out / "truth", shots, truth, periods=periods, media=files.media, decoys=placed)
    brands = {s.brand.label for s in shots if s.brand}
    return CaptureSummary(
        captures=files.pages, media=files.media, templates=len({s.brand.template.label for s in shots if s.brand}),
        brands=len(brands), distributors=len({s.brand.distributor.label for s in shots if s.brand}),
        decoys_dropped=dropped, bytes=files.bytes, attribution=attribution, shots=tuple(shots),
    )  # fmt: skip


class UrlSampler:
    """A fixed number of commercial URLs first reported before ``until``, uniformly (Algorithm R)."""

    def __init__(self, size: int, rng: random.Random, *, until: int) -> None:
        self.size = size
        self.rng = rng
        self.until = until
        self.seen = 0
        self.kept: list[Demand] = []
        self.site: dict[str, str] = {}

    def offer(self, view: FamilyView) -> None:
        for url, recs in view.by_url.items():
            commercial = tuple(r.ts for r in recs if r.commercial is True)
            if not commercial or commercial[0] >= self.until:
                continue
            self.seen += 1
            demand = Demand(url, recs[0].host.name, commercial[0], self.until, commercial, site=recs[0].host.label)
            if len(self.kept) < self.size:
                self.kept.append(demand)
            else:
                j = self.rng.randrange(self.seen)
                if j < self.size:
                    self.kept[j] = demand

    def demands(self) -> list[Demand]:
        return sorted(self.kept, key=lambda d: (d.ts, d.url))
