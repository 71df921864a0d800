"""``generate_world``: write a synthetic world of hotline reports and its ground truth.

The world is built one site family at a time (docs/synthetic-world.md): a family is
generated, fitted to the calibration targets that are still open, written to the report
files (with its dirt: spellings, re-sends, bad rows) and added to the truth tables, then
dropped. Memory stays bounded by the largest family, the writers' shuffle buffers and
the truth's small tables, whatever the number of reports.
"""

from __future__ import annotations

import functools
import json
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from vigil.synth.captures.brands import TemplateBook, assign_brands, s3_distributors
from vigil.synth.captures.build import UrlSampler, build_captures
from vigil.synth.captures.truth import ReportCounts
from vigil.synth.files import FILES, S3_FILES
from vigil.synth.hosting import (
    build_orgs,
    orgs_by_country,
)
from vigil.synth.hosting_world import calibration
from vigil.synth.hosting_world.calibration import (
    CALIBRATED_QUARTER,
    DEFAULT_REPORTS,
    QUARTER_TOTALS,
    QUARTERS,
)
from vigil.synth.hosting_world.families import FamilyFactory
from vigil.synth.outputs import (
    WorldSummary,
    capture_description,
    summary,
    write_common,
)
from vigil.synth.readme import world_description
from vigil.synth.sink import ReportSink
from vigil.synth.truth import NO_ORG, FamilyView, HostingTruth, Rec, quarter_usage

NOISE_SHARE = 0.11  # share of rows from families never reported as commercial
Key = tuple[int, str, str]  # (quarter index, site type, country)
#: Periods of truth/attribution.json (`vigil stats brands --period P`).
BRAND_PERIODS = ("2012", "2011", "2009-06-01..2012-12-31")


class Quotas:
    """Calibration targets still open, by (quarter, site type, country)."""

    def __init__(self, targets: dict[Key, int]) -> None:
        self.targets = dict(targets)
        self.left = dict(targets)
        self.by_type: dict[tuple[int, str], int] = {}  # open URLs per (quarter, site type)
        self.cells: dict[tuple[int, str], dict[str, int]] = {}  # ... and per country
        for (q, site_type, country), n in targets.items():
            self.by_type[(q, site_type)] = self.by_type.get((q, site_type), 0) + n
            self.cells.setdefault((q, site_type), {})[country] = n
        self.open = sum(targets.values())

    def total(self) -> int:
        return self.open

    def draw_family(self, rng: random.Random) -> tuple[str, list[int]]:
        keys = [k for k, n in self.by_type.items() if n > 0]
        q, site_type = rng.choices(keys, [self.by_type[k] for k in keys])[0]
        quarters = [q]
        for chance in (0.3, 0.12):
            nxt = quarters[-1] + 1
            if nxt < len(QUARTERS) and self.by_type.get((nxt, site_type), 0) > 0 and rng.random() < chance:
                quarters.append(nxt)
        return site_type, quarters

    def draw_country(self, q: int, site_type: str, rng: random.Random) -> str:
        cells = self.cells.get((q, site_type), {})
        open_cells = [(c, n) for c, n in cells.items() if n > 0]
        if not open_cells:  # nothing left here: the family will be trimmed to fit
            open_cells = [(c, self.targets[(q, site_type, c)]) for c in cells]
        if not open_cells:
            return "US"
        return rng.choices([c for c, _ in open_cells], [n for _, n in open_cells])[0]

    def take(self, used: Counter[Key]) -> None:
        for (q, site_type, country), n in used.items():
            self.left[(q, site_type, country)] -= n
            self.by_type[(q, site_type)] -= n
            self.cells[(q, site_type)][country] -= n
            self.open -= n


class _Run:
    """One generation: writers, counters, truth."""

    def __init__(self, out: Path, seed: int, reports: int, progress: Callable[[int], None] | None,
                 dirt: float = 1.0) -> None:  # fmt: skip
        self.out = out
        self.dirt = dirt
        self.seed = seed
        self.target_rows = reports
        self.progress = progress
        self.orgs = build_orgs()
        self.bounds = calibration.quarter_bounds()
        self.boundaries = [s for s, _ in self.bounds] + [self.bounds[-1][1]]
        self.rng = random.Random(seed)
        self.factory = FamilyFactory(
            random.Random(f"{seed}:families"), self.orgs, orgs_by_country(self.orgs), self.boundaries,
            salt=self.rng.randrange(1 << 22),
        )
        self.quotas = Quotas(calibration.targets(reports / DEFAULT_REPORTS))
        self.truth = HostingTruth()
        self.sink = ReportSink(out, seed, S3_FILES, self.boundaries, progress, dirt_level=dirt)
        self.families = self.urls = 0
        self.counts = ReportCounts(BRAND_PERIODS)
        self.actioned_rng = random.Random(f"{seed}:actioned")
        self.sampler = UrlSampler(captured_urls(reports), random.Random(f"{seed}:sampler"), until=self.boundaries[8])

    # ------------------------------------------------------------------ fitting
    def country(self, org: int) -> str:
        return self.orgs[org].country if org != NO_ORG else "unknown"

    def fit(self, recs: list[Rec]) -> tuple[list[Rec], Counter[Key]] | None:
        """Drop URLs until the family's commercial URLs fit the open targets."""
        for _ in range(6):
            usage = quarter_usage(FamilyView(recs), self.bounds)
            keys = {url: [(q, t, self.country(org)) for q, t, org in used] for url, used in usage.items()}
            need: Counter[Key] = Counter(k for ks in keys.values() for k in ks)
            over = {k: n - self.quotas.left.get(k, 0) for k, n in need.items() if n > self.quotas.left.get(k, 0)}
            if not over:
                return recs, need
            drop: set[str] = set()
            for key, excess in over.items():
                holders = [url for url, ks in keys.items() if key in ks and url not in drop]
                drop.update(self.rng.sample(holders, min(excess, len(holders))))
            recs = [r for r in recs if r.url not in drop]
            if not recs:
                return None
        return None

    # ------------------------------------------------------------------ writing
    def commit(self, recs: list[Rec], *, kind: str, with_dirt: bool = True) -> None:
        view = FamilyView(recs)
        self.truth.add(view, self.orgs)
        self.families += 1
        self.urls += len(view.by_url)
        for rec in view.recs:
            if rec.source in ("HL-A", "HL-C"):  # the sources that state `actioned` (their files carry it)
                rec.actioned = True if rec.commercial else (False if self.actioned_rng.random() < 0.5 else None)
        self.sink.commit(view.recs, kind=kind, with_dirt=with_dirt)
        self.counts.add(view.recs)
        self.sampler.offer(view)

    # --------------------------------------------------------------- the world
    def noise_window(self) -> tuple[int, int]:
        q = self.rng.choices(range(len(QUARTERS)), [QUARTER_TOTALS[q] for q in QUARTERS])[0]
        return self.bounds[q]

    def run(self) -> None:
        quotas, factory = self.quotas, self.factory
        initial = quotas.total()
        stop_at = int(initial * 0.06)
        failures = 0
        while quotas.total() > stop_at and failures < 40:
            site_type, quarters = quotas.draw_family(self.rng)
            recs = factory.bulk(site_type, quarters, functools.partial(self._draw_country, site_type=site_type))
            fitted = self.fit(recs)
            if fitted is None:
                failures += 1
                continue
            failures = 0
            quotas.take(fitted[1])
            self.commit(fitted[0], kind="bulk")
            while self.sink.kind_rows["noise"] < self.noise_due(initial):
                self._noise()
        for key in sorted(k for k, n in quotas.left.items() if n > 0):
            q, site_type, country = key
            while quotas.left[key] > 0:
                n = min(quotas.left[key], self.rng.randint(1, 4))
                recs = factory.fill(site_type, q, country, n)
                fitted = self.fit(recs)
                if fitted is None or fitted[1] != Counter({key: n}):
                    raise RuntimeError(f"synthetic world: fill family for {key} came out as {fitted and fitted[1]}")
                quotas.take(fitted[1])
                self.commit(recs, kind="fill")
        while self.sink.rows < self.target_rows:
            self._noise(exact=True)

    def _draw_country(self, q: int, *, site_type: str) -> str:
        return self.quotas.draw_country(q, site_type, self.rng)

    def noise_due(self, initial: int) -> float:
        """Noise rows to have written by now: NOISE_SHARE of the world, less if the
        commercial families look like they will need more than their share."""
        done = (initial - self.quotas.total()) / initial if initial else 1.0
        commercial = self.sink.kind_rows["bulk"] + self.sink.kind_rows["fill"]
        projected = commercial / done if done else 0.0
        budget = min(NOISE_SHARE * self.target_rows, self.target_rows - 1.04 * projected)
        return max(0.0, budget) * done

    def _noise(self, *, exact: bool = False) -> None:
        start, end = self.noise_window()
        wanted = None
        if exact:
            wanted = min(self.target_rows - self.sink.rows, 1 + int(self.rng.expovariate(1 / 3.0)))
        recs = self.factory.noise(start, end, wanted)
        self.commit(recs, kind="top-up" if exact else "noise", with_dirt=not exact)

    def finish(self, *, decoys: float, mutations: float, namespace: int | None = None) -> WorldSummary:
        quarantine = self.sink.close()
        self._check_calibration()
        distributors = s3_distributors(self.boundaries[0], self.boundaries[8])
        demands = self.sampler.demands()
        book = TemplateBook(random.Random(f"{self.seed}:book"))
        assign_brands(demands, distributors, book, random.Random(f"{self.seed}:brands"))
        capture = build_captures(self.out, demands, distributors, seed=self.seed, decoys=decoys, mutations=mutations,
                                 counts=self.counts, periods=BRAND_PERIODS, namespace=namespace)  # fmt: skip
        sink = self.sink
        truth_dir = self.out / "truth"
        self.truth.write(truth_dir / "hosting.json")
        write_common(self.out, quarantine, sink)
        world = world_description(
            seed=self.seed, rows=sink.rows, requested=self.target_rows, families=self.families, urls=self.urls,
            targets=self.quotas.targets, result=self.truth.invocation(CALIBRATED_QUARTER),
            files=[s.name for s in FILES], rows_by_kind=dict(sink.kind_rows),
        )  # fmt: skip
        if self.dirt != 1.0:
            world["dirt"] = self.dirt
        world["captures"] = capture_description(capture, decoys=decoys, mutations=mutations)
        (truth_dir / "world.json").write_text(json.dumps(world, indent=2) + "\n", encoding="utf-8")
        if self.progress is not None:
            self.progress(sink.rows)
        return summary(self.out, self.seed, sink, capture, files=len(FILES), families=self.families, urls=self.urls,
                       profile="s3")  # fmt: skip

    def _check_calibration(self) -> None:
        q = QUARTERS.index(CALIBRATED_QUARTER)
        table = self.truth.tables[CALIBRATED_QUARTER][0]
        want = {(t, c): n for (qq, t, c), n in self.quotas.targets.items() if qq == q}
        if dict(table.type_country) != want:
            raise RuntimeError("synthetic world: the truth does not match the calibration targets")


def captured_urls(reports: int) -> int:
    """How many URLs the §3 world captures: a function of its size only (never of the seed)."""
    return max(24, min(400, reports // 50))


def generate_hosting_world(out: Path, *, seed: int, rows: int, progress: Callable[[int], None] | None,
                           decoys: float, mutations: float, namespace: int | None, dirt: float = 1.0) -> WorldSummary:  # fmt: skip
    """Write the §3 world's reports, captures and truth into ``out`` (prepared by
    :func:`~vigil.synth.generate_world`, which checks the arguments); ``dirt`` above 1 makes
    the dirtier feed (:class:`~vigil.synth.sink.ReportSink`)."""
    run = _Run(out, seed, rows, progress, dirt)
    run.run()
    return run.finish(decoys=decoys, mutations=mutations, namespace=namespace)


__all__ = ["generate_hosting_world"]
