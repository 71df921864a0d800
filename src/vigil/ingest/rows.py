"""The tabular inputs of the assessment (estimates, search volumes, test purchases), as one
:class:`~vigil.ingest.pipeline.Kind` each, described by a :class:`RowSpec`.

The pipeline does the rest exactly as for reports: per file a SHA-256 checkpoint, per commit
unit the rows, their quarantined records and the checkpoint together. A file already
ingested whole is skipped; a row whose natural key is already stored (or repeated in the
unit) counts as a duplicate and stores nothing, so re-ingesting changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from vigil.defaults import ROW_BATCH
from vigil.errors import InvalidRecord
from vigil.ingest.pipeline import Ingest, Input, Kind, Opened, TableSpec, Unit
from vigil.ingest.readers import RawRecord, RecordSource, excerpt, open_records
from vigil.store.handle import StoreHandle

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


class RowKind(Kind):
    """Files of one :class:`RowSpec`: one row per record, keyed by the spec's natural key."""

    def __init__(self, spec: RowSpec) -> None:
        self.spec = spec
        self.name, self.quarantine_kind = spec.kind, spec.quarantine_kind
        self.table = TableSpec(spec.table, pa.schema(list(spec.schema) + [pa.field(n, t) for n, t in _PROVENANCE]), spec.key)
        self.tables = (self.table,)

    def open(self, item: Input) -> Opened:
        source = open_table(item.path, required=self.spec.required)
        return Opened(source.records, source.position, source.close)

    def take(self, record: RawRecord, unit: Unit) -> None:
        problem = record.problem
        if problem is None and record.fields is not None:
            try:
                row = dict(zip(self.spec.schema.names, self.spec.parse(record.fields)))
            except InvalidRecord as exc:
                problem = exc
            else:
                unit.keep(self.table.name, tuple(row[k] for k in self.spec.key), {**row, "source_line": record.line})
                return
        assert problem is not None
        unit.reject(record.line, problem.code, problem.reason, excerpt(record.raw))


class RowIngest(Ingest):
    """Ingests files of one :class:`RowSpec` into a store; one instance per command run."""

    def __init__(self, store: StoreHandle, spec: RowSpec, *, batch_size: int = DEFAULT_BATCH) -> None:
        super().__init__(store, RowKind(spec), batch_size=batch_size)
        self.spec = spec


__all__ = ["DEFAULT_BATCH", "RowIngest", "RowKind", "RowSpec", "open_table"]
