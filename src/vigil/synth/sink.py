"""Writing a world's reports: report IDs, exact re-sends, bad rows, progress.

Shared by the §3 and §4 worlds. A family (one site's reports) is committed at once: each
stored report becomes a row in its source's file (spelt with the dirt of docs/synthetic-world.md),
sometimes sent twice, sometimes followed by a bad row with exactly one problem.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from vigil.synth import dirt, names
from vigil.synth.files import FileSet, FileSpec, Row, Writer, prepare
from vigil.synth.truth import Rec

SPELLED_RATE = 0.3  # rows whose URL is spelled other than canonically
DUPLICATE_RATE = 0.015  # exact re-sends, per report
BAD_ROW_RATE = 0.006  # rows with one problem, per report


class ReportSink:
    """The writers of one world and their counters."""

    def __init__(self, out: Path, seed: int, files: FileSet, boundaries: Sequence[int],
                 progress: Callable[[int], None] | None, *, dirt_level: float = 1.0) -> None:  # fmt: skip
        self.files = files
        # --dirt: 1 is the default world; above it more rows are spelled differently, with more
        # kinds of spelling (dirt.EXTRA_SPELLINGS), and re-sends and bad rows are more frequent.
        self.spelled = min(SPELLED_RATE * dirt_level, 0.95)
        self.extra_spellings = dirt_level > 1.0
        self.duplicate_rate = min(DUPLICATE_RATE * dirt_level, 0.2)
        self.bad_row_rate = min(BAD_ROW_RATE * dirt_level, 0.05)
        self.boundaries = list(boundaries)
        self.progress = progress
        self.dirt = random.Random(f"{seed}:dirt")
        self.writers = {
            spec.name: Writer(out / "reports" / spec.name, spec, random.Random(f"{seed}:{spec.name}"))
            for spec in files.specs
        }
        self.ids: Counter[str] = Counter()
        self.rows = self.stored = self.duplicates = self.quarantined = 0
        self.pending_reasons = list(dirt.REASONS)
        self.long_url_done = False
        self.kind_rows: Counter[str] = Counter()
        self._reported = 0

    def commit(self, recs: Sequence[Rec], *, kind: str, with_dirt: bool = True) -> None:
        """Write one family's reports (``recs`` in time order)."""
        before = self.rows
        for rec in recs:
            spec = self.files.route(rec.source, rec.ts)
            if not spec.actioned:
                rec.actioned = None
            if spec.has_ids:
                self.ids[rec.source] += 1
                rec.report_id = names.report_id(rec.source, self.ids[rec.source])
            row = self._row(rec, spec)
            self._add(spec, row)
            self.stored += 1
            if with_dirt and spec.has_ids and self.dirt.random() < self.duplicate_rate:
                self._add(spec, row)
                self.duplicates += 1
            if with_dirt and (self.pending_reasons or self.dirt.random() < self.bad_row_rate):
                self._bad_row(rec)
        self.kind_rows[kind] += self.rows - before
        if self.progress is not None and self.rows - self._reported >= 1000:
            self._reported = self.rows
            self.progress(self.rows)

    def _row(self, rec: Rec, spec: FileSpec) -> Row:
        url = dirt.spell_url(rec.url, rec.host.unicode_name, self.dirt, dirty=self.spelled, extra=self.extra_spellings)
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
        spec = self.files.route(rec.source, rec.ts)
        if reason in dirt.JSONL_ONLY and not spec.jsonl:
            spec = self.files.route("HL-C", rec.ts)
        elif reason in dirt.CSV_ONLY and spec.jsonl:
            spec = self.files.route("HL-A", rec.ts)
        report_id = ""
        if spec.has_ids:
            self.ids[spec.source] += 1
            report_id = names.report_id(spec.source, self.ids[spec.source])
        copy = Rec(rec.ts, rec.url, rec.host, spec.source, report_id, rec.ip, rec.org, rec.commercial,
                   rec.site_type, rec.payment_types, rec.notes, rec.date_only, rec.actioned if spec.actioned else None)
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

    def close(self) -> list[dict[str, object]]:
        """Flush every file; the quarantine truth, file by file in the order of the file set."""
        quarantine: list[dict[str, object]] = []
        for spec in self.files.specs:
            writer = self.writers[spec.name]
            writer.close()
            quarantine += [{"file": f"reports/{spec.name}", "line": line, "reason": reason}
                           for line, reason in sorted(writer.quarantine)]  # fmt: skip
        return quarantine
