"""One ingest for every input and both engines: read, parse or quarantine, de-duplicate, commit.

What differs between reports, captures and the tabular inputs is a :class:`Kind`: how its
inputs are found and opened, how one record is parsed into rows (or quarantined), and which
tables (:class:`TableSpec`) the rows go to, each with its natural key. Everything else is
written once, here, and runs on either engine:

* **per file**: its identity (SHA-256), the checkpoint that says whether it is done or how
  many records an interrupted run committed, and the records to skip before resuming;
* **per record** (:func:`read_units`): ``Kind.take`` parses it into a :class:`Unit` or
  quarantines it with its reason; a key repeated inside the unit is a duplicate;
* **per commit unit** (:func:`commit_units`, set steps): the parsed units, flattened to one
  table ``_parsed`` with their files in ``_ingest_inputs``, become in one transaction each
  table's new rows (first occurrence of a key wins, in file then record order; a key already
  stored is a duplicate), the quarantined records, and each file's next checkpoint row
  (``ingest_progress``, append-only);
* **per run**: the summary of every file, and one ``ingest_batches`` row when the run ends.

The **commit unit** is the one thing chosen per engine, once (:func:`commit_plan`): on
DuckDB a batch of ``batch_size`` records of one file, parsed in this process while the
previous batch commits on a writer thread (a killed run resumes after its last batch); on
Spark the whole run, every file parsed in the engine's workers (``Engine.map_batches``, one
task per file) and committed by the same set steps. Rows are read and written by column name.

On DuckDB a kind whose per-record work is heavy (``Kind.parse_ahead``: captures) and a run
of several inputs parse **ahead** (:func:`parse_file`): the next inputs, one whole input per
task, are read in ``VIGIL_WORKERS`` worker processes into the same batches the serial loop
makes, spooled to a file, while this process commits them strictly in input order. The
batches, their commits and checkpoints are the serial loop's, so the store is the same.
"""

from __future__ import annotations

import multiprocessing
import signal
import tempfile
import uuid
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from vigil import settings
from vigil.errors import InputError
from vigil.ingest.checkpoint import (
    Checkpoint,
    FileStart,
    FileSummary,
    IngestSummary,
    add_counts,
    advance,
    all_checkpoints,
    append_progress,
    record_batch,
    start_file,
)
from vigil.model import QuarantineReason
from vigil.store import utcnow
from vigil.store.engine import Engine
from vigil.store.handle import StoreHandle

INPUT_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".gz")
FILLED = ("source_file", "file_sha256", "batch_id", "ingested_at", "stored_at")  # provenance, set at commit


def expand_inputs(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders expand to their input files, sorted by name."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(INPUT_SUFFIXES)))
        else:
            out.append(path)
    return out


@dataclass(frozen=True)
class CommitPlan:
    """How a run commits: ``every`` records of one file per unit, parsed in this process, or
    (``every`` None) the whole run as one unit, parsed in the engine's workers."""

    every: int | None


def commit_plan(engine: Engine, batch_size: int) -> CommitPlan:
    """Batches of ``batch_size`` records on DuckDB; one unit per run on Spark."""
    return CommitPlan(batch_size if engine.name == "duckdb" else None)


@dataclass(frozen=True)
class TableSpec:
    """A table rows are ingested into: every column in the table's order, and the natural key.

    Columns named in :data:`FILLED` are provenance, set at commit time; a parsed row holds the
    others. ``counted``: its rows are the records a file's summary counts as stored or
    duplicate (a capture's page is not: many captures share one page).
    """

    name: str
    schema: pa.Schema
    key: tuple[str, ...]
    counted: bool = True

    @property
    def parsed(self) -> list[pa.Field]:
        """The columns a parsed row holds."""
        return [f for f in self.schema if f.name not in FILLED]


QuarantineRow = tuple[int, str, str, str]  # (line or record, reason code, reason, excerpt)


@dataclass
class Unit:
    """What one commit unit of one file read: new rows by table and key (first occurrence
    wins), quarantined records, and its counters."""

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
    """What one kind of input is: the only part of an ingest that is not shared.

    A kind travels to the engine's workers (Spark): it holds settings, not open handles."""

    name: str  # ingest_files.kind and ingest_batches.kind
    quarantine_kind: str  # quarantine.kind
    tables: tuple[TableSpec, ...]  # in the order they are written
    progress_in_bytes: bool = False  # progress counts bytes read (else records read)
    parse_ahead: bool = False  # on DuckDB, parse whole inputs ahead in worker processes

    def inputs(self, paths: Sequence[Path]) -> list[Input]:
        return [Input(p, p) for p in expand_inputs(paths)]

    @abstractmethod
    def open(self, item: Input) -> Opened:
        """Open an input; an ``InputError`` here marks the file as an error, with nothing read."""

    @abstractmethod
    def take(self, record: Any, unit: Unit) -> None:
        """Parse one record into ``unit`` (``unit.keep``) or quarantine it (``unit.reject``)."""


@dataclass
class UnitRead:
    """A unit read from one file: the unit, records consumed from the file's start, whether
    the file ends with it, and the error that ended the file early."""

    unit: Unit
    consumed: int
    completed: bool
    error: str | None = None


def read_units(kind: Kind, opened: Opened, *, skip: int, every: int | None) -> Iterator[UnitRead]:
    """The units of an opened input, ``every`` records each (None: one unit), after ``skip`` records.

    A stretch of the file that cannot be read ends it, with one ``bad_file`` quarantine record."""
    consumed, error = 0, None
    unit = Unit()
    try:
        for record in opened.items:
            consumed += 1
            if consumed <= skip:
                continue
            unit.records += 1
            kind.take(record, unit)
            if every and unit.records >= every:
                yield UnitRead(unit, consumed, completed=False)
                unit = Unit()
    except InputError as exc:
        error = str(exc)
        unit.reject(1, QuarantineReason.BAD_FILE.value, error, "")
    finally:
        opened.close()
    yield UnitRead(unit, consumed, completed=True, error=error)


# -- the parsed units as one table, and the set steps that commit them -------------------------

_FILE_COLUMNS = [
    ("f_records", pa.int64()), ("f_skipped_media", pa.int64()), ("f_duplicates", pa.int64()), ("f_held", pa.int64()),
    ("f_quarantined", pa.int64()), ("f_consumed", pa.int64()), ("f_completed", pa.bool_()), ("f_opened", pa.bool_()),
    ("f_error", pa.string()),
]  # fmt: skip
_QUARANTINE_COLUMNS = [("q_line", pa.int64()), ("q_code", pa.string()), ("q_reason", pa.string()), ("q_excerpt", pa.string())]
_INPUTS = pa.schema([("file_index", pa.int32()), ("path", pa.string()), ("sha", pa.string()), ("form", pa.string()),
                     ("identity", pa.string()), ("skip", pa.int64())])  # fmt: skip


def _column(table: TableSpec, name: str) -> str:
    return f"{table.name}__{name}"


def parsed_schema(kind: Kind) -> pa.Schema:
    """``_parsed``: one row per stored-table row, quarantined record, or file (its counters)."""
    return pa.schema([
        ("file_index", pa.int32()), ("row_kind", pa.string()), ("ord", pa.int64()),
        *[(_column(t, f.name), f.type) for t in kind.tables for f in t.parsed], *_QUARANTINE_COLUMNS, *_FILE_COLUMNS,
    ])  # fmt: skip


def flatten(kind: Kind, index: int, read: UnitRead, *, opened: bool = True) -> dict[str, list[Any]]:
    """A unit as the columns of ``_parsed`` (rows by table, in the order they were kept)."""
    unit = read.unit
    parts: list[tuple[str, int, dict[str, list[Any]]]] = []
    for table in kind.tables:
        rows = list(unit.rows.get(table.name, {}).values())
        if rows:
            parts.append((table.name, len(rows), {_column(table, f.name): [r.get(f.name) for r in rows] for f in table.parsed}))
    if unit.quarantine:
        held_back = list(zip(*unit.quarantine))
        parts.append(("quarantine", len(unit.quarantine),
                      {name: list(values) for (name, _), values in zip(_QUARANTINE_COLUMNS, held_back)}))  # fmt: skip
    held = sum(len(unit.rows.get(t.name, ())) for t in kind.tables if t.counted)
    counters = [unit.records, unit.skipped_media, unit.duplicates, held, len(unit.quarantine), read.consumed, read.completed,
                opened, read.error]  # fmt: skip
    parts.append(("file", 1, {name: [value] for (name, _), value in zip(_FILE_COLUMNS, counters)}))
    total = sum(n for _, n, _ in parts)
    out: dict[str, list[Any]] = {"file_index": [index] * total, "row_kind": [], "ord": list(range(total))}
    names = parsed_schema(kind).names
    for name in names[3:]:
        out[name] = []
    for row_kind, n, cols in parts:
        out["row_kind"].extend([row_kind] * n)
        for name in names[3:]:
            out[name].extend(cols.get(name) or [None] * n)
    return out


@dataclass(frozen=True)
class ParseInputs:
    """Inputs (``_ingest_inputs`` rows) → their records parsed as one unit per file: the
    per-record work of an ingest, run in the engine's workers (one task per file)."""

    kind: Kind

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        schema = parsed_schema(self.kind)
        out: dict[str, list[Any]] = {name: [] for name in schema.names}
        for row in batch.to_pylist():
            item = Input(Path(row["path"]), Path(row["identity"]), row["form"])
            try:
                opened = self.kind.open(item)
            except InputError as exc:
                got = flatten(self.kind, row["file_index"], UnitRead(Unit(), 0, False, str(exc)), opened=False)
            else:
                reads = list(read_units(self.kind, opened, skip=int(row["skip"]), every=None))
                got = flatten(self.kind, row["file_index"], reads[-1])
            for name in schema.names:
                out[name].extend(got[name])
        return pa.RecordBatch.from_pydict(out, schema=schema)


@dataclass(frozen=True)
class ParsedUnit:
    """A unit :func:`parse_file` spooled: its records, and the input's bytes read after it."""

    records: int
    position: int


def parse_file(kind: Kind, item: Input, *, skip: int, every: int, spool: str) -> list[ParsedUnit] | str:
    """Read one input as the serial loop would, in a worker: each unit of ``every`` records
    after ``skip``, flattened to ``_parsed`` rows, is one Arrow batch of the stream ``spool``.
    Its units, or why the input could not be opened."""
    try:
        opened = kind.open(item)
    except InputError as exc:
        return str(exc)
    schema = parsed_schema(kind)
    units: list[ParsedUnit] = []
    with pa.OSFile(spool, "wb") as sink, pa.ipc.new_stream(sink, schema) as writer:
        for read in read_units(kind, opened, skip=skip, every=every):
            writer.write_batch(pa.RecordBatch.from_pydict(flatten(kind, 0, read), schema=schema))
            units.append(ParsedUnit(read.unit.records, opened.position()))
    return units


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the committing process's to handle


@contextmanager
def worker_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """``workers`` processes, spawned: started clean, not forks of a process holding a store
    connection and a writer thread, and children of this one (their CPU time is its children's);
    ended at once if the run fails."""
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_interrupts)
    try:
        yield pool
    except BaseException:
        started = list((getattr(pool, "_processes", None) or {}).values())  # shutdown forgets them
        pool.shutdown(wait=False, cancel_futures=True)
        for process in started:  # a worker deep in a large WARC would hold the exit up
            process.terminate()
        raise
    pool.shutdown()


def commit_units(engine: Engine, kind: Kind, *, batch_id: str) -> dict[int, dict[str, Any]]:
    """Store what ``_parsed`` holds for the files of ``_ingest_inputs``; per file index, its counts.

    Each table gets the first occurrence of each key (file, then record order) whose key is not
    stored yet; the quarantined records go with their file's path and hash. Call inside a
    transaction."""
    params = {"batch": batch_id, "now": utcnow()}
    filled = {"source_file": "i.path", "file_sha256": "i.sha", "batch_id": "$batch", "ingested_at": "$now", "stored_at": "$now"}
    stored: dict[int, int] = {}
    for table in kind.tables:
        keys = ", ".join(_column(table, k) for k in table.key)
        match = " AND ".join(f"t.{k} = p.{_column(table, k)}" for k in table.key)
        columns = ", ".join(f"{filled[f.name]} AS {f.name}" if f.name in filled else f"p.{_column(table, f.name)} AS {f.name}"
                            for f in table.schema)  # fmt: skip
        engine.materialise("_ingest_new", f"""
            SELECT {columns}, p.file_index, p.ord
            FROM (SELECT *, row_number() OVER (PARTITION BY {keys} ORDER BY file_index, ord) AS first_seen
                  FROM _parsed WHERE row_kind = '{table.name}') p
            JOIN _ingest_inputs i ON i.file_index = p.file_index
            WHERE p.first_seen = 1 AND NOT EXISTS (SELECT 1 FROM {table.name} t WHERE {match})""", params)  # fmt: skip
        if table.counted:
            for row in engine.rows("stored per file", "SELECT file_index, count(*) AS n FROM _ingest_new GROUP BY file_index"):
                stored[int(row["file_index"])] = stored.get(int(row["file_index"]), 0) + int(row["n"])
        names = ", ".join(table.schema.names)
        engine.insert(table.name, f"SELECT {names} FROM _ingest_new ORDER BY file_index, ord")
    engine.insert("quarantine", """
        SELECT $kind, i.path, p.q_line, p.q_code, p.q_reason, p.q_excerpt, i.sha, $batch, $now
        FROM _parsed p JOIN _ingest_inputs i ON i.file_index = p.file_index
        WHERE p.row_kind = 'quarantine' ORDER BY p.file_index, p.ord""", {**params, "kind": kind.quarantine_kind})  # fmt: skip
    counts: dict[int, dict[str, Any]] = {}
    for row in engine.rows("file counts", "SELECT * FROM _parsed WHERE row_kind = 'file' ORDER BY file_index"):
        index = int(row["file_index"])
        counts[index] = {
            "rows_read": int(row["f_records"]), "stored": stored.get(index, 0),
            "duplicates": int(row["f_held"]) - stored.get(index, 0) + int(row["f_duplicates"]),
            "quarantined": int(row["f_quarantined"]), "skipped_media": int(row["f_skipped_media"]),
            "consumed": int(row["f_consumed"]), "completed": bool(row["f_completed"]),
            "opened": bool(row["f_opened"]), "error": row["f_error"],
        }  # fmt: skip
    return counts


class Ingest:
    """Ingests the inputs of one :class:`Kind` into a store; one instance per run."""

    def __init__(self, store: StoreHandle, kind: Kind, *, batch_size: int,
                 progress: Callable[[int], None] | None = None) -> None:  # fmt: skip
        self.engine = store.engine
        self.kind = kind
        self.plan = commit_plan(self.engine, batch_size)
        self.progress = progress or (lambda advance: None)
        self.batch_id = uuid.uuid4().hex[:16]
        self._writer: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None

    def run(self, paths: Sequence[Path]) -> IngestSummary:
        started = utcnow()
        summary = IngestSummary(self.batch_id)
        inputs = self.kind.inputs(paths)
        if self.plan.every is None:
            summary.files = self._run_whole(inputs)
        else:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vigil-writer")
            try:
                workers = min(settings.worker_count(), sum(1 for item in inputs if not item.error))
                if self.kind.parse_ahead and workers > 1:
                    summary.files = self._run_ahead(inputs, workers)
                else:
                    for item in inputs:
                        summary.files.append(self._file(item))
            finally:
                self._wait()
                self._writer.shutdown()
        record_batch(self.engine, self.batch_id, self.kind.name, paths, started_at=started)
        return summary

    # -- the whole run as one unit, parsed in the engine's workers ----------------------------
    def _run_whole(self, inputs: list[Input]) -> list[FileSummary]:
        results: list[FileSummary] = []
        todo: list[tuple[int, Input, Checkpoint, int]] = []
        seen: set[str] = set()
        known = all_checkpoints(self.engine)
        for index, item in enumerate(inputs):
            if item.error:
                results.append(FileSummary(str(item.path), status="error", error=item.error))
                continue
            start = start_file(self.engine, item.path, kind=self.kind.name, batch_id=self.batch_id, identity=item.identity,
                               known=known)  # fmt: skip
            results.append(start.result)
            if start.skip is None or start.checkpoint is None or start.sha in seen:
                if start.sha in seen:
                    start.result.status = "already ingested"  # the same bytes earlier in this run
                if start.result.status == "already ingested" and self.kind.progress_in_bytes:
                    self.progress(start.size)
                continue
            seen.add(start.sha)
            todo.append((index, item, start.checkpoint, start.skip))
        if not todo:
            return results
        self.engine.put_arrow("_ingest_inputs", pa.Table.from_pylist([
            {"file_index": index, "path": str(item.path), "sha": point.sha, "form": item.form,
             "identity": str(item.identity), "skip": skip} for index, item, point, skip in todo], schema=_INPUTS))  # fmt: skip
        self.engine.map_batches("_parsed", "SELECT * FROM _ingest_inputs", ParseInputs(self.kind), parsed_schema(self.kind),
                                batch_rows=1)  # fmt: skip
        with self.engine.transaction():
            counts = commit_units(self.engine, self.kind, batch_id=self.batch_id)
            append_progress(self.engine, [row for index, _, point, _ in todo
                                          if (row := self._settle(results[index], point, counts[index]))])  # fmt: skip
        for index, item, point, _ in todo:
            got = counts[index]
            self.progress(point.size if self.kind.progress_in_bytes else got["rows_read"])
        return results

    def _settle(self, result: FileSummary, point: Checkpoint, got: dict[str, Any]) -> dict[str, Any] | None:
        """A file's counts into its summary; its next checkpoint row (None: nothing to record)."""
        if got["error"]:
            result.status, result.error = "error", got["error"]
        if not got["opened"]:  # the file is known from now on, unfinished
            return None if point.seq else advance(point, consumed=0, completed=False, counts={})
        counts = {k: got[k] for k in ("rows_read", "stored", "duplicates", "quarantined", "skipped_media")}
        add_counts(result, counts)
        return advance(point, consumed=got["consumed"], completed=got["completed"], counts=counts)

    # -- batches of one file, parsed here while the previous batch commits --------------------
    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def _file(self, item: Input, hashed: FileStart | None = None) -> FileSummary:
        if item.error:
            return FileSummary(str(item.path), status="error", error=item.error)
        start = start_file(self.engine, item.path, kind=self.kind.name, batch_id=self.batch_id, identity=item.identity,
                           hashed=hashed)  # fmt: skip
        result, skip, point = start.result, start.skip, start.checkpoint
        if skip is None or point is None:
            if result.status == "already ingested" and self.kind.progress_in_bytes:
                self.progress(start.size)
            return result
        try:
            opened = self.kind.open(item)
        except InputError as exc:
            append_progress(self.engine, [row] if (row := self._settle(result, point, {"error": str(exc), "opened": False})) else [])
            return result
        reported = 0
        for read in read_units(self.kind, opened, skip=skip, every=self.plan.every):
            self._submit(pa.Table.from_pydict(flatten(self.kind, 0, read), schema=parsed_schema(self.kind)), item, point, result)
            if not read.completed:
                if self.kind.progress_in_bytes:
                    position = opened.position()
                    self.progress(position - reported)
                    reported = position
                else:
                    self.progress(read.unit.records)
        self._wait()
        self.progress(start.size - reported if self.kind.progress_in_bytes else read.unit.records)
        return result

    def _submit(self, parsed: pa.Table, item: Input, point: Checkpoint, result: FileSummary) -> None:
        inputs = pa.Table.from_pylist([{"file_index": 0, "path": str(item.path), "sha": point.sha, "form": item.form,
                                        "identity": str(item.identity), "skip": 0}], schema=_INPUTS)  # fmt: skip
        self._wait()
        assert self._writer is not None
        self._pending = self._writer.submit(self._commit, parsed, inputs, point, result)

    def _commit(self, parsed: pa.Table, inputs: pa.Table, point: Checkpoint, result: FileSummary) -> None:
        with self.engine.transaction():
            self.engine.put_arrow("_parsed", parsed)
            self.engine.put_arrow("_ingest_inputs", inputs)
            counts = commit_units(self.engine, self.kind, batch_id=self.batch_id)
            row = self._settle(result, point, counts[0])
            append_progress(self.engine, [row] if row else [])

    # -- whole inputs parsed ahead in worker processes, committed here in input order ---------
    def _run_ahead(self, inputs: list[Input], workers: int) -> list[FileSummary]:
        """As the serial loop, with each input's batches parsed ahead by :func:`parse_file`.

        Each input is planned from the checkpoints stored when the run starts (an input repeated
        in the run is parsed once); when its turn comes its checkpoint is read again, and an
        input whose plan no longer holds (or that was not sent) is read here, as serially."""
        known = all_checkpoints(self.engine)
        seen: set[str] = set()
        results: list[FileSummary] = []
        pending: deque[tuple[Input, FileStart | None, Future[list[ParsedUnit] | str] | None, str]] = deque()
        with tempfile.TemporaryDirectory(prefix="vigil-ingest-") as tmp, worker_pool(workers) as pool:
            for index, item in enumerate(inputs):
                start, parsing, spool = None, None, str(Path(tmp) / f"{index}.arrows")
                if not item.error:
                    start = start_file(self.engine, item.path, kind=self.kind.name, batch_id=self.batch_id,
                                       identity=item.identity, known=known)  # fmt: skip
                    if start.skip is not None and start.sha not in seen:
                        seen.add(start.sha)
                        parsing = pool.submit(parse_file, self.kind, item, skip=start.skip, every=self.plan.every or 0,
                                              spool=spool)  # fmt: skip
                pending.append((item, start, parsing, spool))
                while sum(1 for entry in pending if entry[2]) >= 2 * workers:  # inputs in flight: a bounded spool
                    results.append(self._file_ahead(*pending.popleft()))
            while pending:
                results.append(self._file_ahead(*pending.popleft()))
        return results

    def _file_ahead(self, item: Input, planned: FileStart | None, parsing: Future[list[ParsedUnit] | str] | None,
                    spool: str) -> FileSummary:  # fmt: skip
        if planned is None or parsing is None:
            return self._file(item, hashed=planned)
        start = start_file(self.engine, item.path, kind=self.kind.name, batch_id=self.batch_id, identity=item.identity,
                           hashed=planned)  # fmt: skip
        if start.skip != planned.skip:  # an earlier input of this run changed its checkpoint
            parsing.cancel()
            return self._file(item, hashed=planned)
        result, point = start.result, start.checkpoint
        assert point is not None
        units = parsing.result()
        if isinstance(units, str):
            append_progress(self.engine, [row] if (row := self._settle(result, point, {"error": units, "opened": False})) else [])
            return result
        reported = 0
        with pa.OSFile(spool) as source, pa.ipc.open_stream(source) as stream:
            for number, (unit, batch) in enumerate(zip(units, stream)):
                self._submit(pa.Table.from_batches([batch]), item, point, result)
                if number < len(units) - 1:
                    if self.kind.progress_in_bytes:
                        self.progress(unit.position - reported)
                        reported = unit.position
                    else:
                        self.progress(unit.records)
            self._wait()
        Path(spool).unlink()
        self.progress(start.size - reported if self.kind.progress_in_bytes else units[-1].records)
        return result


def lazily(make: Callable[[], Iterable[Any]]) -> Iterator[Any]:
    """The items of ``make()``, opened only when first read (so its errors surface while reading)."""
    yield from make()


__all__ = ["CommitPlan", "Ingest", "Input", "Kind", "Opened", "ParseInputs", "ParsedUnit", "TableSpec", "Unit", "UnitRead",
           "commit_plan", "commit_units", "expand_inputs", "flatten", "lazily", "parse_file", "parsed_schema", "read_units",
           "worker_pool"]
