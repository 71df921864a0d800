"""One ingest for every input and both engines: read, parse or quarantine, de-duplicate, commit.

What differs between reports, captures and the tabular inputs is a :class:`Kind`: how its
inputs are found and opened, how one record is parsed into rows (or quarantined), and which
tables (:class:`TableSpec`) the rows go to, each with its natural key. Everything else is
written once, here, and runs on either engine:

* **per file**: its identity (SHA-256), the checkpoint that says whether it is done or how
  many records an interrupted run committed, and the records to skip before resuming;
* **per record**: ``Kind.take`` parses it into a :class:`Unit` or quarantines it with its
  reason; a key repeated inside the unit is a duplicate and stores nothing;
* **per commit unit** (``commit_every`` records of one file, or the whole file): one
  transaction appends the unit's new rows to each table (``Engine.append_new``: rows whose
  key is already stored are duplicates), its quarantined records, and the file's next
  checkpoint row (``ingest_progress``, append-only);
* **per run**: the summary of every file, and one ``ingest_batches`` row when the run ends.

The engine-specific part is what ``Engine`` already offers: append Arrow rows to a table,
keeping those whose key is new, and read a checkpoint. The commit unit is chosen once, by
:func:`commit_every`: a batch of rows on DuckDB (cheap transactions, so a killed run
resumes after its last batch), a whole file on Spark (each append writes Parquet files).
Commits run on one writer thread, so unit N is written while unit N+1 is parsed.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from vigil.errors import InputError
from vigil.ingest.checkpoint import (
    Checkpoint,
    FileSummary,
    IngestSummary,
    add_counts,
    commit_progress,
    insert_quarantine,
    record_batch,
    start_file,
)
from vigil.model import QuarantineReason
from vigil.store import utcnow
from vigil.store.engine import Engine
from vigil.store.handle import StoreHandle

INPUT_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".gz")


def expand_inputs(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders expand to their input files, sorted by name."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(INPUT_SUFFIXES)))
        else:
            out.append(path)
    return out


def commit_every(engine: Engine, batch_size: int) -> int | None:
    """Records per commit: ``batch_size`` on DuckDB; None (one commit per file) on Spark."""
    return batch_size if engine.name == "duckdb" else None


@dataclass(frozen=True)
class TableSpec:
    """A table rows are ingested into: every column in the table's order, and the natural key.

    Columns a parsed row does not hold are provenance, filled at commit time from
    ``source_file``, ``file_sha256``, ``batch_id``, ``ingested_at`` and ``stored_at``.
    ``counted``: its rows are the records a file's summary counts as stored or duplicate
    (a capture's page is not: many captures share one page).
    """

    name: str
    schema: pa.Schema
    key: tuple[str, ...]
    counted: bool = True

    def arrow(self, rows: Sequence[dict[str, Any]], fill: dict[str, Any]) -> pa.Table:
        columns = {name: [row[name] for row in rows] if rows and name in rows[0] else [fill.get(name)] * len(rows)
                   for name in self.schema.names}  # fmt: skip
        return pa.Table.from_pydict(columns, schema=self.schema)


QuarantineRow = tuple[int, str, str, str]  # (line or record, reason code, reason, excerpt)


@dataclass
class Unit:
    """What one commit unit read: new rows by table and key (first occurrence wins), quarantined
    records, and its counters."""

    rows: dict[str, dict[Hashable, dict[str, Any]]] = field(default_factory=dict)
    quarantine: list[QuarantineRow] = field(default_factory=list)
    records: int = 0
    skipped_media: int = 0
    duplicates: int = 0  # keys repeated inside the unit

    def keep(self, table: str, key: Hashable, row: dict[str, Any], *, counted: bool = True) -> bool:
        """Hold ``row`` for ``table`` unless its key is held already (then a duplicate if ``counted``)."""
        held = self.rows.setdefault(table, {})
        if key in held:
            self.duplicates += counted
            return False
        held[key] = row
        return True

    def reject(self, line: int, code: str, reason: str, text: str) -> None:
        self.quarantine.append((line, code, reason, text))


@dataclass(frozen=True)
class Input:
    """One input: the path named, the file whose bytes identify it, its form, or why it cannot be read."""

    path: Path
    identity: Path
    form: str = "file"
    error: str | None = None


@dataclass
class Opened:
    """An opened input: its records, bytes read so far (for progress), and how to let it go."""

    items: Iterable[Any]
    position: Callable[[], int] = lambda: 0
    close: Callable[[], None] = lambda: None


class Kind(ABC):
    """What one kind of input is: the only part of an ingest that is not shared."""

    name: str  # ingest_files.kind and ingest_batches.kind
    quarantine_kind: str  # quarantine.kind
    tables: tuple[TableSpec, ...]  # in the order they are written
    progress_in_bytes: bool = False  # progress counts bytes read (else records read)

    def inputs(self, paths: Sequence[Path]) -> list[Input]:
        return [Input(p, p) for p in expand_inputs(paths)]

    @abstractmethod
    def open(self, item: Input) -> Opened:
        """Open an input; an ``InputError`` here marks the file as an error, with nothing read."""

    @abstractmethod
    def take(self, record: Any, unit: Unit) -> None:
        """Parse one record into ``unit`` (``unit.keep``) or quarantine it (``unit.reject``)."""


class Ingest:
    """Ingests the inputs of one :class:`Kind` into a store; one instance per run."""

    def __init__(self, store: StoreHandle, kind: Kind, *, batch_size: int,
                 progress: Callable[[int], None] | None = None) -> None:  # fmt: skip
        self.engine = store.engine
        self.kind = kind
        self.every = commit_every(self.engine, batch_size)
        self.progress = progress or (lambda advance: None)
        self.batch_id = uuid.uuid4().hex[:16]
        self._writer: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None

    def run(self, paths: Sequence[Path]) -> IngestSummary:
        started = utcnow()
        summary = IngestSummary(self.batch_id)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vigil-writer")
        try:
            for item in self.kind.inputs(paths):
                summary.files.append(self._file(item))
        finally:
            self._wait()
            self._writer.shutdown()
        record_batch(self.engine, self.batch_id, self.kind.name, paths, started_at=started)
        return summary

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def _file(self, item: Input) -> FileSummary:
        if item.error:
            return FileSummary(str(item.path), status="error", error=item.error)
        start = start_file(self.engine, item.path, kind=self.kind.name, batch_id=self.batch_id, identity=item.identity)
        result, skip, point = start.result, start.skip, start.checkpoint
        if skip is None or point is None:
            if result.status == "already ingested" and self.kind.progress_in_bytes:
                self.progress(start.size)
            return result
        try:
            opened = self.kind.open(item)
        except InputError as exc:
            result.status, result.error = "error", str(exc)
            if not point.seq:  # the file is known from now on, unfinished
                commit_progress(self.engine, point, consumed=0, completed=False, counts={})
            return result
        consumed, reported = 0, 0
        unit = Unit()
        try:
            for record in opened.items:
                consumed += 1
                if consumed <= skip:
                    continue
                unit.records += 1
                self.kind.take(record, unit)
                if self.every and unit.records >= self.every:
                    self._submit(unit, item, point, consumed=consumed, result=result, completed=False)
                    reported = self._advance(opened, unit, reported)
                    unit = Unit()
        except InputError as exc:
            result.status, result.error = "error", str(exc)
            unit.reject(1, QuarantineReason.BAD_FILE.value, str(exc), "")
        finally:
            opened.close()
        self._submit(unit, item, point, consumed=consumed, result=result, completed=True)
        self._wait()
        if self.kind.progress_in_bytes:
            self.progress(start.size - reported)
        else:
            self.progress(unit.records)
        return result

    def _advance(self, opened: Opened, unit: Unit, reported: int) -> int:
        if not self.kind.progress_in_bytes:
            self.progress(unit.records)
            return reported
        position = opened.position()
        self.progress(position - reported)
        return position

    def _submit(self, unit: Unit, item: Input, point: Checkpoint, *, consumed: int, result: FileSummary,
                completed: bool) -> None:  # fmt: skip
        path, now = str(item.path), utcnow()
        fill = {"source_file": path, "file_sha256": point.sha, "batch_id": self.batch_id, "ingested_at": now, "stored_at": now}
        tables = [(spec, spec.arrow(list(rows.values()), fill)) for spec in self.kind.tables
                  if (rows := unit.rows.get(spec.name))]  # fmt: skip
        self._wait()
        assert self._writer is not None
        self._pending = self._writer.submit(self._commit, unit, tables, path=path, point=point, consumed=consumed,
                                            result=result, completed=completed)  # fmt: skip

    def _commit(self, unit: Unit, tables: list[tuple[TableSpec, pa.Table]], *, path: str, point: Checkpoint,
                consumed: int, result: FileSummary, completed: bool) -> None:  # fmt: skip
        held = sum(len(unit.rows.get(spec.name, ())) for spec in self.kind.tables if spec.counted)
        with self.engine.transaction():
            stored = 0
            for spec, table in tables:
                appended = self.engine.append_new(spec.name, table, key=spec.key)
                stored += appended if spec.counted else 0
            insert_quarantine(self.engine, kind=self.kind.quarantine_kind, path=path, sha=point.sha,
                              batch_id=self.batch_id, rows=unit.quarantine)  # fmt: skip
            counts = {
                "rows_read": unit.records,
                "stored": stored,
                "duplicates": held - stored + unit.duplicates,
                "quarantined": len(unit.quarantine),
                "skipped_media": unit.skipped_media,
            }
            commit_progress(self.engine, point, consumed=consumed, completed=completed, counts=counts)
        add_counts(result, counts)


def lazily(make: Callable[[], Iterable[Any]]) -> Iterator[Any]:
    """The items of ``make()``, opened only when first read (so its errors surface while reading)."""
    yield from make()


__all__ = ["Ingest", "Input", "Kind", "Opened", "TableSpec", "Unit", "commit_every", "expand_inputs", "lazily"]
