"""Report ingest: files → validated reports and quarantine, in crash-safe batches.

Each batch is one transaction holding its reports, its quarantined records and the file's
checkpoint (records consumed so far). A run killed at any point and started again resumes
after the last committed batch; a file already ingested whole (same sha256) is skipped.
Reports are keyed by ``(source, report_id)``; a key already stored, or repeated in the
same batch, counts as a duplicate and stores nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa

from vigil.defaults import ROW_BATCH
from vigil.errors import InputError, InvalidRecord
from vigil.ingest.checkpoint import (
    FileSummary,
    IngestSummary,
    add_counts,
    begin_batch,
    commit_progress,
    end_batch,
    insert_quarantine,
    start_file,
)
from vigil.ingest.readers import excerpt, open_records
from vigil.ingest.validate import parse_report
from vigil.model import QuarantineReason, Report
from vigil.store import utcnow
from vigil.store.handle import DuckStoreHandle

DEFAULT_BATCH = ROW_BATCH
INPUT_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".gz")

REPORT_SCHEMA = pa.schema(
    [
        ("report_key", pa.string()), ("report_id", pa.string()), ("source", pa.string()),
        ("reported_at", pa.timestamp("us")), ("url_original", pa.string()), ("url", pa.string()),
        ("host", pa.string()), ("ip", pa.string()), ("commercial", pa.bool_()), ("site_type", pa.string()),
        ("payment_types", pa.list_(pa.string())), ("notes", pa.string()), ("source_file", pa.string()),
        ("source_line", pa.int64()), ("file_sha256", pa.string()), ("batch_id", pa.string()),
        ("ingested_at", pa.timestamp("us")), ("actioned", pa.bool_()), ("channel", pa.string()),
    ]
)  # fmt: skip


def expand_inputs(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders expand to their input files, sorted by name."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(INPUT_SUFFIXES)))
        else:
            out.append(path)
    return out


class _Batch:
    """Reports and quarantined records waiting for the next commit."""

    def __init__(self) -> None:
        self.reports: dict[str, tuple[Report, int]] = {}
        self.quarantine: list[tuple[int, str, str, str]] = []
        self.in_batch_duplicates = 0
        self.records = 0

    def __len__(self) -> int:
        return self.records


def _report_table(batch: _Batch, *, path: str, sha: str, batch_id: str) -> pa.Table:
    now = utcnow()
    items = list(batch.reports.values())
    n = len(items)
    fields = ("report_key", "report_id", "source", "reported_at", "url_original", "url", "host", "ip",
              "commercial", "site_type", "payment_types", "notes", "actioned", "channel")  # fmt: skip
    columns = list(zip(*(report for report, _ in items))) if items else [()] * len(fields)
    cols: dict[str, object] = dict(zip(fields, columns))
    cols["source_line"] = [line for _, line in items]
    cols["source_file"] = [path] * n
    cols["file_sha256"] = [sha] * n
    cols["batch_id"] = [batch_id] * n
    cols["ingested_at"] = [now] * n
    return pa.Table.from_pydict(cols, schema=REPORT_SCHEMA)


class ReportIngest:
    """Ingests report files into a store; one instance per command run."""

    def __init__(self, store: DuckStoreHandle, *, default_source: str | None = None, batch_size: int = DEFAULT_BATCH,
                 progress: Callable[[int], None] | None = None) -> None:  # fmt: skip
        self.store = store
        self.default_source = default_source
        self.batch_size = batch_size
        self.progress = progress or (lambda advance: None)
        self.batch_id = uuid.uuid4().hex[:16]
        # One writer thread: batch N commits while batch N+1 is parsed (DuckDB releases the GIL).
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vigil-writer")
        self._pending: Future[None] | None = None

    def run(self, paths: Sequence[Path]) -> IngestSummary:
        summary = IngestSummary(self.batch_id)
        begin_batch(self.store.con, self.batch_id, "reports", paths)
        try:
            for path in expand_inputs(paths):
                summary.files.append(self._file(path))
        finally:
            self._wait()
            self._writer.shutdown()
        end_batch(self.store.con, self.batch_id)
        return summary

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def _submit(self, batch: _Batch, *, path: str, sha: str, consumed: int, result: FileSummary, completed: bool) -> None:
        table = _report_table(batch, path=path, sha=sha, batch_id=self.batch_id) if batch.reports else None
        self._wait()
        self._pending = self._writer.submit(
            self._commit, batch, table, path=path, sha=sha, consumed=consumed, result=result, completed=completed
        )

    def _file(self, path: Path) -> FileSummary:
        start = start_file(self.store.con, path, kind="reports", batch_id=self.batch_id)
        result, sha, size, skip = start.result, start.sha, start.size, start.skip
        if skip is None:
            if result.status == "already ingested":
                self.progress(size)
            return result
        try:
            source = open_records(path)
        except InputError as exc:
            result.status, result.error = "error", str(exc)
            return result
        consumed, reported = 0, 0
        batch = _Batch()
        try:
            for record in source.records:
                consumed += 1
                if consumed <= skip:
                    continue
                batch.records += 1
                self._take(record.line, record.fields, record.problem, record.raw, batch)
                if len(batch) >= self.batch_size:
                    self._submit(batch, path=str(path), sha=sha, consumed=consumed, result=result, completed=False)
                    batch = _Batch()
                    position = source.position()
                    self.progress(position - reported)
                    reported = position
        except InputError as exc:
            result.status, result.error = "error", str(exc)
            batch.quarantine.append((1, QuarantineReason.BAD_FILE.value, str(exc), ""))
        finally:
            source.close()
        self._submit(batch, path=str(path), sha=sha, consumed=consumed, result=result, completed=True)
        self._wait()
        self.progress(size - reported)
        return result

    def _take(self, line: int, fields: dict[str, object] | None, problem: InvalidRecord | None,
              text: str, batch: _Batch) -> None:  # fmt: skip
        if problem is None and fields is not None:
            try:
                report = parse_report(fields, default_source=self.default_source)
            except InvalidRecord as exc:
                problem = exc
            else:
                if report.report_key in batch.reports:
                    batch.in_batch_duplicates += 1
                else:
                    batch.reports[report.report_key] = (report, line)
                return
        assert problem is not None
        batch.quarantine.append((line, problem.code, problem.reason, excerpt(text)))

    def _commit(self, batch: _Batch, table: pa.Table | None, *, path: str, sha: str, consumed: int,
                result: FileSummary, completed: bool) -> None:  # fmt: skip
        con = self.store.con
        con.execute("BEGIN TRANSACTION")
        try:
            stored = 0
            if table is not None:
                con.register("_report_batch", table)
                got = con.execute(
                    "INSERT INTO reports SELECT b.* FROM _report_batch b "
                    "WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE r.report_key = b.report_key)"
                ).fetchone()
                con.unregister("_report_batch")
                stored = int(got[0]) if got else 0
            insert_quarantine(con, kind="report", path=path, sha=sha, batch_id=self.batch_id, rows=batch.quarantine)
            counts = {
                "rows_read": batch.records,
                "stored": stored,
                "duplicates": len(batch.reports) - stored + batch.in_batch_duplicates,
                "quarantined": len(batch.quarantine),
            }
            commit_progress(con, sha=sha, consumed=consumed, completed=completed, counts=counts)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        add_counts(result, counts)
