"""Report ingest: files → validated reports and quarantine, through the one ingest pipeline.

Reports are keyed by ``(source, report_id)`` (``report_key``); a key already stored, or
repeated in the same commit unit, counts as a duplicate and stores nothing. Batching,
checkpoints, resuming and skipping finished files are :mod:`vigil.ingest.pipeline`'s.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

from vigil.defaults import ROW_BATCH
from vigil.errors import InvalidRecord
from vigil.ingest.pipeline import (
    INPUT_SUFFIXES,
    Ingest,
    Input,
    Kind,
    Opened,
    TableSpec,
    Unit,
    expand_inputs,
)
from vigil.ingest.readers import RawRecord, excerpt, open_records
from vigil.ingest.validate import parse_report
from vigil.model import Report
from vigil.store.handle import StoreHandle

DEFAULT_BATCH = ROW_BATCH

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
REPORTS = TableSpec("reports", REPORT_SCHEMA, key=("report_key",))
_FIELDS = Report._fields


class ReportKind(Kind):
    """Report files (CSV/TSV/JSON Lines, plain or gzip): one report per record."""

    name = "reports"
    quarantine_kind = "report"
    tables = (REPORTS,)
    progress_in_bytes = True

    def __init__(self, default_source: str | None = None) -> None:
        self.default_source = default_source

    def open(self, item: Input) -> Opened:
        source = open_records(item.path)
        return Opened(source.records, source.position, source.close)

    def take(self, record: RawRecord, unit: Unit) -> None:
        problem = record.problem
        if problem is None and record.fields is not None:
            try:
                report = parse_report(record.fields, default_source=self.default_source)
            except InvalidRecord as exc:
                problem = exc
            else:
                unit.keep(REPORTS.name, report.report_key, {**dict(zip(_FIELDS, report)), "source_line": record.line})
                return
        assert problem is not None
        unit.reject(record.line, problem.code, problem.reason, excerpt(record.raw))


class ReportIngest(Ingest):
    """Ingests report files into a store; one instance per command run."""

    def __init__(self, store: StoreHandle, *, default_source: str | None = None, batch_size: int = DEFAULT_BATCH,
                 progress: Callable[[int], None] | None = None, kind: ReportKind | None = None) -> None:  # fmt: skip
        super().__init__(store, kind or ReportKind(default_source), batch_size=batch_size, progress=progress)


__all__ = ["DEFAULT_BATCH", "INPUT_SUFFIXES", "REPORTS", "REPORT_SCHEMA", "ReportIngest", "ReportKind", "expand_inputs"]
