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
from dataclasses import dataclass
from pathlib import Path

from vigil.errors import ConfigError
from vigil.synth import calibration, dirt, names
from vigil.synth.calibration import (
    CALIBRATED_QUARTER,
    DEFAULT_REPORTS,
    QUARTER_TOTALS,
    QUARTERS,
)
from vigil.synth.families import FamilyFactory
from vigil.synth.files import FILES, FileSpec, Row, Writer, prepare, route
from vigil.synth.hosting import (
    build_orgs,
    orgs_by_country,
    write_iptoasn,
    write_shared_services,
)
from vigil.synth.readme import README, world_description
from vigil.synth.truth import NO_ORG, FamilyView, HostingTruth, Rec, quarter_usage

DUPLICATE_RATE = 0.015  # exact re-sends, per report
BAD_ROW_RATE = 0.006  # rows with one problem, per report
NOISE_SHARE = 0.11  # share of rows from families never reported as commercial
Key = tuple[int, str, str]  # (quarter index, site type, country)


@dataclass(frozen=True)
class WorldSummary:
    """Where a generated world is and how big it is."""

    out: Path
    reports_dir: Path
    ip_db: Path  # iptoasn.tsv
    shared_services: Path
    truth_dir: Path
    readme: Path
    seed: int
    rows: int  # rows in the report files (what an ingest reads)
    stored: int  # distinct reports
    duplicates: int  # exact re-sends
    quarantined: int  # rows with one problem
    files: int
    families: int
    urls: int


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

    def __init__(self, out: Path, seed: int, reports: int, progress: Callable[[int], None] | None) -> None:
        self.out = out
        self.seed = seed
        self.target_rows = reports
        self.progress = progress
        self.orgs = build_orgs()
        self.bounds = calibration.quarter_bounds()
        self.boundaries = [s for s, _ in self.bounds] + [self.bounds[-1][1]]
        self.rng = random.Random(seed)
        self.dirt = random.Random(f"{seed}:dirt")
        self.factory = FamilyFactory(
            random.Random(f"{seed}:families"), self.orgs, orgs_by_country(self.orgs), self.boundaries,
            salt=self.rng.randrange(1 << 22),
        )
        self.quotas = Quotas(calibration.targets(reports / DEFAULT_REPORTS))
        self.truth = HostingTruth()
        self.writers = {
            spec.name: Writer(out / "reports" / spec.name, spec, random.Random(f"{seed}:{spec.name}")) for spec in FILES
        }
        self.ids: Counter[str] = Counter()
        self.rows = self.stored = self.duplicates = self.quarantined = 0
        self.families = self.urls = 0
        self.pending_reasons = list(dirt.REASONS)
        self.long_url_done = False
        self.kind_rows: Counter[str] = Counter()
        self._reported = 0

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
        before = self.rows
        view = FamilyView(recs)
        self.truth.add(view, self.orgs)
        self.families += 1
        self.urls += len(view.by_url)
        for rec in view.recs:
            spec = route(rec.source, rec.ts)
            if spec.has_ids:
                self.ids[rec.source] += 1
                rec.report_id = names.report_id(rec.source, self.ids[rec.source])
            row = self._row(rec, spec)
            self._add(spec, row)
            self.stored += 1
            if with_dirt and spec.has_ids and self.dirt.random() < DUPLICATE_RATE:
                self._add(spec, row)
                self.duplicates += 1
            if with_dirt and (self.pending_reasons or self.dirt.random() < BAD_ROW_RATE):
                self._bad_row(rec)
        self.kind_rows[kind] += self.rows - before
        if self.progress is not None and self.rows - self._reported >= 1000:
            self._reported = self.rows
            self.progress(self.rows)

    def _row(self, rec: Rec, spec: FileSpec) -> Row:
        url = dirt.spell_url(rec.url, rec.host.unicode_name, self.dirt)
        when = dirt.render_time(rec.ts, date_only=rec.date_only, boundaries=self.boundaries, rng=self.dirt)
        return prepare(rec, spec, url, when, self.dirt)

    def _add(self, spec: FileSpec, row: Row) -> None:
        self.writers[spec.name].add(row)
        self.rows += 1

    def _bad_row(self, rec: Rec) -> None:
        pending = bool(self.pending_reasons)
        reason = self.pending_reasons.pop(0) if pending else self.dirt.choice(dirt.REASONS)
        if reason in ("bad_ip", "unknown_site_type") and rec.host.suffix == "invalid":
            # a hidden service's rows never carry an IP and always say hidden_service
            if pending:
                self.pending_reasons.append(reason)
            return
        spec = route(rec.source, rec.ts)
        if reason in dirt.JSONL_ONLY and not spec.jsonl:
            spec = route("HL-C", rec.ts)
        elif reason in dirt.CSV_ONLY and spec.jsonl:
            spec = route("HL-A", rec.ts)
        report_id = ""
        if spec.has_ids:
            self.ids[spec.source] += 1
            report_id = names.report_id(spec.source, self.ids[spec.source])
        copy = Rec(rec.ts, rec.url, rec.host, spec.source, report_id, rec.ip, rec.org, rec.commercial,
                   rec.site_type, rec.payment_types, rec.notes, rec.date_only)
        row = self._row(copy, spec)
        dirt.break_fields(reason, row.fields, jsonl=spec.jsonl, host=rec.host.name, ts=rec.ts, rng=self.dirt)
        if reason == "url_too_long" and not self.long_url_done:
            row.fields["url"] = dirt.long_url(rec.host.name, 100_000)
            self.long_url_done = True
        if reason == "bad_json":
            row.raw = dirt.bad_json_line(row.fields, self.dirt)
        if reason == "bad_row":
            row.extra = ("unexpected",) if self.dirt.random() < 0.7 else ("x", "y")
        row.reason = reason
        self._add(spec, row)
        self.quarantined += 1

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
            while self.kind_rows["noise"] < self.noise_due(initial):
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
        while self.rows < self.target_rows:
            self._noise(exact=True)

    def _draw_country(self, q: int, *, site_type: str) -> str:
        return self.quotas.draw_country(q, site_type, self.rng)

    def noise_due(self, initial: int) -> float:
        """Noise rows to have written by now: NOISE_SHARE of the world, less if the
        commercial families look like they will need more than their share."""
        done = (initial - self.quotas.total()) / initial if initial else 1.0
        commercial = self.kind_rows["bulk"] + self.kind_rows["fill"]
        projected = commercial / done if done else 0.0
        budget = min(NOISE_SHARE * self.target_rows, self.target_rows - 1.04 * projected)
        return max(0.0, budget) * done

    def _noise(self, *, exact: bool = False) -> None:
        start, end = self.noise_window()
        wanted = None
        if exact:
            wanted = min(self.target_rows - self.rows, 1 + int(self.rng.expovariate(1 / 3.0)))
        recs = self.factory.noise(start, end, wanted)
        self.commit(recs, kind="top-up" if exact else "noise", with_dirt=not exact)

    def finish(self) -> WorldSummary:
        quarantine: list[dict[str, object]] = []
        for spec in FILES:
            writer = self.writers[spec.name]
            writer.close()
            quarantine += [{"file": f"reports/{spec.name}", "line": line, "reason": reason}
                           for line, reason in sorted(writer.quarantine)]
        self._check_calibration()
        truth_dir = self.out / "truth"
        self.truth.write(truth_dir / "hosting.json")
        (truth_dir / "quarantine.jsonl").write_text(
            "".join(json.dumps(q) + "\n" for q in quarantine), encoding="utf-8"
        )
        ingest = {"rows_read": self.rows, "stored": self.stored, "duplicates": self.duplicates,
                  "quarantined": self.quarantined}
        (truth_dir / "ingest.json").write_text(json.dumps(ingest, indent=2) + "\n", encoding="utf-8")
        world = world_description(
            seed=self.seed, rows=self.rows, requested=self.target_rows, families=self.families, urls=self.urls,
            targets=self.quotas.targets, result=self.truth.invocation(CALIBRATED_QUARTER),
            files=[s.name for s in FILES],
            rows_by_kind=dict(self.kind_rows),
        )
        (truth_dir / "world.json").write_text(json.dumps(world, indent=2) + "\n", encoding="utf-8")
        (self.out / "README.txt").write_text(README, encoding="utf-8")
        if self.progress is not None:
            self.progress(self.rows)
        return WorldSummary(
            out=self.out, reports_dir=self.out / "reports", ip_db=self.out / "iptoasn.tsv",
            shared_services=self.out / "shared_services.csv", truth_dir=truth_dir, readme=self.out / "README.txt",
            seed=self.seed, rows=self.rows, stored=self.stored, duplicates=self.duplicates,
            quarantined=self.quarantined, files=len(FILES), families=self.families, urls=self.urls,
        )

    def _check_calibration(self) -> None:
        q = QUARTERS.index(CALIBRATED_QUARTER)
        table = self.truth.tables[CALIBRATED_QUARTER][0]
        want = {(t, c): n for (qq, t, c), n in self.quotas.targets.items() if qq == q}
        if dict(table.type_country) != want:
            raise RuntimeError("synthetic world: the truth does not match the calibration targets")


def generate_world(
    out: Path,
    *,
    seed: int = 2012,
    reports: int = DEFAULT_REPORTS,
    progress: Callable[[int], None] | None = None,
) -> WorldSummary:
    """Write a synthetic world to ``out`` (which must be empty or absent); same seed, same bytes.

    ``reports`` is the number of rows written under ``reports/`` (exactly, unless the
    calibrated commercial URLs alone need more, which happens only for tiny worlds).
    ``progress`` is called now and then with the number of rows written so far.
    """
    out = Path(out)
    if reports < 1:
        raise ConfigError(f"--reports must be at least 1, not {reports}")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"{out}: not an empty directory; give a new or empty --out directory")
    (out / "reports").mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(exist_ok=True)
    orgs = build_orgs()
    write_iptoasn(out / "iptoasn.tsv", orgs)
    write_shared_services(out / "shared_services.csv")
    run = _Run(out, seed, reports, progress)
    run.run()
    return run.finish()


__all__ = ["DEFAULT_REPORTS", "WorldSummary", "generate_world"]
