"""The batch loop shared by the assessment's tabular inputs (estimates, search volumes,
test purchases): per file a SHA-256 checkpoint, per batch one transaction holding the rows,
their quarantined records and the checkpoint, exactly as report ingest does. A file already
ingested whole is skipped; a row whose natural key is already stored (or repeated in the
batch) counts as a duplicate and stores nothing, so re-ingesting changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from vigil.ingest.readers import RawRecord, RecordSource, excerpt, open_records
from vigil.ingest.reports import expand_inputs
from vigil.model import QuarantineReason
from vigil.store import utcnow
from vigil.store.handle import DuckStoreHandle, StoreHandle

DEFAULT_BATCH = ROW_BATCH


def open_table(path: Path, *, required: Sequence[str]) -> RecordSource:
    """Records of a CSV/TSV/JSONL file (plain or gzip) whose CSV header must name ``required``."""
    return open_records(path, required=required)


@dataclass(frozen=True)
class RowSpec:
    """What one tabular input looks like: its table, columns, natural key and parser."""

    kind: str  # ingest_files.kind and ingest_batches.kind
    quarantine_kind: str
    table: str
    schema: pa.Schema  # the table's columns before the provenance columns
    key: tuple[str, ...]
    required: tuple[str, ...]
    parse: Callable[[dict[str, Any]], tuple[Any, ...]]


_PROVENANCE = [
    ("source_file", pa.string()), ("source_line", pa.int64()), ("file_sha256", pa.string()),
    ("batch_id", pa.string()), ("ingested_at", pa.timestamp("us")),
]  # fmt: skip


class RowIngest:
    """Ingests files of one :class:`RowSpec` into a store; one instance per command run."""

    def __init__(self, store: StoreHandle, spec: RowSpec, *, batch_size: int = DEFAULT_BATCH) -> None:
        self.store = store
        self.spec = spec
        self.batch_size = batch_size
        self.batch_id = uuid.uuid4().hex[:16]
        self._schema = pa.schema(list(spec.schema) + [pa.field(n, t) for n, t in _PROVENANCE])

    def _con(self) -> Any:
        """The DuckDB connection (the batch bookkeeping below runs on DuckDB only)."""
        if not isinstance(self.store, DuckStoreHandle):
            raise TypeError("batch bookkeeping needs a DuckDB store")
        return self.store.con

    def run(self, paths: Sequence[Path]) -> IngestSummary:
        if self.store.engine.name != "duckdb":  # Spark: one task per file, set-based dedupe
            from vigil.ingest.distributed import ingest_rows_distributed

            return ingest_rows_distributed(self.store, self.spec, paths)
        summary = IngestSummary(self.batch_id)
        begin_batch(self._con(), self.batch_id, self.spec.kind, paths)
        for path in expand_inputs(paths):
            summary.files.append(self._file(path))
        end_batch(self._con(), self.batch_id)
        return summary

    def _file(self, path: Path) -> FileSummary:
        start = start_file(self._con(), path, kind=self.spec.kind, batch_id=self.batch_id)
        result, sha, skip = start.result, start.sha, start.skip
        if skip is None:
            return result
        try:
            source = open_table(path, required=self.spec.required)
        except InputError as exc:
            result.status, result.error = "error", str(exc)
            return result
        consumed = 0
        rows: dict[tuple[Any, ...], tuple[tuple[Any, ...], int]] = {}
        quarantine: list[tuple[int, str, str, str]] = []
        counts = {"records": 0, "in_batch_duplicates": 0}
        try:
            for record in source.records:
                consumed += 1
                if consumed <= skip:
                    continue
                counts["records"] += 1
                self._take(record, rows, quarantine, counts)
                if counts["records"] >= self.batch_size:
                    self._commit(rows, quarantine, counts, path=str(path), sha=sha, consumed=consumed,
                                 result=result, completed=False)  # fmt: skip
                    rows, quarantine, counts = {}, [], {"records": 0, "in_batch_duplicates": 0}
        except InputError as exc:
            result.status, result.error = "error", str(exc)
            quarantine.append((1, QuarantineReason.BAD_FILE.value, str(exc), ""))
        finally:
            source.close()
        self._commit(rows, quarantine, counts, path=str(path), sha=sha, consumed=consumed, result=result, completed=True)
        return result

    def _take(self, record: RawRecord, rows: dict[tuple[Any, ...], tuple[tuple[Any, ...], int]],
              quarantine: list[tuple[int, str, str, str]], counts: dict[str, int]) -> None:  # fmt: skip
        problem = record.problem
        if problem is None and record.fields is not None:
            try:
                row = self.spec.parse(record.fields)
            except InvalidRecord as exc:
                problem = exc
            else:
                names = self.spec.schema.names
                key = tuple(row[names.index(k)] for k in self.spec.key)
                if key in rows:
                    counts["in_batch_duplicates"] += 1
                else:
                    rows[key] = (row, record.line)
                return
        assert problem is not None
        quarantine.append((record.line, problem.code, problem.reason, excerpt(record.raw)))

    def _commit(self, rows: dict[tuple[Any, ...], tuple[tuple[Any, ...], int]], quarantine: list[tuple[int, str, str, str]],
                counts: dict[str, int], *, path: str, sha: str, consumed: int, result: FileSummary,
                completed: bool) -> None:  # fmt: skip
        spec, con = self.spec, self._con()
        items = list(rows.values())
        columns: dict[str, list[Any]] = {name: [row[i] for row, _ in items] for i, name in enumerate(spec.schema.names)}
        columns.update(source_file=[path] * len(items), source_line=[line for _, line in items],
                       file_sha256=[sha] * len(items), batch_id=[self.batch_id] * len(items),
                       ingested_at=[utcnow()] * len(items))  # fmt: skip
        match = " AND ".join(f"t.{k} = b.{k}" for k in spec.key)
        con.execute("BEGIN TRANSACTION")
        try:
            stored = 0
            if items:
                con.register("_row_batch", pa.Table.from_pydict(columns, schema=self._schema))
                got = con.execute(
                    f"INSERT INTO {spec.table} SELECT b.* FROM _row_batch b "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {spec.table} t WHERE {match})"
                ).fetchone()
                con.unregister("_row_batch")
                stored = int(got[0]) if got else 0
            insert_quarantine(con, kind=spec.quarantine_kind, path=path, sha=sha, batch_id=self.batch_id, rows=quarantine)
            done = {
                "rows_read": counts["records"],
                "stored": stored,
                "duplicates": len(items) - stored + counts["in_batch_duplicates"],
                "quarantined": len(quarantine),
            }
            commit_progress(con, sha=sha, consumed=consumed, completed=completed, counts=done)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        add_counts(result, done)
