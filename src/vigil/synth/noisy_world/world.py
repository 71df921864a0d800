"""The noisy world: a small §4-style world that is hard in the ways real pages are.

Built on the §4 machinery (reports around the captured sites from
:mod:`vigil.synth.brand_world.world`; shots, identifiers and truth from
:mod:`vigil.synth.captures`),
2011-2012, about a thousand captures:

* **loads that differ** — every capture of a page is another load: advertisements and
  trackers come and go, a cookie banner, blocks left out or in another order, whitespace
  and attribute order (:mod:`vigil.synth.noisy_world.loads`); URLs are captured again more often;
* **brands altered** from an operator's base layout: most families have redesigns;
* **kits sold to several operators**: three kits, each run by two or three distributors,
  whose pages without identifiers cannot be told apart — the truth leaves them
  unattributed (``distributor`` null, the template's ``candidates`` and the real
  ``operator`` recorded apart) as docs/attribution.md's rules must;
* **every identifier spelling** of :data:`~vigil.synth.noisy_world.loads.SPELLINGS`, each family
  behind a switch (``spellings``; default all), recorded per page in ``truth/loads.jsonl``;
* **heavy decoys**: three times the s4 world's shared checkouts and counters, ad-network
  trackers and a hosting company's abuse address on many unrelated sites;
* **disguised sites**: one captured URL in six shows a cover page without a referrer.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from vigil.errors import ConfigError
from vigil.synth.brand_world.inputs import write_inputs
from vigil.synth.brand_world.plan import month_start
from vigil.synth.brand_world.world import BrandRun, year_bounds
from vigil.synth.captures.brands import (
    Brand,
    Demand,
    Distributor,
    Template,
    TemplateBook,
    new_brand,
)
from vigil.synth.captures.build import CaptureSummary, label_templates
from vigil.synth.captures.files import write_captures
from vigil.synth.captures.identifiers import IdentifierFactory, Value
from vigil.synth.captures.schedule import Shot, assign_identifiers, schedule
from vigil.synth.captures.truth import (
    BrandTruth,
    ReportCounts,
    link_distributors,
    write_truth,
)
from vigil.synth.files import FILES_S4
from vigil.synth.noisy_world.loads import ALL_SPELLINGS, Load, plan_load, render_load
from vigil.synth.outputs import WorldSummary, capture_description, summary, write_common

PERIODS = ("2012", "2011", "2011-01-01..2012-12-31")
FIRST, LAST = 19, 42  # January 2011 - December 2012 (months from June 2009)
#: Distributors: first and last month.
WINDOWS = ((19, 42), (19, 42), (20, 41), (19, 36), (24, 42), (19, 33), (27, 42), (21, 40), (30, 42))
KITS = 3
BARE_KIT_SHARE = 0.2  # pages of a shared kit shown without identifiers


def _plan(rng: random.Random) -> tuple[list[Distributor], list[tuple[Brand, int]]]:
    """Distributors, their own families with redesigns, shared kits; each brand's URLs by month."""
    book = TemplateBook(rng, kit_share=0.0)
    dists = [Distributor(i, f"D{i + 1:02d}", month_start(a), month_start(b + 1)) for i, (a, b) in enumerate(WINDOWS)]
    urls: list[tuple[Brand, int]] = []

    def run(template: Template, dist: Distributor, a: int, b: int) -> None:
        brand = new_brand(template, dist, month_start(a), month_start(b + 1))
        urls.extend((brand, rng.randint(a, b)) for _ in range(rng.randint(8, 15)))
        urls.append((brand, a))

    for dist, (lo, hi) in zip(dists, WINDOWS):
        for _ in range(rng.choice((2, 2, 3))):
            template = book.new_family(dist)
            a = rng.randint(lo, max(lo, hi - 8))
            while True:
                b = min(hi, a + rng.randint(3, 9))
                redesign = b < hi and rng.random() < 0.65
                run(template, dist, a, b)
                if not redesign:
                    break
                template, a = book.redesign(template), b + 1
    for k in range(KITS):
        owner = dists[k * 3]
        kit = book.new_family(owner)
        kit.kit = True
        buyers = [owner, *rng.sample([d for d in dists if d is not owner], rng.choice((1, 2)))]
        for dist in buyers:
            lo, hi = WINDOWS[dist.index]
            a = rng.randint(max(lo, FIRST + 2 * (dist is not owner)), hi - 3)
            run(kit, dist, a, min(hi, a + rng.randint(4, 10)))
    return dists, sorted(urls, key=lambda u: (u[1], u[0].distributor.index, u[0].template.family, u[0].template.version))


def build_noisy_captures(out: Path, run: BrandRun, demands: list[Demand], distributors: list[Distributor], *, seed: int,
                         decoys: float, mutations: float, spellings: Collection[str],
                         namespace: int | None) -> tuple[CaptureSummary, dict[int, list[str]], Counter[str]]:  # fmt: skip
    """Shots, identifiers, spellings and decoy blocks, the truth check, then the pages and truth files."""
    shots = schedule(demands, random.Random(f"{seed}:noisy-shots"), disguise_every=6, recapture_every=2, noid_share=0.1)
    label_templates(shots)
    users: dict[str, set[str]] = {}
    for shot in shots:
        if shot.brand is not None:
            users.setdefault(shot.brand.template.label, set()).add(shot.brand.distributor.label)
    rng = random.Random(f"{seed}:noisy-bare")
    seen: set[tuple[str, str]] = set()
    for shot in shots:  # bare pages of a kit several operators run
        if shot.brand is None or len(users[shot.brand.template.label]) < 2:
            continue
        key = (shot.brand.template.label, shot.brand.distributor.label)
        shot.noid = key in seen and rng.random() < BARE_KIT_SHARE
        seen.add(key)
    ids = IdentifierFactory(random.Random(f"{seed}:noisy-ids"), seed, namespace)
    placed = assign_identifiers(shots, distributors, ids, random.Random(f"{seed}:noisy-assign"), decoys=3.0 * decoys)
    load_rng = random.Random(f"{seed}:noisy-loads")
    loads: dict[int, Load] = {id(s): plan_load(s, load_rng, spellings, decoys=decoys) for s in shots}
    linking = link_distributors(shots)
    if linking.problems:
        raise RuntimeError(f"synthetic world: the distributor rules do not give back the noisy world's distributors: {linking.problems}")
    files = write_captures(out, shots, seed=seed, mutations=mutations, namespace=namespace,
                           media_every=max(10, min(90, len(shots) // 6)),
                           render_page=lambda shot, r: render_load(shot, loads[id(shot)], r, mutations=mutations))  # fmt: skip
    commercial = {d.url: d.commercial_ts for d in demands}
    all_decoys: set[Value] = {v for s in shots for v in s.decoys} | set(placed)
    attribution = write_truth(out / "truth", shots, BrandTruth(shots, commercial, run.counts), periods=PERIODS,
                              media=files.media, decoys=sorted(all_decoys))  # fmt: skip
    group_label: dict[int, str] = {}
    for i, group in linking.group_of.items():
        brand = shots[i].brand
        assert brand is not None
        group_label[group] = brand.distributor.label
    undecided = {i: sorted({group_label[g] for g in groups}) for i, groups in linking.undecided.items()}
    _rewrite_truth(out / "truth", shots, undecided, loads)
    brands = {s.brand.label for s in shots if s.brand}
    summary_ = CaptureSummary(
        captures=files.pages, media=files.media, templates=len({s.brand.template.label for s in shots if s.brand}),
        brands=len(brands), distributors=len({s.brand.distributor.label for s in shots if s.brand}),
        decoys_dropped=False, bytes=files.bytes, attribution=attribution, shots=tuple(shots),
    )  # fmt: skip
    spelled = Counter(f"{kind}:{how}" for load in loads.values() for kind, how in load.spelled.items())
    return summary_, undecided, spelled


def _rewrite_truth(truth: Path, shots: Sequence[Shot], undecided: dict[int, list[str]], loads: dict[int, Load]) -> None:
    """What is knowable: a bare page of a shared kit has no distributor (and the kit's
    unattributed brand); its real operator and the candidates are kept apart. The spellings
    and decoy blocks of every load go to loads.jsonl."""
    path = truth / "captures.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for i, row in enumerate(rows):
        if i in undecided:
            row.update(brand=f"{row['template']}.unattributed", distributor=None, operator=row["distributor"],
                       candidates=undecided[i])  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with open(truth / "loads.jsonl", "w", encoding="utf-8") as handle:
        for shot in shots:
            load = loads[id(shot)]
            handle.write(json.dumps({"capture_id": shot.capture_id, "spellings": load.spelled,
                                     "ad_network": load.network, "host_badge": load.badge}) + "\n")  # fmt: skip


def generate_noisy_world(out: Path, *, seed: int, progress: Callable[[int], None] | None, decoys: float, mutations: float,
                   namespace: int | None = None, spellings: Collection[str] | None = None) -> WorldSummary:  # fmt: skip
    enabled = frozenset(ALL_SPELLINGS if spellings is None else spellings)
    unknown = enabled - ALL_SPELLINGS
    if unknown:
        raise ConfigError(f"unknown spellings {sorted(unknown)}; known: {sorted(ALL_SPELLINGS)}")
    run = BrandRun(out, seed, progress)
    run.counts = ReportCounts(PERIODS)  # the noisy world's own periods
    dists, urls = _plan(random.Random(f"{seed}:noisy-plan"))
    demands = run.brand_sites(urls)
    for year in (2011, 2012):
        start, end = year_bounds(year)
        run.background("commercial", 150, start, end)
        run.background("actioned", 250, start, end)
        run.fill_reports(year, run.year_reports[year] + 600)
    quarantine = run.sink.close()
    capture, undecided, spelled = build_noisy_captures(out, run, demands, dists, seed=seed, decoys=decoys, mutations=mutations,
                                              spellings=enabled, namespace=namespace)  # fmt: skip
    run.hosting.write(out / "truth" / "hosting.json")
    write_common(out, quarantine, run.sink)
    inputs = write_inputs(out, capture.shots, seed)
    world = {
        "generator": "vigil.synth", "profile": "noisy", "seed": seed, "rows": run.sink.rows,
        **({"namespace": namespace} if namespace is not None else {}),
        "period": {"start": "2011-01-01", "end": "2013-01-01"}, "files": [f"reports/{s.name}" for s in FILES_S4],
        "rows_by_family_kind": dict(run.sink.kind_rows), "families": run.families, "urls": run.urls,
        "captures": capture_description(capture, decoys=decoys, mutations=mutations),
        "spellings": sorted(enabled), "spelled": dict(sorted(spelled.items())),
        "unattributed_kit_pages": len(undecided), "inputs": inputs,
    }  # fmt: skip
    (out / "truth" / "world.json").write_text(json.dumps(world, indent=2) + "\n", encoding="utf-8")
    if progress is not None:
        progress(run.sink.rows)
    return summary(out, seed, run.sink, capture, files=len(FILES_S4), families=run.families, urls=run.urls, profile="noisy")

